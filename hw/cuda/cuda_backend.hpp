// The CUDA backend behind HarnessBackend, for `ckptlab validate --backend cuda`: a CudaTrainer on
// one GPU holding every harness rank, the cuBLAS compute phase on its compute stream and the
// CudaExecutor, owned together. One GPU holds every rank, so there is no NCCL communicator (one
// rank per GPU is NCCL's rule) and plans that replicate are refused by cannot_run, as are those
// the CUDA executor does not implement: peer-to-host transfers and shard selections (MoEtion's
// windows). Plain C++ header: callers need neither nvcc nor the CUDA headers.
#pragma once

#include <memory>

#include "hw/common/executor_forwarding.hpp"
#include "hw/cuda/cuda_executor.hpp"
#include "hw/cuda/cuda_trainer.hpp"

namespace ckptlab::hw {

// Why the CUDA backend (without a communicator) cannot run `plan`; nullopt when it can.
std::optional<std::string> cuda_cannot_run(const HarnessPlan& plan);

class CudaBackend final : public ExecutorForwarding<CudaExecutor> {
 public:
  // Allocates every rank of `layout` on `device` at iteration 0 and sizes the compute phase to
  // about `compute` on the idle GPU. Throws CudaError when the device fails.
  CudaBackend(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert, int device,
              CudaExecutorOptions options, Seconds compute);

  std::string name() const override { return "cuda"; }
  const HarnessLayout& layout() const override { return trainer_.layout(); }
  std::optional<std::int64_t> iteration(int rank) const override {
    return trainer_.iteration(rank);
  }
  using HarnessBackend::iteration;
  Seconds compute() override { return compute_.run(); }
  void advance() override { trainer_.advance(); }
  // The CUDA executor restores whole states, so a rank's shards are always at one iteration.
  bool can_catch_up(int rank, std::int64_t to) const override;
  void catch_up(int rank, std::int64_t to) override;
  void destroy(int rank) override { trainer_.destroy(rank); }
  std::uint64_t checksum(int rank) const override { return trainer_.checksum(rank); }

  PlanTiming execute(const HarnessPlan& plan) override;
  void start(const HarnessPlan& plan) override;
  // Nothing to do: the executor allocates its pinned slots when it is built.
  void reserve(const HarnessPlan&) override {}
  std::optional<std::string> cannot_run(const HarnessPlan& plan) const override {
    return cuda_cannot_run(plan);
  }

 private:
  CudaTrainer trainer_;
  CudaExecutor executor_;
  CudaComputePhase compute_;
};

}  // namespace ckptlab::hw
