// Which CUDA device this process would run on, if any. Plain C++ header: callers need neither
// nvcc nor the CUDA headers.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "util/units.hpp"

namespace ckptlab::hw {

struct DeviceInfo {
  int index = 0;          // CUDA device ordinal
  int device_count = 0;   // devices visible to this process (CUDA_VISIBLE_DEVICES applies)
  std::string name;       // e.g. "NVIDIA H200"
  Bytes total_memory;     // global memory
  int compute_major = 0;  // compute capability, e.g. 9.0 for Hopper
  int compute_minor = 0;
  int multiprocessors = 0;
};

// A CUDA runtime call failed for a reason other than "there is no GPU here".
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Describes device `index`, or returns nullopt when it is not present: no CUDA driver installed,
// no device (cudaErrorNoDevice, or a count of 0), or index >= the device count. Never crashes
// on a machine without a GPU. Throws CudaError for any other failure, for instance a driver
// older than the runtime, so that a broken installation is not mistaken for a missing GPU.
// REQUIRES: index >= 0 (std::invalid_argument otherwise).
std::optional<DeviceInfo> query_cuda_device(int index = 0);

// "driver 13.0, runtime 13.0": for the calibration stamp.
std::string cuda_versions();

}  // namespace ckptlab::hw
