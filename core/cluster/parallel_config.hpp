// How the model is split over the GPUs: tensor (TP), pipeline (PP), data (DP) and expert (EP)
// parallelism, the ZeRO stage of the optimizer sharding, and the batch.
//
// World = TP * PP * DP GPUs. Expert parallelism runs inside each data-parallel group: EP
// divides DP, each EP rank holds experts/EP routed experts of every MoE layer of its stage, and
// DP/EP ranks (the expert-data-parallel group) hold replicas of the same experts. Experts are
// split over TP like the dense layers (Megatron's expert tensor parallelism = TP).
#pragma once

#include <cstdint>

#include "cluster/cluster_spec.hpp"
#include "model/model_spec.hpp"
#include "util/config_node.hpp"

namespace ckptlab {

struct ParallelConfig {
  std::int64_t tp = 1;
  std::int64_t pp = 1;
  std::int64_t dp = 1;  // derived from the cluster when the scenario omits it
  std::int64_t ep = 1;
  int zero_stage = 1;  // 0: none; 1: optimizer + master sharded over DP; 2: + gradients; 3: + weights
  std::int64_t micro_batches = 1;
  std::int64_t global_batch_tokens = 0;  // tokens per iteration (all DP replicas together)

  std::int64_t world() const { return tp * pp * dp; }
  std::int64_t expert_dp() const { return dp / ep; }  // replicas of each expert shard
};

// Decodes `parallel:`; dp defaults to gpus / (tp * pp). Then validates against the cluster and
// the model, throwing InputError located at the disagreeing key with both numbers, for: degrees
// that do not divide the GPU count, EP not dividing DP or the expert count, PP > layers, TP not
// dividing the attention heads, micro_batches < pp is allowed (bubble) but must be >= 1.
ParallelConfig decode_parallel(const ConfigNode& node, const ClusterSpec& cluster,
                               const ModelSpec& model);

}  // namespace ckptlab
