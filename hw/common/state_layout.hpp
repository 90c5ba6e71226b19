// The shape of the synthetic MoE trainer state the hardware harness holds (DESIGN.md §5 "hw"):
// which ranks of a scenario it stands for, the shards each of them owns and their (scaled) bytes,
// the router that decides which experts an iteration updates, and the update rule itself.
//
// The state after iteration n is a pure function of (seed, n): word i of a shard starts as
// splitmix64(shard salt + i), and iteration n rewrites every word of every shard that received
// tokens with update_word(). The rule is integer-only and written once here (host and device
// code include it), so a GPU-resident state and the host reference agree bit for bit.
//
// Plain C++ with no CUDA dependency; the word functions (state_words.hpp) are also compiled by
// nvcc for the device-resident state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/shard_map.hpp"
#include "hw/common/state_words.hpp"
#include "util/units.hpp"

namespace ckptlab::hw {

enum class StateClass : std::uint8_t { kWeights, kMaster, kOptimizer };
const char* state_class_name(StateClass c);  // "weights", "master", "optimizer"

// One contiguous buffer of a rank's state: the dense part of one state class, or one expert
// group's part of one state class.
struct ShardSpec {
  std::string id;         // file-name safe: "dense.weights", "expert07.optimizer"
  int expert_group = -1;  // -1: dense (updated every iteration); else the router group
  StateClass state_class = StateClass::kWeights;
  std::int64_t bytes = 0;  // a multiple of kShardAlignment, at least kShardAlignment
  std::uint64_t salt = 0;  // distinguishes shards in the update rule (from rank and index)
};

inline constexpr std::int64_t kShardAlignment = 64;  // whole cache lines, whole 8-byte words

struct RankLayout {
  int rank = 0;                    // harness rank, 0..world-1
  std::int64_t scenario_rank = 0;  // the ShardMap rank it stands for
  std::int64_t scenario_node = 0;  // that rank's node: a failure takes down all harness ranks on it
  std::int64_t scenario_bytes = 0;  // that rank's full-size state (weights + master + optimizer)
  int expert_groups = 0;            // router groups (local experts, folded when there are many)
  std::int64_t experts_per_group = 1;
  // Where the rank's experts sit in the model (ShardMap): unfolded, group g is local expert
  // g % local_experts_per_layer of the stage's MoE layer g / local_experts_per_layer.
  std::int64_t first_moe_layer = 0;
  std::int64_t local_experts_per_layer = 0;
  std::int64_t ep_index = 0;
  // The model-wide index (MoE ordinal * experts_per_layer + expert: ExpertMask order) of the one
  // expert group g holds, or -1 when groups fold several experts.
  std::int64_t group_expert(int g, std::int64_t experts_per_layer) const;
  std::vector<ShardSpec> shards;  // canonical order: dense w, m, o; then group 0 w, m, o; ...
  std::int64_t bytes() const;
};

struct HarnessLayout {
  std::vector<RankLayout> ranks;
  double scale = 1.0;               // harness bytes / scenario bytes of the sampled ranks
  std::int64_t scenario_world = 0;  // ranks in the scenario
  std::int64_t candidates = 0;      // ranks of the first data-parallel replica (tp * pp)
  int world() const { return static_cast<int>(ranks.size()); }
  std::int64_t bytes() const;
  // Rank r replicates to rank (r + peer_offset()) % world: the most harness ranks any scenario
  // node holds (1 when each is on its own node), so that a peer is on another node whenever the
  // harness has one, as replica placement requires.
  int peer_offset() const;
  // Harness ranks on the scenario nodes of `ranks` (sorted): what one node failure destroys.
  std::vector<int> ranks_on_nodes_of(const std::vector<int>& ranks) const;
  // "4 of 8192 ranks (0, 2048, 4096, 6144), state scaled by 1/9164 to 256.00 MB"
  std::string describe() const;
};

struct HarnessOptions {
  int ranks = 4;                     // harness ranks wanted (capped at the candidates)
  Bytes budget{256LL << 20};         // total state of all harness ranks (never scaled up)
  int max_expert_groups = 32;        // local experts beyond this are folded into groups
  int router_tokens_per_expert = 4;  // expert assignments drawn per iteration per local expert
};

// Picks the harness ranks and sizes their shards. The ranks are taken from the first
// data-parallel replica (dp_index 0), evenly spread over its tp * pp ranks, because those ranks
// write exactly the state they hold in a full checkpoint (weights of the first replica plus
// their master/optimizer shards, for every ZeRO stage): the checkpoint, the held state and the
// loaded state are then the same bytes, which bit-exact recovery checks need. Every shard of
// every sampled rank is scaled by the same factor, min(1, budget / their full-size bytes), and
// rounded to kShardAlignment. REQUIRES: options.ranks >= 1, budget > 0 (std::invalid_argument).
HarnessLayout make_harness_layout(const ShardMap& shards, const HarnessOptions& options);

// A layout without a scenario, for tests and calibration: `ranks` ranks, each with one dense
// shard per state class and `expert_groups` expert groups, `rank_bytes` per rank in total.
HarnessLayout make_uniform_layout(int ranks, int expert_groups, std::int64_t rank_bytes);

// Tokens routed to each expert group of `layout.ranks[rank]` in iteration n (1-based: the
// iteration that produces state n). A seeded, skewed router: each rank's groups have a fixed
// Zipf(1) popularity over a seeded permutation, and tokens_per_expert * groups assignments are
// drawn per iteration, so unpopular groups often receive none and are not updated. A pure
// function of (seed, rank's scenario rank, n); portable (no std:: distributions).
std::vector<std::int64_t> route_tokens(const RankLayout& rank, std::uint64_t seed, std::int64_t n,
                                       int tokens_per_expert);

}  // namespace ckptlab::hw
