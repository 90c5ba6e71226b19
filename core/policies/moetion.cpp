#include "policies/moetion.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "policies/full_state.hpp"

namespace ckptlab {

namespace {
constexpr const char* kWindowLoadSignature = "moetion:window_load";
constexpr const char* kLocalizedLoadSignature = "moetion:localized_load";

Op write_op(OpKind kind, Tier from, Tier to, std::vector<Bytes> bytes, std::vector<size_t> after,
            bool completes, std::string label) {
  Op op;
  op.kind = kind;
  op.from = from;
  op.to = to;
  op.rank_bytes = std::move(bytes);
  op.after = std::move(after);
  op.blocking = false;
  op.completes_version = completes;
  op.label = std::move(label);
  return op;
}
}  // namespace

MoetionPolicy::MoetionPolicy(const ConfigNode& node, const PolicyContext& ctx)
    : shards_(ctx.shards),
      cluster_(ctx.cluster),
      parallel_(ctx.parallel),
      iteration_time_(ctx.iteration_time) {
  node.expect_keys(
      {"name", "label", "replicas", "upstream_logging", "persist_interval", "window"});
  replicas_ = static_cast<int>(node.int_or("replicas", 1));
  if (replicas_ < 0 || (replicas_ > 0 && replicas_ >= cluster_.nodes)) {
    node["replicas"].fail(fmt::format("replicas must be between 0 and nodes - 1 = {}",
                                      cluster_.nodes - 1));
  }
  logging_ = node.bool_or("upstream_logging", true);

  // A slot must fit one iteration both on PCIe (the paper's rule) and on the NICs that carry
  // its replicas to other nodes (a node's NIC bandwidth shared by its GPUs and copies).
  const double pcie = ctx.iteration_time.value * ctx.hardware.pcie_d2h.value;
  const double network = replicas_ == 0
                             ? pcie
                             : ctx.iteration_time.value * ctx.hardware.node_network().value /
                                   (ctx.cluster.gpus_per_node * replicas_);
  const Bytes budget{static_cast<std::int64_t>(std::min(pcie, network))};
  budget_is_network_ = network < pcie;
  // `window: W` sets W_sparse instead of the rule (a sensitivity study, or a window the paper's
  // rule would not pick): slots then may not fit one iteration, which describe() reports.
  std::int64_t window = 0;  // 0: the rule
  if (node.has("window")) {
    const std::int64_t most = moetion_max_operators(ctx.model, ctx.shards);
    window = node.int_or("window", 0);
    if (window < 1 || window > most) {
      node["window"].fail(fmt::format(
          "window must be between 1 and {} iterations (the operators of the largest rank)", most));
    }
  }
  window_set_ = window > 0;
  window_ = moetion_window(ctx.model, ctx.shards, budget, {}, window);
  const auto W = static_cast<size_t>(window_.w_sparse);

  // Upstream logs: a stage keeps the activations it sends forward and the gradients it sends
  // backward; per iteration that is (tokens per DP replica) x hidden x 2 B per direction, split
  // over TP.
  const std::int64_t per_direction = ctx.parallel.global_batch_tokens / ctx.parallel.dp *
                                     ctx.model.hidden * ctx.model.weight_bytes / ctx.parallel.tp;
  std::vector<Bytes> per_node(static_cast<size_t>(cluster_.nodes));
  std::vector<Bytes> window_node(static_cast<size_t>(cluster_.nodes));
  log_per_rank_.resize(ctx.shards.ranks().size());
  for (const RankShard& r : ctx.shards.ranks()) {
    const int directions = (r.stage > 0 ? 1 : 0) + (r.stage + 1 < ctx.parallel.pp ? 1 : 0);
    const Bytes log{logging_ ? per_direction * directions : 0};
    log_per_rank_[static_cast<size_t>(r.rank)] = log;
    per_node[static_cast<size_t>(r.node)] += log * (2 * window_.w_sparse);
    for (size_t s = 0; s < W; ++s) window_node[static_cast<size_t>(r.node)] += window_.slot_bytes[s][static_cast<size_t>(r.rank)];
  }
  for (size_t n = 0; n < per_node.size(); ++n) {
    log_per_node_ = std::max(log_per_node_, per_node[n]);
    // A complete window and the one being built, each also held for `replicas` peers.
    const Bytes need = window_node[n] * (2 * (1 + replicas_)) + per_node[n];
    if (need > ctx.hardware.host_memory) {
      node.fail(fmt::format("node {} needs {} of host memory (2 windows x {} copies of {} + "
                            "upstream logs {}); the hardware has {}",
                            n, format_size(need), 1 + replicas_, format_size(window_node[n]),
                            format_size(per_node[n]), format_size(ctx.hardware.host_memory)));
    }
  }

  // One plan per slot: snapshot (slot + logs), then one replicate per peer copy.
  for (size_t s = 0; s < W; ++s) {
    const bool last = s + 1 == W;
    Plan plan;
    plan.signature = fmt::format("moetion:slot{}of{}:r{}", s, W, replicas_);
    std::vector<Bytes> snap = window_.slot_bytes[s];
    for (size_t r = 0; r < snap.size(); ++r) snap[r] += log_per_rank_[r];
    size_t prev = plan.add(write_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, snap, {}, last,
                                    fmt::format("sparse snapshot slot {} of {} + upstream logs", s + 1, W)));
    for (int k = 0; k < replicas_; ++k) {
      prev = plan.add(write_op(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, window_.slot_bytes[s],
                               {prev}, last, fmt::format("replicate slot to DP peer {}", k + 1)));
    }
    slots_.push_back(std::move(plan));
  }
  last_slot_with_persist_ = slots_.back();
  last_slot_with_persist_.signature += ":persist";
  const auto dense = full_checkpoint_bytes(ctx.shards, ctx.parallel.zero_stage, ctx.parallel.ep);
  const size_t d = last_slot_with_persist_.add(write_op(
      OpKind::kSnapshot, Tier::kGpu, Tier::kHost, dense, {}, false, "dense snapshot for persist"));
  last_slot_with_persist_.add(write_op(OpKind::kPersist, Tier::kHost, Tier::kStorage, dense, {d},
                                       true, "persist dense checkpoint to storage"));

  std::vector<Bytes> window_rank(ctx.shards.ranks().size());
  for (size_t s = 0; s < W; ++s) {
    for (size_t r = 0; r < window_rank.size(); ++r) window_rank[r] += window_.slot_bytes[s][r];
  }
  for (Bytes b : window_rank) window_bytes_ += b;
  window_load_ = full_load_plan(window_rank, Tier::kHost, kWindowLoadSignature);
  storage_load_ = full_load_plan(full_load_bytes(ctx.shards), Tier::kStorage, "full_load:storage");

  const Seconds persist = node.duration_or("persist_interval", Seconds{3 * 3600.0});
  if (persist.value <= 0) node["persist_interval"].fail("must be positive");
  const double windows = std::round(persist.value / ctx.iteration_time.value / static_cast<double>(W));
  persist_every_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(windows)) * window_.w_sparse;
}

const Plan* MoetionPolicy::checkpoint_plan(std::int64_t iteration) {
  if (iteration == 0) return nullptr;
  const auto slot = static_cast<size_t>((iteration - 1) % window_.w_sparse);
  if (slot + 1 == slots_.size() && iteration % persist_every_ == 0) return &last_slot_with_persist_;
  return &slots_[slot];
}

bool MoetionPolicy::window_survives(const std::vector<std::int64_t>& failed) const {
  if (replicas_ == 0 || cluster_.nodes < 2) return false;
  // Copies of node n's windows live on nodes n+1, ..., n+replicas (mod N): a node failure takes
  // down every copy held on that node, so peers on the same node would not count.
  for (std::int64_t n : failed) {
    bool copy_alive = false;
    for (int k = 1; k <= replicas_ && !copy_alive; ++k) {
      const std::int64_t holder = (n + k) % cluster_.nodes;
      copy_alive = holder != n && !std::binary_search(failed.begin(), failed.end(), holder);
    }
    if (!copy_alive) return false;
  }
  return true;
}

bool MoetionPolicy::pipeline_column_down(const std::vector<std::int64_t>& failed) const {
  std::map<std::int64_t, std::set<std::int64_t>> stages_down;  // dp index -> failed stages
  for (std::int64_t n : failed) {
    for (std::int64_t r = n * cluster_.gpus_per_node; r < (n + 1) * cluster_.gpus_per_node; ++r) {
      stages_down[shards_.rank(r).dp_index].insert(shards_.rank(r).stage);
    }
  }
  return std::any_of(stages_down.begin(), stages_down.end(), [&](const auto& kv) {
    return static_cast<std::int64_t>(kv.second.size()) == parallel_.pp;
  });
}

const Plan& MoetionPolicy::localized_load(const std::vector<std::int64_t>& failed) {
  // The replicas (stage, dp index) with a failed rank roll back: ranks on failed nodes fetch
  // their window from a peer, then every rolled-back rank loads it host -> GPU.
  std::set<std::pair<std::int64_t, std::int64_t>> groups;
  for (std::int64_t n : failed) {
    for (std::int64_t r = n * cluster_.gpus_per_node; r < (n + 1) * cluster_.gpus_per_node; ++r) {
      groups.insert({shards_.rank(r).stage, shards_.rank(r).dp_index});
    }
  }
  const size_t W = slots_.size();
  std::vector<Bytes> fetch(shards_.ranks().size()), load(shards_.ranks().size());
  for (const RankShard& r : shards_.ranks()) {
    if (!groups.count({r.stage, r.dp_index})) continue;
    Bytes window;
    for (size_t s = 0; s < W; ++s) window += window_.slot_bytes[s][static_cast<size_t>(r.rank)];
    load[static_cast<size_t>(r.rank)] = window;
    if (std::binary_search(failed.begin(), failed.end(), r.node)) fetch[static_cast<size_t>(r.rank)] = window;
  }
  Plan plan;
  plan.signature = fmt::format("{}:nodes={}", kLocalizedLoadSignature, fmt::join(failed, ","));
  Op get{OpKind::kTransfer, Tier::kPeerHost, Tier::kHost, fetch, {}, {}, true,
         "replacement nodes fetch the window from a DP peer"};
  const size_t g = plan.add(get);
  plan.add(Op{OpKind::kLoad, Tier::kHost, Tier::kGpu, load, {}, {g}, true,
              "rolled-back ranks load the window host -> GPU"});
  localized_load_ = std::move(plan);  // built per failure: which ranks roll back depends on it
  return localized_load_;
}

RecoveryPlan MoetionPolicy::plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                                          std::int64_t iteration) {
  const bool during_recovery = recovering_;
  recovering_ = true;
  const bool can_localize = logging_ && parallel_.pp >= 2;
  const auto window = catalog.newest_complete(Tier::kPeerHost);

  RecoveryPlan r;
  // Without a complete window in surviving host memory, only the dense checkpoint on storage is
  // left.
  std::string lost;
  if (!window || *window == 0) lost = "no complete window yet";
  else if (!window_survives(failure.nodes)) lost = "every copy of a failed node's window is lost";
  if (!lost.empty()) {
    r.restore_iteration = catalog.newest_complete(Tier::kStorage).value_or(0);
    r.source = Tier::kStorage;
    r.load = &storage_load_;
    r.detail = "dense reload from storage: " + lost;
    return r;
  }
  const double W = static_cast<double>(window_.w_sparse);
  const Seconds conversion = iteration_time_ * ((W - 1) * window_.conversion_cost_factor);
  r.restore_iteration = *window;
  r.source = Tier::kPeerHost;
  // Localized recovery needs the neighbours' logs and a job that is not already recovering;
  // otherwise every rank rolls back to the window (a dense restart from host memory).
  std::string global;
  if (!can_localize) global = "no pipeline-stage logs";
  else if (during_recovery) global = "failure during a recovery";
  else if (pipeline_column_down(failure.nodes)) global = "a whole pipeline column is down";
  if (global.empty()) {
    const std::int64_t catch_up = iteration - *window;
    r.localized = true;
    r.load = &localized_load(failure.nodes);
    r.replay = conversion + iteration_time_ * static_cast<double>(catch_up);
    r.detail = fmt::format("localized: sparse-to-dense over {} iterations + {} from logs",
                           window_.w_sparse - 1, catch_up);
  } else {
    r.load = &window_load_;
    r.replay = conversion;
    r.detail = fmt::format("global rollback to the window ({}): sparse-to-dense over {} iterations",
                           global, window_.w_sparse - 1);
  }
  return r;
}

std::vector<std::pair<std::string, const Plan*>> MoetionPolicy::explain_plans() {
  std::vector<std::pair<std::string, const Plan*>> plans;
  for (size_t s = 0; s < slots_.size(); ++s) {
    plans.emplace_back(fmt::format("sparse snapshot, slot {} of {}", s + 1, slots_.size()), &slots_[s]);
  }
  plans.emplace_back(fmt::format("window end with dense persist (every {} iterations)", persist_every_),
                     &last_slot_with_persist_);
  plans.emplace_back("localized recovery of one failed node", &localized_load({0}));
  plans.emplace_back("dense fallback: every rank reloads from storage", &storage_load_);
  return plans;
}

std::string MoetionPolicy::describe() const {
  return fmt::format("sparse window of {} iterations ({} operators per rank, {}{}), "
                     "{} replica(s), upstream logs {} per node, dense persist every {} iterations",
                     window_.w_sparse, window_.operators,
                     window_set_ ? "set by `window`"
                     : budget_is_network_ ? "sized by the NICs carrying replicas"
                                          : "sized by PCIe",
                     window_.keeps_up ? "" : "; the snapshot cannot keep up with training",
                     replicas_, format_size(log_per_node_), persist_every_);
}

std::map<std::string, std::string> MoetionPolicy::sources() const {
  return {
      {"w_sparse", window_set_
                       ? "scenario: the policy's `window` key"
                       : "MoEtion rule: largest chunk n with state(A_max) + weights(rest) <= "
                         "budget, W = ceil(ops / n), max over ranks; budget = t_iter * "
                         "min(pcie_d2h, node network / (GPUs per node * replicas)) (hardware "
                         "profile)"},
      {"recovery", "sparse-to-dense: (W-1) iterations at 1 - frozen/3 of the cost, then catch-up "
                   "iterations from upstream logs (MoEtion, arXiv 2412.15411)"},
      {"upstream_logs", "tokens per DP replica x hidden x 2 B per direction / tp, kept 2 W iterations"},
  };
}

std::optional<MoetionSlotPlan> moetion_slot_plan(const Plan& plan) {
  // The signature the constructor gives slot plans: "moetion:slot<s>of<W>:r<replicas>", with
  // ":persist" on the last slot's dense-persist variant; ops 0..replicas are the slot's.
  long long slot = 0, w = 0;
  int replicas = 0, used = 0;
  if (std::sscanf(plan.signature.c_str(), "moetion:slot%lldof%lld:r%d%n", &slot, &w, &replicas,
                  &used) != 3) {
    return std::nullopt;
  }
  const std::string rest = plan.signature.substr(static_cast<size_t>(used));
  if ((!rest.empty() && rest != ":persist") || static_cast<size_t>(replicas) + 1 > plan.ops.size())
    return std::nullopt;
  MoetionSlotPlan out{slot, w, 0, {}};
  for (int k = 1; k <= replicas; ++k) out.replicate_ops.push_back(static_cast<size_t>(k));
  return out;
}

bool moetion_loads_window(const Plan& plan) {
  return plan.signature == kWindowLoadSignature ||
         plan.signature.starts_with(std::string(kLocalizedLoadSignature) + ":");
}

}  // namespace ckptlab
