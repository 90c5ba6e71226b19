// What every rank owns of the training state, in bytes per state class, split into the dense
// part and the routed-expert part (DESIGN.md §3 "ShardMap").
//
// Layout (Megatron's default order, TP fastest): rank = stage*(dp*tp) + dp_index*tp + tp_index;
// node = rank / gpus_per_node; EP rank = dp_index % ep, expert-DP index = dp_index / ep.
// Layers are spread over PP stages as evenly as possible (the first layers % pp stages take one
// more); stage 0 also holds the embeddings, the last stage the final norm and LM head.
// Sharding: TP splits every tensor of a stage; EP splits the experts of each MoE layer; ZeRO >= 1
// shards fp32 master weights and Adam moments over the data-parallel group (dense over dp,
// experts over the expert-DP group); ZeRO 3 shards the bf16 weights the same way. Every split
// distributes remainders so that sums over ranks are exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "cluster/parallel_config.hpp"
#include "model/model_spec.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct StateBytes {
  Bytes weights;    // bf16 model weights
  Bytes master;     // fp32 master weights
  Bytes optimizer;  // Adam moments
  Bytes total() const { return weights + master + optimizer; }
  StateBytes operator+(const StateBytes& o) const {
    return {weights + o.weights, master + o.master, optimizer + o.optimizer};
  }
};

struct RankShard {
  std::int64_t rank = 0;
  std::int64_t node = 0;
  std::int64_t stage = 0;
  std::int64_t dp_index = 0;
  std::int64_t tp_index = 0;
  std::int64_t ep_index = 0;
  StateBytes dense;
  StateBytes expert;  // all local routed-expert shards together
  std::int64_t local_experts_per_layer = 0;
  std::int64_t moe_layers_in_stage = 0;
  std::int64_t first_moe_layer = 0;  // MoE ordinal of the stage's first MoE layer
  Bytes gradients;  // bf16 gradients held during the step (not checkpointed)
  StateBytes total() const { return dense + expert; }
  Bytes gpu_bytes() const { return total().total() + gradients; }
};

class ShardMap {
 public:
  ShardMap(const ModelSpec& model, const ParallelConfig& parallel, const ClusterSpec& cluster);

  const std::vector<RankShard>& ranks() const { return ranks_; }
  const RankShard& rank(std::int64_t r) const { return ranks_.at(static_cast<size_t>(r)); }
  std::int64_t world() const { return static_cast<std::int64_t>(ranks_.size()); }

  // Sum over every rank (replicas included).
  StateBytes total_held() const;
  // One copy of the whole training state: what a full checkpoint contains.
  StateBytes unique_state() const;
  // The rank holding the most GPU state, for the memory check.
  const RankShard& largest_rank() const;
  // First and one-past-last layer of a pipeline stage.
  std::pair<std::int64_t, std::int64_t> stage_layers(std::int64_t stage) const;

 private:
  ModelSpec model_;  // a copy: a ShardMap outlives moves of whatever built it
  ParallelConfig parallel_;
  ClusterSpec cluster_;
  std::vector<RankShard> ranks_;
};

// Even split of `total` into `parts`, the first total % parts parts one larger. Sums exactly.
std::int64_t split_share(std::int64_t total, std::int64_t parts, std::int64_t index);

// Throws std::invalid_argument, with the numbers, when the largest rank's state (weights,
// master, optimizer and gradients) exceeds `gpu_memory`.
void check_fits_gpu_memory(const ShardMap& shards, Bytes gpu_memory);

}  // namespace ckptlab
