#include "hw/common/plan_scaler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "policies/moetion.hpp"

namespace ckptlab::hw {
namespace {

// Harness operators of a rank as shard indices: expert groups in index order, then dense.
std::vector<std::vector<std::size_t>> harness_operators(const RankLayout& r) {
  std::vector<std::vector<std::size_t>> ops(static_cast<size_t>(r.expert_groups) + 1);
  for (std::size_t k = 0; k < r.shards.size(); ++k) {
    const int g = r.shards[k].expert_group;
    ops[g < 0 ? ops.size() - 1 : static_cast<size_t>(g)].push_back(k);
  }
  return ops;
}

// Shards rank `r` copies in slot `slot` of a window of `w`, ascending.
std::vector<std::size_t> slot_shards(const RankLayout& r, std::int64_t slot, std::int64_t w) {
  const auto ops = harness_operators(r);
  const auto count = static_cast<std::int64_t>(ops.size());
  std::vector<std::size_t> out;
  for (std::int64_t o = 0; o < count; ++o) {
    const std::int64_t active = ((o + 1) * w + count - 1) / count - 1;
    for (std::size_t k : ops[static_cast<size_t>(o)]) {
      if (active == slot || (active > slot && r.shards[k].state_class == StateClass::kWeights))
        out.push_back(k);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::int64_t bytes_of(const RankLayout& r, const std::vector<std::size_t>& shards) {
  std::int64_t b = 0;
  for (std::size_t k : shards) b += r.shards[k].bytes;
  return b;
}

// Shards of rank `r` an op with StateSelection `sel` moves. Throws std::invalid_argument when the
// rank's expert groups fold several experts (a selection is per expert).
std::vector<std::size_t> selected_shards(const RankLayout& r, const StateSelection& sel) {
  const auto& whole = sel.whole_state_nodes;
  const bool all = std::find(whole.begin(), whole.end(), r.scenario_node) != whole.end();
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < r.shards.size(); ++k) {
    const ShardSpec& s = r.shards[k];
    unsigned classes = sel.dense_classes;
    if (s.expert_group >= 0) {
      const std::int64_t e = r.group_expert(s.expert_group, sel.experts_per_layer);
      if (e < 0 || e >= static_cast<std::int64_t>(sel.expert_classes.size())) {
        throw std::invalid_argument(fmt::format(
            "the harness folds {} experts into each of rank {}'s {} expert groups, but the plan "
            "selects single experts: give the harness more expert groups",
            r.experts_per_group, r.scenario_rank, r.expert_groups));
      }
      classes = sel.expert_classes[static_cast<size_t>(e)];
    }
    if (all || (classes & (1u << static_cast<unsigned>(s.state_class)))) out.push_back(k);
  }
  return out;
}

}  // namespace

HarnessPlan PlanScaler::map(const Plan& plan) const {
  HarnessPlan out{scale(plan), {}};
  const auto world = layout_.ranks.size();
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    if (!plan.ops[i].state) continue;
    OpShards sel;
    sel.per_shard = true;
    Op& op = out.plan.ops[i];
    for (size_t r = 0; r < world; ++r) {
      // A rank the scenario's op gives no bytes moves nothing (a failed rank's host load).
      sel.ranks.push_back(op.rank_bytes.at(r).value > 0
                              ? selected_shards(layout_.ranks[r], *plan.ops[i].state)
                              : std::vector<std::size_t>{});
      op.rank_bytes[r] = Bytes{bytes_of(layout_.ranks[r], sel.ranks.back())};
    }
    out.shards.resize(out.plan.ops.size());
    out.shards[i] = std::move(sel);
  }
  if (!out.shards.empty()) return out;
  if (moetion_loads_window(plan)) {
    for (Op& op : out.plan.ops) {
      for (size_t r = 0; r < op.rank_bytes.size(); ++r) {
        if (op.rank_bytes[r].value > 0) op.rank_bytes[r] = Bytes{layout_.ranks[r].bytes()};
      }
    }
    return out;
  }
  const auto slot = moetion_slot_plan(plan);
  if (!slot) return out;
  OpShards state;
  state.starts_window = slot->slot == 0;
  for (const RankLayout& r : layout_.ranks)
    state.ranks.push_back(slot_shards(r, slot->slot, slot->w_sparse));
  OpShards snapshot = state;
  const Op& snap = plan.ops.at(slot->snapshot_op);
  const Op& replica = plan.ops.at(slot->replicate_ops.empty() ? slot->snapshot_op
                                                              : slot->replicate_ops.front());
  for (size_t r = 0; r < world; ++r) {
    const RankLayout& l = layout_.ranks[r];
    const auto s = static_cast<size_t>(l.scenario_rank);
    const std::int64_t replicated = replica.rank_bytes.at(s).value;
    const std::int64_t logs = std::max<std::int64_t>(0, snap.rank_bytes.at(s).value - replicated);
    snapshot.log_bytes.push_back(
        std::llround(static_cast<double>(logs) * static_cast<double>(l.bytes()) /
                     static_cast<double>(l.scenario_bytes)));
  }
  out.shards.resize(out.plan.ops.size());
  const auto assign = [&](size_t i, const OpShards& sel) {
    Op& op = out.plan.ops.at(i);
    for (size_t r = 0; r < world; ++r) {
      const std::int64_t logs = sel.log_bytes.empty() ? 0 : sel.log_bytes[r];
      op.rank_bytes.at(r) = Bytes{bytes_of(layout_.ranks[r], sel.ranks[r]) + logs};
    }
    out.shards[i] = sel;
  };
  assign(slot->snapshot_op, snapshot);
  for (size_t i : slot->replicate_ops) assign(i, state);
  return out;
}

Plan PlanScaler::scale(const Plan& plan) const {
  Plan out;
  out.signature = "harness:" + plan.signature;
  for (const Op& op : plan.ops) {
    Op scaled = op;
    if (!op.rank_bytes.empty()) {
      scaled.rank_bytes.clear();
      for (const RankLayout& r : layout_.ranks) {
        const auto s = static_cast<size_t>(r.scenario_rank);
        if (s >= op.rank_bytes.size()) {
          throw std::invalid_argument(
              fmt::format("op '{}' covers {} ranks; the harness samples scenario rank {}", op.label,
                          op.rank_bytes.size(), r.scenario_rank));
        }
        const std::int64_t full = op.rank_bytes[s].value;
        std::int64_t b = 0;
        if (full >= r.scenario_bytes) {
          b = r.bytes();
        } else if (full > 0) {
          const double fraction = static_cast<double>(full) / static_cast<double>(r.scenario_bytes);
          b = std::max<std::int64_t>(1, std::llround(fraction * static_cast<double>(r.bytes())));
        }
        scaled.rank_bytes.push_back(Bytes{b});
      }
    }
    out.ops.push_back(std::move(scaled));
  }
  return out;
}

std::string ScaledExecutor::method() const {
  return inner_.method() + "; on the harness-scaled plan (bytes of the sampled ranks, scaled)";
}

ClusterSpec harness_cluster(const HarnessLayout& layout) {
  ClusterSpec c;
  c.nodes = 1;
  c.gpus_per_node = std::max(1, layout.world());
  c.nodes_per_rack = 1;
  return c;
}

}  // namespace ckptlab::hw
