// Maps a policy's scenario-sized plan onto the hardware harness, and an executor wrapper that
// does so before every plan (LevelDB's EnvWrapper idea): the host (or CUDA) executor and the
// analytic executor then run the *same* scaled plans, which is what makes their timings
// comparable in `ckptlab validate`.
#pragma once

#include <string>

#include "exec/executor.hpp"
#include "hw/common/harness_plan.hpp"
#include "hw/common/state_layout.hpp"

namespace ckptlab::hw {

class PlanScaler {
 public:
  explicit PlanScaler(HarnessLayout layout) : layout_(std::move(layout)) {}

  // Same ops, kinds, tiers, dependencies, blocking flags and compute times; rank_bytes holds one
  // entry per harness rank. Harness rank i moves what scenario rank layout.ranks[i].scenario_rank
  // moves: its whole harness state when the scenario rank moves at least its whole state, else
  // the same fraction of its harness state (at least one byte when it moves anything). Ops
  // without bytes stay without. The signature is prefixed "harness:" (memoization keys differ
  // from the full-size plan's). REQUIRES: every op's rank_bytes is empty or covers every sampled
  // scenario rank (std::invalid_argument).
  Plan scale(const Plan& plan) const;
  // scale(), and for the plans of policies that move chosen parts of a rank's state, which
  // shards each op moves (rank_bytes then count those shards, plus logs):
  // - a MoEtion slot (moetion_slot_plan): the harness ranks' operators are their expert groups
  //   in index order, then the dense part (MoEtion's order under uniform routing: experts, then
  //   the non-expert operator); operator o of O is active in slot ceil((o + 1) W / O) - 1, so
  //   the last slot always has one. Slot s copies all three state classes of its active
  //   operators and the weights of the operators after it (frozen). MoEtion itself does not copy
  //   an active operator's bf16 weights (they are rounded from its fp32 master copy); the
  //   synthetic state's weights are not derived from anything, so the harness copies them.
  //   The snapshot also copies the slot's upstream logs, scaled (snapshot bytes minus the
  //   replicated bytes of the scenario rank; none without replicas).
  // - a MoEtion window load: a rank with bytes loads its whole window, i.e. every shard.
  // - an op with a StateSelection (Op::state: MoC-System's partial checkpoints and their loads)
  //   moves, on each rank the scenario op gives bytes, the shards of the classes selected for
  //   the non-expert state and for the expert each group holds (RankLayout::group_expert), or
  //   every shard on a node in whole_state_nodes (OpShards::per_shard). A harness rank writes
  //   its whole non-expert state where MoC-System's fully sharded layout spreads the replicated
  //   part over the data-parallel replicas: the harness holds one replica, and must be able to
  //   restore what it holds. Throws std::invalid_argument when the layout folds several experts
  //   into a group (the selection is per expert).
  HarnessPlan map(const Plan& plan) const;
  const HarnessLayout& layout() const { return layout_; }

 private:
  HarnessLayout layout_;
};

// Scales every plan, then forwards it to `inner` (an AnalyticExecutor on the harness cluster, to
// predict what the hardware executor will measure). `inner` must outlive this.
class ScaledExecutor final : public Executor {
 public:
  ScaledExecutor(const PlanScaler& scaler, Executor& inner) : scaler_(scaler), inner_(inner) {}
  PlanTiming execute(const Plan& plan) override { return inner_.execute(scaler_.map(plan).plan); }
  std::string backend_name() const override { return inner_.backend_name(); }
  std::string method() const override;

 private:
  const PlanScaler& scaler_;
  Executor& inner_;
};

// The cluster the harness stands for when the analytic executor predicts it: one node whose
// "GPUs" are the harness ranks (they share the node's disk and network, as the threads of the
// host backend share the machine's).
ClusterSpec harness_cluster(const HarnessLayout& layout);

}  // namespace ckptlab::hw
