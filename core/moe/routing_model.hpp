// The expert routing model: how many token-expert assignments each routed expert of each MoE
// layer receives per iteration. It drives MoC-System's lost-token accounting (PLT) and its
// load-aware expert selection.
//
// Every iteration routes tokens_per_iteration * top_k assignments in every MoE layer. How they
// spread over the E experts of a layer:
//   uniform  E equal shares (a perfectly balanced router).
//   zipf     the expert of popularity rank r (1-based) gets a share proportional to r^-s, with
//            the shares capped at 1/top_k (a token picks top_k distinct experts, so an expert
//            sees at most one assignment per token) and the excess spread over the others in
//            proportion (water-filling). Which expert holds which rank is a seeded random
//            permutation per layer; with reshuffle_every N > 0 a fresh permutation is drawn for
//            every block [kN, (k+1)N) of iterations, as real routing drifts during training.
//   trace    measured counts from a CSV (moe/routing_trace.hpp), a step function of iteration.
//
// The counts are expected values, not per-iteration samples: routing noise around the
// popularity averages out over the tens to thousands of iterations between checkpoints, and
// expected values keep the model cheap. Rates are piecewise constant over segments (one
// segment for uniform and fixed zipf, one per reshuffle block or trace row group otherwise), so
// "assignments since iteration a" is rate * length summed over the few segments in between:
// cost O(segments x layers x experts) per query, never per iteration. ~10^6 iterations x 58
// layers x 256 experts is therefore a few segment evaluations per checkpoint.
//
// Determinism: permutations come from std::mt19937_64 seeded by a SplitMix64 mix of (seed,
// layer, block) and Fisher-Yates with unbiased integer draws (failure/random_draws.hpp); no
// std:: distributions, so every machine gives the same routing for a seed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "moe/routing_trace.hpp"
#include "util/config_node.hpp"

namespace ckptlab {

struct RoutingSpec {
  enum class Kind { kUniform, kZipf, kTrace };
  Kind kind = Kind::kUniform;
  double zipf_exponent = 1.0;        // s >= 0 (0 is uniform)
  std::int64_t reshuffle_every = 0;  // iterations; 0: the popularity order never changes
  std::uint64_t seed = 1;
  std::shared_ptr<const RoutingTrace> trace;  // kTrace only

  // One line: "zipf s=1.2, order reshuffled every 500 iterations, seed 1".
  std::string describe() const;
};

// Decodes a policy's `routing:` mapping:
//   {distribution: uniform | zipf | trace, exponent: 1.2, reshuffle_every: 500, seed: 1,
//    file: trace.csv}
// exponent and reshuffle_every apply to zipf only, file to trace only (a relative path is taken
// from the directory of the scenario file). Unknown keys, keys of another distribution and bad
// values are InputErrors located at the key; a trace that does not parse is an InputError at its
// line and column.
RoutingSpec decode_routing(const ConfigNode& node);

class RoutingModel {
 public:
  // REQUIRES: moe_layers >= 1, 1 <= top_k <= experts, tokens_per_iteration >= 0. Throws
  // InputError when a trace names a layer or expert the model does not have.
  RoutingModel(RoutingSpec spec, std::int64_t moe_layers, std::int64_t experts, std::int64_t top_k,
               std::int64_t tokens_per_iteration);

  std::int64_t moe_layers() const { return layers_; }
  std::int64_t experts() const { return experts_; }
  const RoutingSpec& spec() const { return spec_; }
  // tokens_per_iteration * top_k: what uniform and zipf route per layer per iteration.
  double assignments_per_iteration() const { return per_iteration_; }

  // Assignments routed to `expert` of MoE layer `layer` in iteration `iteration` (0-based: the
  // iteration that takes the job from version `iteration` to `iteration + 1`).
  double assignments(std::int64_t layer, std::int64_t expert, std::int64_t iteration) const;
  // out[layer * experts + expert] += assignments in iterations [from, to), for every expert.
  // REQUIRES: 0 <= from <= to; out.size() == moe_layers * experts.
  void accumulate(std::int64_t from, std::int64_t to, std::vector<double>& out) const;
  // All assignments of one MoE layer in iterations [from, to) (T_i * TopK_i over that span).
  double layer_assignments(std::int64_t layer, std::int64_t from, std::int64_t to) const;
  // The popularity shares by rank, largest first, after the 1/top_k cap (sum 1). For a trace,
  // empty.
  const std::vector<double>& rank_shares() const { return shares_; }
  // The segment [first, end) holding `iteration`, over which every expert's rate is constant.
  std::pair<std::int64_t, std::int64_t> segment(std::int64_t iteration) const;

 private:
  struct Epoch {  // one block of a trace: rows from `start` until the next epoch
    std::int64_t start = 0;
    std::vector<std::pair<size_t, double>> rates;  // (layer * experts + expert, assignments)
    std::vector<double> layer_totals;
  };
  std::int64_t segment_index(std::int64_t iteration) const;
  // Rates of every expert in segment `index` (cached: consecutive queries hit one segment).
  // Not thread-safe: one model per policy.
  const std::vector<double>& rates(std::int64_t index) const;

  RoutingSpec spec_;
  std::int64_t layers_ = 0;
  std::int64_t experts_ = 0;
  double per_iteration_ = 0;
  std::vector<double> shares_;
  std::vector<Epoch> epochs_;
  mutable std::int64_t cached_index_ = -1;
  mutable std::vector<double> cached_rates_;
};

}  // namespace ckptlab
