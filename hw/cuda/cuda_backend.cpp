#include "hw/cuda/cuda_backend.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace ckptlab::hw {

std::optional<std::string> cuda_cannot_run(const HarnessPlan& plan) {
  for (size_t i = 0; i < plan.plan.ops.size(); ++i) {
    const Op& op = plan.plan.ops[i];
    if (plan.selection(i)) {
      return fmt::format(
          "op '{}' moves a selection of shards, which the CUDA executor does not "
          "implement yet",
          op.label);
    }
    if (op.kind == OpKind::kTransfer)
      return fmt::format("op '{}' is a transfer, which the CUDA executor does not implement yet",
                         op.label);
    if (op.kind == OpKind::kReplicate) {
      return fmt::format(
          "op '{}' replicates to a peer, which needs one GPU per harness rank "
          "(NCCL); every rank is on one GPU here",
          op.label);
    }
  }
  return std::nullopt;
}

CudaBackend::CudaBackend(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert,
                         int device, CudaExecutorOptions options, Seconds compute)
    : ExecutorForwarding(executor_),
      trainer_(layout, seed, device, tokens_per_expert),
      executor_(trainer_, std::move(options)),
      compute_(compute, device, trainer_.compute_stream()) {}

bool CudaBackend::can_catch_up(int rank, std::int64_t to) const {
  const std::optional<std::int64_t> now = trainer_.iteration(rank);
  return now && *now <= to;
}

void CudaBackend::catch_up(int rank, std::int64_t to) {
  while (trainer_.iteration(rank).value_or(to) < to) trainer_.advance(rank);
}

PlanTiming CudaBackend::execute(const HarnessPlan& plan) {
  if (auto why = cuda_cannot_run(plan)) throw std::invalid_argument(*why);
  return executor_.execute(plan.plan);
}

void CudaBackend::start(const HarnessPlan& plan) {
  if (auto why = cuda_cannot_run(plan)) throw std::invalid_argument(*why);
  executor_.start(plan.plan);
}

}  // namespace ckptlab::hw
