// A plan as the hardware harness runs it: the policy's plan scaled to the harness ranks
// (PlanScaler), plus, for ops that move a chosen subset of a rank's shards instead of its
// leading ones, which shards. MoEtion's sparse snapshots are such ops: slot s of a window copies
// the optimizer state of one chunk of operators and the weights of the operators after it, so
// that a window is complete only once its last slot is written, with each shard at the
// iteration of the slot that captured it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "plan/plan.hpp"

namespace ckptlab::hw {

struct OpShards {
  // Per harness rank: indices into its RankLayout::shards, ascending. A rank with none moves
  // nothing.
  std::vector<std::vector<std::size_t>> ranks;
  // Per harness rank (empty: none): bytes of upstream logs a snapshot copies beside the shards
  // (activations and gradients a pipeline stage sends on; not part of the restorable state).
  std::vector<std::int64_t> log_bytes;
  // The first step of a checkpoint spread over several plans: the host copy being built starts
  // empty instead of keeping shards from an earlier, unfinished window.
  bool starts_window = false;
  // Shards kept one by one instead of as a window (MoC-System's partial checkpoints: an op moves
  // the shards its Op::state selects): a snapshot updates each copied shard's host copy, a persist
  // writes the chosen shards as its version's files, and a load restores each shard from its
  // newest copy at or before the load's version on the op's tier.
  bool per_shard = false;
};

struct HarnessPlan {
  Plan plan;  // rank_bytes: what each harness rank moves (its chosen shards plus logs)
  // Empty, or one entry per op: nullopt for an op that moves a rank's leading shards covering
  // its rank_bytes (the whole state for a whole-state op).
  std::vector<std::optional<OpShards>> shards;
  // The shards op `op` moves, or nullptr when it moves a rank's leading shards.
  const OpShards* selection(std::size_t op) const {
    return op < shards.size() && shards[op] ? &*shards[op] : nullptr;
  }
};

}  // namespace ckptlab::hw
