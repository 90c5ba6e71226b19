// Error checks for CUDA runtime, cuBLAS and NCCL calls (internal to hw/cuda: it includes the CUDA
// headers, which plain C++ callers never need). A failed call throws CudaError naming the call:
// errors are never swallowed, and a GPU fault surfaces as an exception the caller can report.
#pragma once

#include <cuda_runtime.h>

#include <sstream>
#include <string>

#include "hw/cuda/device_info.hpp"

namespace ckptlab::hw::cuda_detail {

[[noreturn]] inline void cuda_fail(const char* call, cudaError_t err, const char* file, int line) {
  throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

// Messages without fmt: fmt 9's constexpr machinery does not compile under nvcc in C++20 mode.
template <class... T>
std::string str(const T&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace ckptlab::hw::cuda_detail

#define CKPTLAB_CUDA(call)                                                            \
  do {                                                                                \
    const cudaError_t ckptlab_err_ = (call);                                          \
    if (ckptlab_err_ != cudaSuccess)                                                  \
      ::ckptlab::hw::cuda_detail::cuda_fail(#call, ckptlab_err_, __FILE__, __LINE__); \
  } while (0)
