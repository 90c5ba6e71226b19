// `ckptlab calibrate --backend cuda`: the host paths a GPU node also uses (storage, loopback,
// checksum) plus the device paths of hw/cuda (PCIe copies pinned and pageable, NCCL send/recv and
// all-gather, compute slow-down beside snapshot copies). Declared always; defined only in builds
// with CUDA (CKPTLAB_HAVE_CUDA), and the CLI calls it only there.
#pragma once

#include <string>

#include "hw/calibrate/calibrate.hpp"

namespace ckptlab::hw {

// Whether a CUDA device is present; otherwise `why` says so ("no CUDA device present").
bool cuda_calibration_possible(std::string* why);
// REQUIRES: cuda_calibration_possible(). Throws CudaError on a device error.
Calibration calibrate_cuda(const CalibrationOptions& options);

}  // namespace ckptlab::hw
