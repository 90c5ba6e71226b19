// PCIe copies: cudaMemcpyAsync device <-> host, pinned (cudaHostAlloc) and pageable (malloc'd)
// host memory, one stream per rank. The d2h pinned row is the peak the snapshot throughput goal
// (>= 90% of it) is measured against.
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/cuda_paths.hpp"

namespace ckptlab::hw {
namespace {

class CudaCopyPath final : public BenchPath {
 public:
  CudaCopyPath(CopyDirection d, bool pinned, int device)
      : dir_(d), pinned_(pinned), device_(device) {}
  ~CudaCopyPath() override { release(); }
  std::string name() const override {
    return cuda_detail::str("cuda_", dir_ == CopyDirection::kDeviceToHost ? "d2h" : "h2d", "_",
                            pinned_ ? "pinned" : "pageable");
  }
  std::string description() const override {
    return cuda_detail::str(
        "cudaMemcpyAsync ",
        dir_ == CopyDirection::kDeviceToHost ? "device -> host" : "host -> device", " on device ",
        device_, ", ", pinned_ ? "pinned (cudaHostAlloc)" : "pageable (malloc)",
        " host memory, one stream per rank");
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    release();
    bytes_ = static_cast<std::size_t>(bytes);
    CKPTLAB_CUDA(cudaSetDevice(device_));
    for (int r = 0; r < team.ranks(); ++r) {
      void* d = nullptr;
      void* h = nullptr;
      CKPTLAB_CUDA(cudaMalloc(&d, bytes_));
      if (pinned_) {
        CKPTLAB_CUDA(cudaHostAlloc(&h, bytes_, cudaHostAllocDefault));
      } else {
        h = std::malloc(bytes_);
        if (!h) throw std::bad_alloc();
      }
      cudaStream_t s;
      CKPTLAB_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
      dev_.push_back(d);
      host_.push_back(h);
      streams_.push_back(s);
      // The source holds the pattern: the device for d2h (filled through the host), the host for
      // h2d.
      std::vector<std::uint64_t> pattern(bytes_ / 8);
      fill_pattern(pattern.data(), pattern.size(), 500 + r);
      if (dir_ == CopyDirection::kDeviceToHost) {
        CKPTLAB_CUDA(cudaMemcpy(d, pattern.data(), bytes_, cudaMemcpyHostToDevice));
      } else {
        std::memcpy(h, pattern.data(), bytes_);
      }
    }
  }
  void run(RankTeam& team) override {
    team.run([&](int r) {
      CKPTLAB_CUDA(cudaSetDevice(device_));
      const auto i = static_cast<size_t>(r);
      if (dir_ == CopyDirection::kDeviceToHost) {
        CKPTLAB_CUDA(
            cudaMemcpyAsync(host_[i], dev_[i], bytes_, cudaMemcpyDeviceToHost, streams_[i]));
      } else {
        CKPTLAB_CUDA(
            cudaMemcpyAsync(dev_[i], host_[i], bytes_, cudaMemcpyHostToDevice, streams_[i]));
      }
      CKPTLAB_CUDA(cudaStreamSynchronize(streams_[i]));
    });
  }
  std::int64_t check(RankTeam& team) override {
    std::int64_t wrong = 0;
    CKPTLAB_CUDA(cudaSetDevice(device_));
    for (int r = 0; r < team.ranks(); ++r) {
      std::vector<std::uint64_t> out(bytes_ / 8);
      const auto i = static_cast<size_t>(r);
      if (dir_ == CopyDirection::kDeviceToHost) {
        std::memcpy(out.data(), host_[i], bytes_);
      } else {
        CKPTLAB_CUDA(cudaMemcpy(out.data(), dev_[i], bytes_, cudaMemcpyDeviceToHost));
      }
      wrong += count_wrong(out.data(), out.size(), 500 + r);
    }
    return wrong;
  }
  void release() override {
    cudaSetDevice(device_);
    for (size_t i = 0; i < dev_.size(); ++i) {  // best effort: release cannot report errors
      cudaFree(dev_[i]);
      if (pinned_) {
        cudaFreeHost(host_[i]);
      } else {
        std::free(host_[i]);
      }
      cudaStreamDestroy(streams_[i]);
    }
    dev_.clear();
    host_.clear();
    streams_.clear();
  }
  // Per-rank copies share the GPU's PCIe link: busbw is what the link carried.

 private:
  CopyDirection dir_;
  bool pinned_;
  int device_;
  std::size_t bytes_ = 0;
  std::vector<void*> dev_, host_;
  std::vector<cudaStream_t> streams_;
};

}  // namespace

std::unique_ptr<BenchPath> make_cuda_copy_path(CopyDirection direction, bool pinned, int device) {
  return std::make_unique<CudaCopyPath>(direction, pinned, device);
}

}  // namespace ckptlab::hw
