#include "cluster/parallel_config.hpp"

#include <fmt/format.h>

namespace ckptlab {

ParallelConfig decode_parallel(const ConfigNode& node, const ClusterSpec& cluster,
                               const ModelSpec& model) {
  node.expect_keys({"tp", "pp", "dp", "ep", "zero_stage", "micro_batches", "global_batch_tokens"});
  ParallelConfig p;
  if (auto n = node.find("tp")) p.tp = n->as_positive_int();
  if (auto n = node.find("pp")) p.pp = n->as_positive_int();
  if (auto n = node.find("ep")) p.ep = n->as_positive_int();
  if (auto n = node.find("micro_batches")) p.micro_batches = n->as_positive_int();
  if (auto n = node.find("zero_stage")) {
    const auto z = n->as_int();
    if (z < 0 || z > 3) n->fail(fmt::format("ZeRO stage must be 0, 1, 2 or 3, got {}", z));
    p.zero_stage = static_cast<int>(z);
  }
  p.global_batch_tokens = node["global_batch_tokens"].as_count();
  if (p.global_batch_tokens <= 0) node["global_batch_tokens"].fail("must be positive");

  const std::int64_t gpus = cluster.gpus();
  // Each degree is checked against the GPU count before they are multiplied, so that absurd
  // values are reported instead of overflowing.
  if (p.tp > gpus) node["tp"].fail(fmt::format("tp = {} exceeds the cluster's {} GPUs", p.tp, gpus));
  if (p.pp > gpus) node["pp"].fail(fmt::format("pp = {} exceeds the cluster's {} GPUs", p.pp, gpus));
  if (p.ep > gpus) node["ep"].fail(fmt::format("ep = {} exceeds the cluster's {} GPUs", p.ep, gpus));
  const std::int64_t model_parallel = p.tp * p.pp;
  if (gpus % model_parallel != 0) {
    node.fail(fmt::format("tp * pp = {} * {} = {} does not divide the cluster's {} GPUs "
                          "({} nodes x {})",
                          p.tp, p.pp, model_parallel, gpus, cluster.nodes, cluster.gpus_per_node));
  }
  p.dp = gpus / model_parallel;
  if (auto n = node.find("dp")) {
    const auto dp = n->as_positive_int();
    if (dp != p.dp) {
      n->fail(fmt::format("tp * pp * dp = {} * {} * {} = {} GPUs, but the cluster has {} "
                          "({} nodes x {}); dp must be {}",
                          p.tp, p.pp, dp, p.tp * p.pp * dp, gpus, cluster.nodes,
                          cluster.gpus_per_node, p.dp));
    }
  }
  const ConfigNode ep_node = node.find("ep").value_or(node);
  if (p.dp % p.ep != 0) {
    ep_node.fail(fmt::format("ep = {} does not divide dp = {} (expert parallelism runs inside "
                             "the data-parallel group)", p.ep, p.dp));
  }
  if (model.is_moe() && model.experts % p.ep != 0) {
    ep_node.fail(fmt::format("ep = {} does not divide the {} experts of {}", p.ep, model.experts,
                             model.name));
  }
  if (!model.is_moe() && p.ep != 1) {
    ep_node.fail(fmt::format("ep = {} but {} is a dense model (no experts)", p.ep, model.name));
  }
  if (p.pp > model.layers) {
    node["pp"].fail(fmt::format("pp = {} exceeds the {} layers of {}", p.pp, model.layers,
                                model.name));
  }
  if (model.attention.heads % p.tp != 0) {
    node["tp"].fail(fmt::format("tp = {} does not divide the {} attention heads of {}", p.tp,
                                model.attention.heads, model.name));
  }
  if (p.global_batch_tokens < p.dp) {
    node["global_batch_tokens"].fail(fmt::format(
        "{} tokens per iteration is fewer than one per data-parallel replica (dp = {})",
        p.global_batch_tokens, p.dp));
  }
  return p;
}

}  // namespace ckptlab
