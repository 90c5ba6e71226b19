// Plans over the full training state, shared by the dense-checkpoint policies.
//
// Who writes what in a full checkpoint follows Megatron-LM's distributed checkpoint layout:
// each unique shard is written once. Weights (ZeRO < 3) are replicated over data parallelism, so
// only the first replica writes them (dp_index 0 for dense weights, expert-DP index 0 for
// expert weights); sharded fp32 master weights and optimizer state are written by the rank that
// owns them (ZeRO >= 1), or by the first replica (ZeRO 0). The imbalance this creates (some
// ranks write much more) is real and is what fully sharded checkpointing (MoC-System) removes.
#pragma once

#include <string>
#include <vector>

#include "cluster/shard_map.hpp"
#include "plan/plan.hpp"

namespace ckptlab {

// Bytes each rank writes for one full checkpoint; sums to ShardMap::unique_state().total().
std::vector<Bytes> full_checkpoint_bytes(const ShardMap& shards, int zero_stage, std::int64_t ep);
// Bytes each rank loads on restart: everything it holds.
std::vector<Bytes> full_load_bytes(const ShardMap& shards);

// GPU -> host snapshot then host -> `to` (both blocking unless `persist_blocking` is false).
Plan full_checkpoint_plan(const std::vector<Bytes>& writes, Tier to, bool persist_blocking,
                          const std::string& signature);
// `from` -> GPU for every rank, blocking.
Plan full_load_plan(const std::vector<Bytes>& loads, Tier from, const std::string& signature);

}  // namespace ckptlab
