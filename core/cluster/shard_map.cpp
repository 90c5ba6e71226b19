#include "cluster/shard_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace ckptlab {

std::int64_t split_share(std::int64_t total, std::int64_t parts, std::int64_t index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

std::pair<std::int64_t, std::int64_t> ShardMap::stage_layers(std::int64_t stage) const {
  const std::int64_t base = model_.layers / parallel_.pp;
  const std::int64_t extra = model_.layers % parallel_.pp;
  const std::int64_t first = stage * base + std::min(stage, extra);
  return {first, first + base + (stage < extra ? 1 : 0)};
}

ShardMap::ShardMap(const ModelSpec& model, const ParallelConfig& parallel,
                   const ClusterSpec& cluster)
    : model_(model), parallel_(parallel), cluster_(cluster) {
  const std::int64_t tp = parallel.tp, pp = parallel.pp, dp = parallel.dp, ep = parallel.ep;
  const std::int64_t edp = parallel.expert_dp();
  const std::int64_t local_experts = model.is_moe() ? model.experts / ep : 0;

  // Parameters of each stage before TP/DP sharding.
  std::vector<std::int64_t> stage_dense(pp, 0), stage_moe_layers(pp, 0);
  for (std::int64_t s = 0; s < pp; ++s) {
    auto [first, last] = stage_layers(s);
    for (std::int64_t l = first; l < last; ++l) {
      stage_dense[s] += model.block_dense_params(l);
      if (model.is_moe_layer(l)) ++stage_moe_layers[s];
    }
    if (s == 0) stage_dense[s] += model.embedding_params();
    if (s == pp - 1) stage_dense[s] += model.head_params();
  }

  std::vector<std::int64_t> stage_first_moe(pp, 0);  // MoE ordinal of each stage's first
  for (std::int64_t s = 1; s < pp; ++s)
    stage_first_moe[s] = stage_first_moe[s - 1] + stage_moe_layers[s - 1];

  ranks_.reserve(static_cast<size_t>(parallel.world()));
  for (std::int64_t stage = 0; stage < pp; ++stage) {
    for (std::int64_t d = 0; d < dp; ++d) {
      for (std::int64_t t = 0; t < tp; ++t) {
        RankShard r;
        r.rank = static_cast<std::int64_t>(ranks_.size());
        r.node = r.rank / cluster.gpus_per_node;
        r.stage = stage;
        r.dp_index = d;
        r.tp_index = t;
        r.ep_index = d % ep;
        r.local_experts_per_layer = local_experts;
        r.moe_layers_in_stage = stage_moe_layers[stage];
        r.first_moe_layer = stage_first_moe[stage];

        // Dense parameters of this TP slice, and this rank's ZeRO share of them over dp.
        const std::int64_t dense_local = split_share(stage_dense[stage], tp, t);
        const std::int64_t dense_sharded = split_share(dense_local, dp, d);
        // Expert parameters of this EP rank's experts, TP slice, and ZeRO share over edp.
        const std::int64_t expert_total_stage =
            stage_moe_layers[stage] * model.experts * model.params_per_expert();
        const std::int64_t expert_ep = split_share(expert_total_stage, ep, r.ep_index);
        const std::int64_t expert_local = split_share(expert_ep, tp, t);
        const std::int64_t expert_sharded = split_share(expert_local, edp, d / ep);

        const bool zero_opt = parallel.zero_stage >= 1;
        const bool zero_weights = parallel.zero_stage >= 3;
        const bool zero_grads = parallel.zero_stage >= 2;
        const std::int64_t dense_opt = zero_opt ? dense_sharded : dense_local;
        const std::int64_t expert_opt = zero_opt ? expert_sharded : expert_local;
        const std::int64_t dense_w = zero_weights ? dense_sharded : dense_local;
        const std::int64_t expert_w = zero_weights ? expert_sharded : expert_local;
        r.dense = {{dense_w * model.weight_bytes},
                   {dense_opt * model.master_bytes},
                   {dense_opt * model.optimizer_bytes}};
        r.expert = {{expert_w * model.weight_bytes},
                    {expert_opt * model.master_bytes},
                    {expert_opt * model.optimizer_bytes}};
        const std::int64_t grads = zero_grads ? dense_sharded + expert_sharded
                                              : dense_local + expert_local;
        r.gradients = {grads * model.weight_bytes};
        ranks_.push_back(r);
      }
    }
  }
}

StateBytes ShardMap::total_held() const {
  StateBytes sum;
  for (const auto& r : ranks_) sum = sum + r.total();
  return sum;
}

StateBytes ShardMap::unique_state() const {
  const std::int64_t dense = model_.dense_params(), expert = model_.expert_params();
  return {{(dense + expert) * model_.weight_bytes},
          {(dense + expert) * model_.master_bytes},
          {(dense + expert) * model_.optimizer_bytes}};
}

const RankShard& ShardMap::largest_rank() const {
  return *std::max_element(ranks_.begin(), ranks_.end(), [](const auto& a, const auto& b) {
    return a.gpu_bytes() < b.gpu_bytes();
  });
}

void check_fits_gpu_memory(const ShardMap& shards, Bytes gpu_memory) {
  const RankShard& r = shards.largest_rank();
  if (r.gpu_bytes() <= gpu_memory) return;
  const StateBytes s = r.total();
  throw std::invalid_argument(fmt::format(
      "per-GPU model state {} (rank {}: weights {}, fp32 master {}, optimizer {}, gradients {}) "
      "exceeds GPU memory {}; raise tp, pp, ep or the ZeRO stage",
      format_size(r.gpu_bytes()), r.rank, format_size(s.weights), format_size(s.master),
      format_size(s.optimizer), format_size(r.gradients), format_size(gpu_memory)));
}

}  // namespace ckptlab
