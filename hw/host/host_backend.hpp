// The host backend behind HarnessBackend: a TrainerState in host memory, the CPU compute phase
// and the HostExecutor, none of them owned.
#pragma once

#include <xxhash.h>

#include <cstring>

#include "hw/common/executor_forwarding.hpp"
#include "hw/host/compute_phase.hpp"
#include "hw/host/host_executor.hpp"
#include "hw/host/trainer_state.hpp"
#include "util/input_error.hpp"

namespace ckptlab::hw {

class HostBackend : public ExecutorForwarding<HostExecutor> {
 public:
  HostBackend(HostExecutor& executor, TrainerState& state, ComputePhase& compute)
      : ExecutorForwarding(executor), state_(state), compute_(compute) {}

  std::string name() const override { return "host"; }
  const HarnessLayout& layout() const override { return state_.layout(); }
  std::optional<std::int64_t> iteration(int rank) const override {
    return state_.rank(rank).iteration();
  }
  using HarnessBackend::iteration;
  Seconds compute() override { return compute_.run(); }
  void advance() override { state_.advance(); }
  bool can_catch_up(int rank, std::int64_t to) const override {
    return state_.rank(rank).can_catch_up(to);
  }
  void catch_up(int rank, std::int64_t to) override { state_.rank(rank).catch_up(to); }
  void destroy(int rank) override { state_.rank(rank).destroy(); }
  std::uint64_t checksum(int rank) const override { return state_.rank(rank).checksum(); }
  std::optional<std::int64_t> shard_iteration(int rank, std::size_t shard) const override {
    return state_.rank(rank).shard_iteration(shard);
  }
  std::uint64_t shard_checksum(int rank, std::size_t shard) const override {
    const auto s = state_.rank(rank).shard(shard);
    return XXH3_64bits(s.data(), s.size());
  }
  void read_shard(int rank, std::size_t shard, std::span<std::byte> out) const override {
    const auto s = state_.rank(rank).shard(shard);
    CKPTLAB_CHECK(out.size() == s.size(), "read_shard: the target is the shard's size");
    std::memcpy(out.data(), s.data(), s.size());
  }
  void mark_restored(int rank, std::int64_t iteration) override {
    state_.rank(rank).mark_restored(iteration);
  }

  PlanTiming execute(const HarnessPlan& plan) override { return exec_.execute(plan); }
  void start(const HarnessPlan& plan) override { exec_.start(plan); }
  void reserve(const HarnessPlan& plan) override { exec_.reserve(plan); }
  // The host executor runs every op kind and shard selections.
  std::optional<std::string> cannot_run(const HarnessPlan&) const override { return std::nullopt; }

 private:
  TrainerState& state_;
  ComputePhase& compute_;
};

}  // namespace ckptlab::hw
