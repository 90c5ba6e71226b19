#include "hw/common/state_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>

namespace ckptlab::hw {
namespace {

constexpr StateClass kClasses[] = {StateClass::kWeights, StateClass::kMaster,
                                   StateClass::kOptimizer};

std::int64_t class_bytes(const StateBytes& b, StateClass c) {
  switch (c) {
    case StateClass::kWeights:
      return b.weights.value;
    case StateClass::kMaster:
      return b.master.value;
    case StateClass::kOptimizer:
      return b.optimizer.value;
  }
  return 0;
}

// Scaled and aligned; a shard that exists at full size keeps at least one cache line, so every
// state class of every expert group is present (and checked) in the harness.
std::int64_t scaled(std::int64_t full, double scale) {
  if (full <= 0) return 0;
  const auto b = static_cast<std::int64_t>(std::floor(static_cast<double>(full) * scale));
  return std::max(kShardAlignment, b / kShardAlignment * kShardAlignment);
}

void add_shards(RankLayout& r, const StateBytes& dense, const StateBytes& expert_per_group,
                double scale) {
  auto salt = [&](size_t index) {
    return splitmix64(static_cast<std::uint64_t>(r.scenario_rank) * 1000003u + index);
  };
  for (StateClass c : kClasses) {
    const std::int64_t b = scaled(class_bytes(dense, c), scale);
    if (b > 0) {
      r.shards.push_back(
          {fmt::format("dense.{}", state_class_name(c)), -1, c, b, salt(r.shards.size())});
    }
  }
  for (int g = 0; g < r.expert_groups; ++g) {
    for (StateClass c : kClasses) {
      const std::int64_t b = scaled(class_bytes(expert_per_group, c), scale);
      if (b > 0) {
        r.shards.push_back({fmt::format("expert{:03}.{}", g, state_class_name(c)), g, c, b,
                            salt(r.shards.size())});
      }
    }
  }
}

}  // namespace

const char* state_class_name(StateClass c) {
  switch (c) {
    case StateClass::kWeights:
      return "weights";
    case StateClass::kMaster:
      return "master";
    case StateClass::kOptimizer:
      return "optimizer";
  }
  return "?";
}

std::int64_t RankLayout::bytes() const {
  std::int64_t sum = 0;
  for (const ShardSpec& s : shards) sum += s.bytes;
  return sum;
}

std::int64_t RankLayout::group_expert(int g, std::int64_t experts_per_layer) const {
  if (experts_per_group != 1 || local_experts_per_layer <= 0) return -1;
  const std::int64_t layer = first_moe_layer + g / local_experts_per_layer;
  return layer * experts_per_layer + ep_index * local_experts_per_layer +
         g % local_experts_per_layer;
}

std::int64_t HarnessLayout::bytes() const {
  std::int64_t sum = 0;
  for (const RankLayout& r : ranks) sum += r.bytes();
  return sum;
}

int HarnessLayout::peer_offset() const {
  std::map<std::int64_t, int> per_node;
  int most = 1;
  for (const RankLayout& r : ranks) most = std::max(most, ++per_node[r.scenario_node]);
  return most < world() ? most : 1;
}

std::vector<int> HarnessLayout::ranks_on_nodes_of(const std::vector<int>& failed) const {
  std::set<std::int64_t> nodes;
  for (int r : failed) nodes.insert(ranks.at(static_cast<size_t>(r)).scenario_node);
  std::vector<int> out;
  for (const RankLayout& r : ranks) {
    if (nodes.count(r.scenario_node)) out.push_back(r.rank);
  }
  return out;
}

std::string HarnessLayout::describe() const {
  std::string list;
  for (size_t i = 0; i < ranks.size() && i < 8; ++i) {
    list += fmt::format("{}{}", i ? ", " : "", ranks[i].scenario_rank);
  }
  if (ranks.size() > 8) list += ", ...";
  const std::string factor =
      scale >= 1.0 ? "full size" : fmt::format("scaled by 1/{:.0f}", 1.0 / scale);
  return fmt::format("{} of {} ranks ({}), state {} to {}", ranks.size(), scenario_world, list,
                     factor, format_size(Bytes{bytes()}));
}

HarnessLayout make_harness_layout(const ShardMap& shards, const HarnessOptions& options) {
  if (options.ranks < 1) throw std::invalid_argument("the harness needs at least one rank");
  if (options.budget.value <= 0) throw std::invalid_argument("the byte budget must be positive");
  if (options.max_expert_groups < 1) throw std::invalid_argument("max_expert_groups must be >= 1");
  std::vector<const RankShard*> first_replica;
  for (const RankShard& r : shards.ranks()) {
    if (r.dp_index == 0) first_replica.push_back(&r);
  }
  HarnessLayout layout;
  layout.scenario_world = shards.world();
  layout.candidates = static_cast<std::int64_t>(first_replica.size());
  const size_t n = std::min(first_replica.size(), static_cast<size_t>(options.ranks));
  std::vector<const RankShard*> picked;
  for (size_t i = 0; i < n; ++i) picked.push_back(first_replica[i * first_replica.size() / n]);

  double full = 0;
  for (const RankShard* r : picked) full += static_cast<double>(r->total().total().value);
  layout.scale = full > 0 ? std::min(1.0, static_cast<double>(options.budget.value) / full) : 1.0;

  for (size_t i = 0; i < picked.size(); ++i) {
    const RankShard& s = *picked[i];
    RankLayout r;
    r.rank = static_cast<int>(i);
    r.scenario_rank = s.rank;
    r.scenario_node = s.node;
    r.scenario_bytes = s.total().total().value;
    r.first_moe_layer = s.first_moe_layer;
    r.local_experts_per_layer = s.local_experts_per_layer;
    r.ep_index = s.ep_index;
    const std::int64_t experts = s.local_experts_per_layer * s.moe_layers_in_stage;
    r.expert_groups = static_cast<int>(std::min<std::int64_t>(experts, options.max_expert_groups));
    StateBytes per_group;
    if (r.expert_groups > 0) {
      r.experts_per_group = (experts + r.expert_groups - 1) / r.expert_groups;
      per_group = {Bytes{s.expert.weights.value / r.expert_groups},
                   Bytes{s.expert.master.value / r.expert_groups},
                   Bytes{s.expert.optimizer.value / r.expert_groups}};
    }
    add_shards(r, s.dense, per_group, layout.scale);
    layout.ranks.push_back(std::move(r));
  }
  return layout;
}

HarnessLayout make_uniform_layout(int ranks, int expert_groups, std::int64_t rank_bytes) {
  if (ranks < 1 || expert_groups < 0 || rank_bytes <= 0) {
    throw std::invalid_argument("make_uniform_layout: ranks >= 1, groups >= 0, bytes > 0");
  }
  HarnessLayout layout;
  layout.scenario_world = ranks;
  layout.candidates = ranks;
  // Mixed-precision Adam proportions (2 + 4 + 8 bytes per parameter), half dense, half experts.
  const double per_param = static_cast<double>(rank_bytes) / 14.0;
  const double dense_params = expert_groups > 0 ? per_param / 2 : per_param;
  const double group_params = expert_groups > 0 ? per_param / 2 / expert_groups : 0;
  auto bytes_for = [](double params) {
    return StateBytes{Bytes{static_cast<std::int64_t>(2 * params)},
                      Bytes{static_cast<std::int64_t>(4 * params)},
                      Bytes{static_cast<std::int64_t>(8 * params)}};
  };
  for (int i = 0; i < ranks; ++i) {
    RankLayout r;
    r.rank = i;
    r.scenario_rank = i;
    r.scenario_node = i;
    r.scenario_bytes = rank_bytes;
    r.expert_groups = expert_groups;
    add_shards(r, bytes_for(dense_params), bytes_for(group_params), 1.0);
    layout.ranks.push_back(std::move(r));
  }
  return layout;
}

std::vector<std::int64_t> route_tokens(const RankLayout& rank, std::uint64_t seed, std::int64_t n,
                                       int tokens_per_expert) {
  const int groups = rank.expert_groups;
  std::vector<std::int64_t> tokens(static_cast<size_t>(groups), 0);
  if (groups == 0) return tokens;
  // Fixed popularity per rank: Zipf(1) weights over a seeded permutation of the groups (expert
  // popularity in MoE training is persistent; the draw per iteration adds the noise).
  const std::uint64_t rank_seed =
      splitmix64(seed ^ splitmix64(0xC0FFEEull + static_cast<std::uint64_t>(rank.scenario_rank)));
  std::vector<int> order(static_cast<size_t>(groups));
  std::iota(order.begin(), order.end(), 0);
  std::uint64_t s = rank_seed;
  for (int i = groups - 1; i > 0; --i) {  // Fisher-Yates with splitmix64 draws
    s = splitmix64(s);
    std::swap(order[static_cast<size_t>(i)], order[s % static_cast<std::uint64_t>(i + 1)]);
  }
  std::vector<double> cdf(static_cast<size_t>(groups));
  double total = 0;
  for (int i = 0; i < groups; ++i) {
    total += 1.0 / (i + 1);
    cdf[static_cast<size_t>(i)] = total;
  }
  std::uint64_t x = splitmix64(rank_seed ^ splitmix64(static_cast<std::uint64_t>(n)));
  const std::int64_t draws = static_cast<std::int64_t>(tokens_per_expert) * groups;
  for (std::int64_t d = 0; d < draws; ++d) {
    x = splitmix64(x);
    // 53 random bits -> [0, total): exact and portable.
    const double u = static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0) * total;
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    const size_t pos = std::min(static_cast<size_t>(it - cdf.begin()), cdf.size() - 1);
    ++tokens[static_cast<size_t>(order[pos])];
  }
  return tokens;
}

}  // namespace ckptlab::hw
