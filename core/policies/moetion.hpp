// moetion: MoEtion / MoEvement (Gandhi & Kozyrakis, arXiv 2412.15411; NSDI '26 "MoEvement:
// Sparse Checkpointing for Fast and Reliable MoE Training"; code: Swapnil-Gandhi/MoEvement).
//
// Sparse checkpointing: every iteration snapshots one slot of a window of W_sparse iterations
// (moetion_window.hpp): the slot's active operators' fp32 master weights and Adam moments, and
// the bf16 weights of operators not yet captured in the window; the slot is replicated to the
// host memory of `replicas` other nodes. A window is a complete (sparse) checkpoint once its last slot
// is replicated. Upstream logging: each pipeline stage keeps the activations it sends forward
// and the gradients it sends backward in host memory for 2 W_sparse iterations.
// Recovery (sparse-to-dense conversion): the failed stage's data-parallel replica loads the last
// complete window and replays its W_sparse - 1 iterations (frozen operators skip weight
// gradients and optimizer steps: 2/3 of the cost), then catches up the c iterations done since,
// fed by its neighbours' logs, while every other rank pauses (localized recovery: no global
// rollback, no lost tokens). Every rank rolls back to the window instead (global rollback,
// conversion from host memory, the iterations since are lost work) when there are no
// pipeline-stage logs (pp = 1), a failure strikes during a recovery, or a whole pipeline column
// (every stage of one data-parallel replica) is down. Full dense reload from storage when no
// window has completed yet or every copy of a failed node's window is lost.
//
// Parameters: replicas (other nodes holding a copy of each window, default 1), upstream_logging (default
// true; needs pp >= 2, else recovery rolls every rank back to the window), persist_interval
// (dense persist to storage in the background, default 3h), window (W_sparse in iterations,
// default: the PCIe rule above; 1 to the largest rank's operator count).
// Choices where the papers leave room: copies go to the next `replicas` nodes (MoEvement
// replicates to data-parallel peers; with Megatron/DeepSpeed rank order a stage's DP peers share
// a node, and a copy on the failed node survives nothing); the window is built from the
// ShardMap's bytes (ZeRO
// shards included); catch-up iterations from logs cost a full iteration each (no pipeline
// bubble saved); the dense persist snapshots the full state GPU -> host -> storage beside
// training; expert order is by index (uniform routing) unless an order is given.
#pragma once

#include <optional>
#include <vector>

#include "policies/moetion_window.hpp"
#include "policy/policy.hpp"

namespace ckptlab {

class MoetionPolicy final : public Policy {
 public:
  MoetionPolicy(const ConfigNode& node, const PolicyContext& context);

  std::string kind() const override { return "moetion"; }
  const Plan* checkpoint_plan(std::int64_t iteration) override;
  Tier durable_tier() const override { return Tier::kPeerHost; }
  RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                             std::int64_t iteration) override;
  void on_recovered() override { recovering_ = false; }
  Bytes checkpoint_bytes() const override { return window_bytes_; }
  std::int64_t interval_iterations() const override { return 1; }
  std::string describe() const override;
  std::map<std::string, std::string> sources() const override;
  std::vector<std::pair<std::string, const Plan*>> explain_plans() override;

  const MoetionWindow& window() const { return window_; }
  // Host memory the upstream logs take on the busiest node (kept 2 W_sparse iterations).
  Bytes log_bytes_per_node() const { return log_per_node_; }

 private:
  bool window_survives(const std::vector<std::int64_t>& failed) const;
  bool pipeline_column_down(const std::vector<std::int64_t>& failed) const;
  const Plan& localized_load(const std::vector<std::int64_t>& failed);

  const ShardMap& shards_;
  ClusterSpec cluster_;
  ParallelConfig parallel_;
  Seconds iteration_time_;
  int replicas_ = 1;
  bool logging_ = true;
  std::int64_t persist_every_ = 1;
  MoetionWindow window_;
  std::vector<Bytes> log_per_rank_;  // bytes logged per iteration by each rank
  Bytes log_per_node_;
  Bytes window_bytes_;
  std::vector<Plan> slots_;            // one plan per slot
  Plan last_slot_with_persist_;
  Plan window_load_;                   // every rank loads the window from host memory
  Plan storage_load_;
  Plan localized_load_;  // the last localized recovery's plan
  bool recovering_ = false;
  bool window_set_ = false;  // W_sparse from the `window` key, not the PCIe rule
  bool budget_is_network_ = false;  // the NICs, not PCIe, bound the slot size
};

// A checkpoint plan of MoetionPolicy seen from outside: which slot of its window it is, and
// which of its ops carry the slot (the sparse snapshot and its replicates; the last slot's
// dense snapshot + persist are not). The hardware harness maps a slot onto its own shards.
struct MoetionSlotPlan {
  std::int64_t slot = 0;  // 0 .. w_sparse - 1
  std::int64_t w_sparse = 1;
  size_t snapshot_op = 0;             // GPU -> host: the slot's state plus the upstream logs
  std::vector<size_t> replicate_ops;  // host -> peer host: the slot's state
};
// nullopt for any plan that is not a MoEtion slot.
std::optional<MoetionSlotPlan> moetion_slot_plan(const Plan& plan);
// Whether `plan` is one of MoetionPolicy's window loads (global or localized): its ranks with
// bytes restore the whole window, every operator at the iteration its slot captured it.
bool moetion_loads_window(const Plan& plan);

}  // namespace ckptlab
