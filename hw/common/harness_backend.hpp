// What a short training job on the hardware harness drives (hw/validate/harness_job): a backend's
// trainer state, its compute phase and its executor behind one interface, so that the same job
// loop, failure injection and bit-exact checks run on the host backend (HostBackend: memory,
// threads, loopback sockets) and on a GPU (CudaBackend: device memory, CUDA streams, NCCL).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "hw/common/harness_plan.hpp"
#include "hw/common/plan_report.hpp"
#include "hw/common/state_layout.hpp"
#include "util/units.hpp"

namespace ckptlab::hw {

class HarnessBackend {
 public:
  virtual ~HarnessBackend() = default;
  virtual std::string name() const = 0;  // "host", "cuda"

  // --- the trainer state (every harness rank of the layout)
  virtual const HarnessLayout& layout() const = 0;
  int world() const { return layout().world(); }
  // The iteration every shard of `rank` holds; nullopt while destroyed or while its shards hold
  // different iterations (a window was loaded).
  virtual std::optional<std::int64_t> iteration(int rank) const = 0;
  // Every rank at one iteration (CKPTLAB_CHECK otherwise).
  std::int64_t iteration() const;
  // The forward + backward: reads the state, changes none of it. Returns its wall time.
  virtual Seconds compute() = 0;
  // The update of iteration n -> n + 1 on every rank.
  virtual void advance() = 0;
  // Whether rank `rank` can be brought to iteration `to` by replaying updates (every shard
  // restored, none after `to`), and doing it.
  virtual bool can_catch_up(int rank, std::int64_t to) const = 0;
  virtual void catch_up(int rank, std::int64_t to) = 0;
  virtual void destroy(int rank) = 0;                  // a failure: poisons the rank's state
  virtual std::uint64_t checksum(int rank) const = 0;  // XXH3-64 of its state, shards in order

  // --- shard by shard, for lossy recoveries (RecoveryPlan::lossy), whose restored shards stay at
  // the iterations of the copies they came from. A backend that restores whole states only
  // (cannot_run refuses shard selections) keeps these defaults, which throw std::logic_error.
  virtual std::optional<std::int64_t> shard_iteration(int rank, std::size_t shard) const;
  virtual std::uint64_t shard_checksum(int rank, std::size_t shard) const;
  virtual void read_shard(int rank, std::size_t shard, std::span<std::byte> out) const;
  // Training goes on from the restored shards as they are: every shard now counts as `iteration`.
  virtual void mark_restored(int rank, std::int64_t iteration);

  // --- the executor (HostExecutor's contract: start returns after the blocking ops)
  virtual PlanTiming execute(const HarnessPlan& plan) = 0;  // start + finish; throws if not ok
  virtual void start(const HarnessPlan& plan) = 0;
  virtual bool in_flight() const = 0;
  virtual bool running() const = 0;
  virtual bool gpu_reads_in_flight() const = 0;
  virtual void wait_gpu_reads() = 0;
  virtual PlanReport finish() = 0;
  virtual void cancel() = 0;
  virtual void set_failure_hook(FailureHook hook) = 0;
  virtual void set_load_version(std::optional<std::int64_t> version) = 0;
  virtual void lose_host_memory(int rank) = 0;
  virtual void reserve(const HarnessPlan& plan) = 0;
  // Why this backend cannot run `plan` (nullopt: it can), e.g. an op kind it does not implement.
  virtual std::optional<std::string> cannot_run(const HarnessPlan& plan) const = 0;
};

}  // namespace ckptlab::hw
