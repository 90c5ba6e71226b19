#include <cuda_runtime.h>

#include <string>

#include "device_info.hpp"

namespace ckptlab::hw {
namespace {

[[noreturn]] void fail(const char* call, cudaError_t err) {
  throw CudaError(std::string(call) + " failed: " + cudaGetErrorName(err) + " (" +
                  cudaGetErrorString(err) + ")");
}

}  // namespace

std::optional<DeviceInfo> query_cuda_device(int index) {
  if (index < 0) throw std::invalid_argument("query_cuda_device: negative device index");
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err == cudaErrorNoDevice) return std::nullopt;
  if (err == cudaErrorInsufficientDriver) {
    // The runtime reports the same error for "no driver at all" (a build machine without a GPU)
    // and "driver too old"; only the first means there is no device. cudaDriverGetVersion
    // returns 0 when no driver is installed.
    int driver = 0;
    if (cudaDriverGetVersion(&driver) == cudaSuccess && driver == 0) return std::nullopt;
    int runtime = 0;
    cudaRuntimeGetVersion(&runtime);
    throw CudaError("CUDA driver " + std::to_string(driver) + " is older than the runtime " +
                    std::to_string(runtime) + " this program was built with");
  }
  if (err != cudaSuccess) fail("cudaGetDeviceCount", err);
  if (index >= count) return std::nullopt;

  cudaDeviceProp prop{};
  if (const cudaError_t e = cudaGetDeviceProperties(&prop, index); e != cudaSuccess)
    fail("cudaGetDeviceProperties", e);
  DeviceInfo info;
  info.index = index;
  info.device_count = count;
  info.name = prop.name;
  info.total_memory = Bytes{static_cast<std::int64_t>(prop.totalGlobalMem)};
  info.compute_major = prop.major;
  info.compute_minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  return info;
}

std::string cuda_versions() {
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  const auto v = [](int x) {
    return std::to_string(x / 1000) + "." + std::to_string(x % 1000 / 10);
  };
  return "driver " + v(driver) + ", runtime " + v(runtime);
}

}  // namespace ckptlab::hw
