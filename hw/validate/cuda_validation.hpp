// `ckptlab validate --backend cuda`: the CUDA backend as a validation target (every harness rank
// on one GPU, cuBLAS compute phase, pinned-memory snapshots, checkpoint files). Declared always;
// defined only in builds with CUDA (CKPTLAB_HAVE_CUDA), and the CLI calls it only there, after
// cuda_calibration_possible() found a device.
#pragma once

#include "hw/validate/validation.hpp"

namespace ckptlab::hw {

// Policies whose plans replicate, transfer or select shards are skipped with the reason
// (cuda_cannot_run). The compute phase is sized to options.compute on the idle GPU.
HarnessTarget cuda_target(const ValidationOptions& options, int device = 0);

}  // namespace ckptlab::hw
