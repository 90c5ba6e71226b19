#include "policies/moetion_window.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/input_error.hpp"

namespace ckptlab {

std::vector<MoetionOperator> moetion_operators(const ModelSpec& model, const RankShard& rank,
                                               const std::vector<std::int64_t>& expert_order) {
  std::vector<MoetionOperator> ops;
  const std::int64_t experts = rank.local_experts_per_layer * rank.moe_layers_in_stage;
  // The rank's expert state is spread evenly over its expert operators; the dense state is split
  // between the gates and the non-expert operator in proportion to their parameters.
  // Least popular first; the k-th least popular expert of every layer sit together.
  for (std::int64_t k = 0; k < rank.local_experts_per_layer; ++k) {
    const std::int64_t e = expert_order.empty() ? k : expert_order.at(static_cast<size_t>(k));
    for (std::int64_t l = 0; l < rank.moe_layers_in_stage; ++l) {
      ops.push_back({MoetionOperator::Kind::kExpert, l, e,
                     Bytes{rank.expert.weights.value / std::max<std::int64_t>(1, experts)},
                     Bytes{(rank.expert.master.value + rank.expert.optimizer.value) /
                           std::max<std::int64_t>(1, experts)}});
    }
  }
  const double dense_params = static_cast<double>(rank.dense.weights.value) /
                              std::max(1, model.weight_bytes);
  const double gate_params =
      static_cast<double>(model.router_params_per_moe_layer() * rank.moe_layers_in_stage);
  const double gate_share =
      dense_params > 0 ? std::min(1.0, gate_params / dense_params) : 0.0;
  const std::int64_t gates = rank.moe_layers_in_stage;
  Bytes gate_w{0}, gate_s{0};
  if (gates > 0) {
    gate_w = Bytes{static_cast<std::int64_t>(rank.dense.weights.value * gate_share) / gates};
    gate_s = Bytes{static_cast<std::int64_t>((rank.dense.master.value + rank.dense.optimizer.value) *
                                             gate_share) /
                   gates};
  }
  for (std::int64_t l = 0; l < gates; ++l) {
    ops.push_back({MoetionOperator::Kind::kGate, l, -1, gate_w, gate_s});
  }
  ops.push_back({MoetionOperator::Kind::kNonExpert, -1, -1, rank.dense.weights - gate_w * gates,
                 rank.dense.master + rank.dense.optimizer - gate_s * gates});
  return ops;
}

namespace {

// Prefix sums of the operators' state and weights, so a slot's bytes cost O(1).
struct SlotCosts {
  explicit SlotCosts(const std::vector<MoetionOperator>& ops) : state(ops.size() + 1), weights(ops.size() + 1) {
    for (size_t i = 0; i < ops.size(); ++i) {
      state[i + 1] = state[i] + ops[i].state.value;
      weights[i + 1] = weights[i] + ops[i].weights.value;
    }
  }
  // Slot s with chunks of n: active state of chunk s, frozen weights of every later operator.
  Bytes slot(size_t n, size_t s) const {
    const size_t size = state.size() - 1;
    const size_t begin = std::min(size, s * n), end = std::min(size, (s + 1) * n);
    return Bytes{state[end] - state[begin] + weights[size] - weights[end]};
  }
  std::vector<std::int64_t> state;
  std::vector<std::int64_t> weights;
};

// Largest chunk size whose heaviest slot fits `budget`; 0 when even one operator does not fit.
size_t largest_fitting_chunk(const SlotCosts& costs, size_t operators, Bytes budget) {
  for (size_t n = operators; n >= 1; --n) {
    bool fits = true;
    const size_t slots = (operators + n - 1) / n;
    for (size_t s = 0; s < slots && fits; ++s) fits = costs.slot(n, s) <= budget;
    if (fits) return n;
  }
  return 0;
}

}  // namespace

std::int64_t moetion_max_operators(const ModelSpec& model, const ShardMap& shards) {
  std::int64_t most = 0;
  for (const RankShard& r : shards.ranks()) {
    most = std::max(most, static_cast<std::int64_t>(moetion_operators(model, r, {}).size()));
  }
  return most;
}

MoetionWindow moetion_window(const ModelSpec& model, const ShardMap& shards, Bytes budget,
                             const std::vector<std::int64_t>& expert_order,
                             std::int64_t forced_w_sparse) {
  MoetionWindow w;
  if (forced_w_sparse > 0) {
    w.operators = moetion_max_operators(model, shards);
    CKPTLAB_CHECK(forced_w_sparse <= w.operators, "a window longer than any rank's operator list");
    w.w_sparse = forced_w_sparse;
  } else {
    // Pass 1, the rule: the window length, the maximum over ranks of ceil(operators / largest
    // chunk).
    for (const RankShard& r : shards.ranks()) {
      const auto ops = moetion_operators(model, r, expert_order);
      const size_t n = largest_fitting_chunk(SlotCosts(ops), ops.size(), budget);
      if (n == 0) w.keeps_up = false;
      const auto slots =
          static_cast<std::int64_t>(n == 0 ? ops.size() : (ops.size() + n - 1) / n);
      if (slots >= w.w_sparse) {
        w.w_sparse = slots;
        w.operators = static_cast<std::int64_t>(ops.size());
      }
    }
  }
  // Pass 2: every rank spreads its operators over the common W_sparse slots.
  const auto W = static_cast<size_t>(w.w_sparse);
  w.slot_bytes.assign(W, std::vector<Bytes>(shards.ranks().size()));
  for (const RankShard& r : shards.ranks()) {
    const auto ops = moetion_operators(model, r, expert_order);
    const SlotCosts costs(ops);
    const size_t n = (ops.size() + W - 1) / W;
    for (size_t s = 0; s < W; ++s) {
      const Bytes b = costs.slot(n, s);
      w.slot_bytes[s][static_cast<size_t>(r.rank)] = b;
      if (forced_w_sparse > 0 && b > budget) w.keeps_up = false;
    }
  }
  // Conversion iteration j (1..W-1) has j/W of the operators active: cost 1 - frozen/3.
  if (w.w_sparse > 1) {
    double sum = 0;
    for (std::int64_t j = 1; j < w.w_sparse; ++j) {
      sum += 1 - (1 - static_cast<double>(j) / static_cast<double>(W)) / 3;
    }
    w.conversion_cost_factor = sum / static_cast<double>(W - 1);
  }
  return w;
}

}  // namespace ckptlab
