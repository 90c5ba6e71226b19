// Slow-down of the cuBLAS compute phase while snapshot copies (device -> pinned host, on their
// own stream) loop beside it: the GPU's background_slowdown. The goal is <= 10%.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/cuda_paths.hpp"
#include "hw/cuda/cuda_trainer.hpp"

namespace ckptlab::hw {
namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
}  // namespace

CudaSlowdown measure_cuda_slowdown(int device, std::int64_t bytes, Seconds compute, int repeats) {
  CKPTLAB_CUDA(cudaSetDevice(device));
  cudaStream_t compute_stream, copy_stream;
  CKPTLAB_CUDA(cudaStreamCreateWithFlags(&compute_stream, cudaStreamNonBlocking));
  CKPTLAB_CUDA(cudaStreamCreateWithFlags(&copy_stream, cudaStreamNonBlocking));
  const auto n = static_cast<std::size_t>(bytes);
  void *dev = nullptr, *host = nullptr;
  CKPTLAB_CUDA(cudaMalloc(&dev, n));
  CKPTLAB_CUDA(cudaHostAlloc(&host, n, cudaHostAllocDefault));
  std::vector<std::uint64_t> pattern(n / 8);
  fill_pattern(pattern.data(), pattern.size(), 900);
  CKPTLAB_CUDA(cudaMemcpy(dev, pattern.data(), n, cudaMemcpyHostToDevice));

  CudaSlowdown out;
  {
    CudaComputePhase phase(compute, device, compute_stream);
    std::vector<double> alone, busy;
    for (int i = 0; i < repeats; ++i) alone.push_back(phase.run().value);
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> copies{0};
    std::exception_ptr error;
    std::thread copier([&] {
      try {
        cudaSetDevice(device);
        do {  // bounded: stopped once the compute phases are done
          CKPTLAB_CUDA(cudaMemcpyAsync(host, dev, n, cudaMemcpyDeviceToHost, copy_stream));
          CKPTLAB_CUDA(cudaStreamSynchronize(copy_stream));
          ++copies;
        } while (!stop.load());
      } catch (...) {
        error = std::current_exception();
      }
    });
    for (int i = 0; i < repeats; ++i) busy.push_back(phase.run().value);
    stop = true;
    copier.join();
    if (error) std::rethrow_exception(error);
    out.alone_s = median(alone);
    out.busy_s = median(busy);
    out.copies = copies.load();
    out.wrong = count_wrong(static_cast<const std::uint64_t *>(host), n / 8, 900);
  }
  cudaFree(dev);
  cudaFreeHost(host);
  cudaStreamDestroy(compute_stream);
  cudaStreamDestroy(copy_stream);
  return out;
}

}  // namespace ckptlab::hw
