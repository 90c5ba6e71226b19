// The compute phase of a synthetic training iteration on the host: a fixed amount of CPU work
// (small single-precision GEMMs that stay in cache), sized once so that it takes a target time
// on an idle core. The work is fixed, not the time: when background checkpoint threads compete
// for the core or its caches, the phase takes longer, and that is the slow-down calibrate and
// validate measure. (The CUDA backend's phase is cuBLAS GEMMs: hw/cuda/cuda_trainer.)
#pragma once

#include <cstdint>

#include "util/units.hpp"

namespace ckptlab::hw {

class ComputePhase {
 public:
  // Measures the work rate (a few short trial runs, best of them) and fixes the number of GEMMs
  // so that run() takes about `target`. REQUIRES: target > 0 (std::invalid_argument).
  explicit ComputePhase(Seconds target);
  // A phase of exactly `gemms` GEMMs (tests that need a known amount of work).
  static ComputePhase with_gemms(std::int64_t gemms);

  // Runs the phase; returns its wall time (steady clock).
  Seconds run();
  std::int64_t gemms() const { return gemms_; }
  Seconds target() const { return target_; }
  // What run() would take on an idle core, from the trial runs.
  Seconds expected() const { return Seconds{static_cast<double>(gemms_) * seconds_per_gemm_}; }

 private:
  ComputePhase() = default;
  void gemm_batch(std::int64_t count);

  std::int64_t gemms_ = 1;
  double seconds_per_gemm_ = 0;
  Seconds target_;
  float sink_ = 0;  // keeps the compiler from removing the work
};

}  // namespace ckptlab::hw
