#include "policies/moc_pec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "exec/node_capacity.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

Bytes largest(const std::vector<Bytes>& bytes) {
  return bytes.empty() ? Bytes{0} : *std::max_element(bytes.begin(), bytes.end());
}

Bytes sum(const std::vector<Bytes>& bytes) {
  Bytes s;
  for (Bytes b : bytes) s += b;
  return s;
}

RoutingModel make_routing(const ConfigNode& node, const PolicyContext& ctx) {
  if (!ctx.model.is_moe()) {
    node["name"].fail(
        fmt::format("moc_pec checkpoints experts, but model {} has none", ctx.model.name));
  }
  RoutingSpec spec;
  if (auto r = node.find("routing")) spec = decode_routing(*r);
  return RoutingModel(std::move(spec), ctx.model.moe_layers(), ctx.model.experts, ctx.model.top_k,
                      ctx.parallel.global_batch_tokens);
}

template <class T>
T choose(const ConfigNode& node, std::string_view key, T fallback,
         std::initializer_list<std::pair<const char*, T>> options) {
  auto n = node.find(key);
  if (!n) return fallback;
  const std::string value = n->as_string();
  std::string known;
  for (const auto& [name, v] : options) {
    if (value == name) return v;
    known += (known.empty() ? "" : " or ") + std::string(name);
  }
  n->fail(fmt::format("unknown {} \"{}\"; expected {}", key, value, known));
}

}  // namespace

MocPecPolicy::MocPecPolicy(const ConfigNode& node, const PolicyContext& ctx)
    : iteration_time_(ctx.iteration_time),
      background_slowdown_(ctx.hardware.background_slowdown),
      pcie_d2h_(ctx.hardware.pcie_d2h),
      executor_(ctx.executor),
      executor_method_(ctx.executor.method()),
      routing_(make_routing(node, ctx)),
      layout_(ctx.model, ctx.parallel, ctx.shards),
      writes_(layout_),
      state_(routing_) {
  node.expect_keys({"name", "label", "interval", "interval_iterations", "k_pec", "selection",
                    "skip", "sharding", "two_level", "snapshot", "k_snapshot", "fb_fraction",
                    "recover_from_host", "dynamic_k", "plt_bound", "routing"});
  const std::int64_t experts = ctx.model.experts;
  const auto experts_count = [&](const ConfigNode& n, std::int64_t at_least) {
    const std::int64_t k = n.as_positive_int();
    if (k < at_least || k > experts) {
      n.fail(fmt::format("expected {}..{} (the model has {} experts per MoE layer)", at_least,
                         experts, experts));
    }
    return k;
  };
  state_.k_pec = node.has("k_pec") ? experts_count(node["k_pec"], 1) : 1;
  k_pec_configured_ = state_.k_pec;
  selection_ = choose(
      node, "selection", ExpertSelection::kSequential,
      {{"sequential", ExpertSelection::kSequential}, {"load_aware", ExpertSelection::kLoadAware}});
  skip_ = node.has("skip") ? decode_state_classes(node["skip"]) : kStateWeights | kStateOptimizer;
  sharding_ = choose(node, "sharding", CheckpointSharding::kFullySharded,
                     {{"fully_sharded", CheckpointSharding::kFullySharded},
                      {"megatron", CheckpointSharding::kMegatron}});
  two_level_ = node.bool_or("two_level", true);
  overlap_ = choose(node, "snapshot", true, {{"overlapped", true}, {"blocking", false}});
  recover_from_host_ = node.bool_or("recover_from_host", two_level_);
  dynamic_k_ = node.bool_or("dynamic_k", true);
  if (auto n = node.find("plt_bound")) {
    plt_bound_ = n->as_fraction();
    if (plt_bound_ <= 0 || plt_bound_ >= 1) n->fail("expected a fraction in (0, 1)");
  }
  if (auto n = node.find("fb_fraction")) {
    fb_fraction_ = n->as_fraction();
    if (fb_fraction_ <= 0) n->fail("expected a fraction in (0, 1]");
  }
  writes_.configure(skip_, sharding_);
  auto_snapshot_ = true;
  if (auto n = node.find("k_snapshot")) {
    if (n->is_scalar() && n->as_string() == "auto") {
      auto_snapshot_ = true;
    } else {
      auto_snapshot_ = false;
      state_.k_snapshot = experts_count(*n, state_.k_pec);
    }
  }
  if (auto_snapshot_) state_.k_snapshot = auto_k_snapshot();

  const ExpertMask persist = select(state_.k_pec, Tier::kStorage, nullptr);
  const ExpertMask snapshot = select(state_.k_snapshot, Tier::kHost, &persist);
  const Plan first = build_checkpoint(snapshot, persist, checkpoint_signature(snapshot, persist));
  const PlanTiming timing = executor_.execute(first);
  blocking_ = timing.blocking;
  background_ = timing.total - timing.blocking;
  overhead_ = blocking_ + background_overhead(timing, background_slowdown_);
  first_snapshot_ = snapshot_time(first.ops.front().rank_bytes);
  full_bytes_ = ctx.shards.unique_state().total();
  largest_ = largest(first.ops.back().rank_bytes);
  largest_megatron_ = largest(layout_.write_bytes(persist, skip_, CheckpointSharding::kMegatron));

  interval_ = resolve_interval(node, iteration_time_, overhead_, ctx.job_mtbf_s, "daly");
  if (!node.has("interval_iterations") && two_level_) {
    const auto by_persist =
        static_cast<std::int64_t>(std::ceil(background_.value / iteration_time_.value));
    if (by_persist > interval_.iterations) {
      interval_.iterations = by_persist;
      interval_.rule += ", raised to the persist time";
    }
  }
}

ExpertMask MocPecPolicy::select(std::int64_t k, Tier behind_tier, const ExpertMask* base) const {
  if (k == layout_.experts()) {
    return ExpertMask(static_cast<size_t>(layout_.moe_layers() * layout_.experts()), 1);
  }
  const bool storage = behind_tier == Tier::kStorage;
  if (selection_ == ExpertSelection::kSequential) {
    std::int64_t cursor = state_.cursor;
    for (const Pending& p : state_.in_flight) cursor += p.storage_done ? 0 : p.k;
    return select_sequential(layout_.moe_layers(), layout_.experts(), layout_.ep(), k, cursor);
  }
  std::vector<double> behind = state_.copies.behind(behind_tier);
  for (const Pending& p : state_.in_flight) {
    if (storage ? p.storage_done : p.host_done) continue;
    const ExpertMask& mask = storage ? p.persist : p.snapshot;
    const std::vector<double> since = state_.copies.routed_since(p.version);
    for (size_t i = 0; i < mask.size(); ++i) {
      if (mask[i]) behind[i] = since[i];
    }
  }
  return select_load_aware(layout_.moe_layers(), layout_.experts(), layout_.ep(), k, behind, base);
}

Seconds MocPecPolicy::snapshot_time(const std::vector<Bytes>& bytes) {
  Plan probe;
  probe.signature = fmt::format("moc_pec:snapshot:{:016x}", hash_rank_bytes(bytes));
  Op op;
  op.kind = OpKind::kSnapshot;
  op.from = Tier::kGpu;
  op.to = Tier::kHost;
  op.rank_bytes = bytes;
  op.label = "snapshot GPU -> host";
  probe.add(std::move(op));
  return executor_.execute(probe).blocking;
}

std::int64_t MocPecPolicy::auto_k_snapshot() const {
  if (!overlap_) return state_.k_pec;
  const Seconds window = iteration_time_ * fb_fraction_;
  const auto fits = [&](std::int64_t k) {
    const ExpertMask m =
        select_sequential(layout_.moe_layers(), layout_.experts(), layout_.ep(), k, 0);
    return transfer_time(largest(layout_.write_bytes(m, skip_, sharding_)), pcie_d2h_) <= window;
  };
  std::int64_t lo = state_.k_pec, hi = layout_.experts();
  if (!fits(lo)) return lo;
  while (lo < hi) {  // the snapshot grows with k: the largest k that fits
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

std::string MocPecPolicy::checkpoint_signature(const ExpertMask& snapshot,
                                               const ExpertMask& persist) {
  const std::uint64_t persist_hash = writes_.get(persist).bytes_hash;
  return fmt::format("moc_pec:checkpoint:{}{}:{:016x}:{:016x}", overlap_ ? 'o' : 'b',
                     two_level_ ? 'a' : 's', writes_.get(snapshot).bytes_hash, persist_hash);
}

Plan MocPecPolicy::build_checkpoint(const ExpertMask& snapshot, const ExpertMask& persist,
                                    std::string signature) {
  Plan plan;
  plan.signature = std::move(signature);
  // Look the persist set up first: the snapshot's entry must not be evicted before it is used.
  const std::vector<Bytes> persist_bytes = writes_.get(persist).bytes;
  PecWritesCache::Entry& snap = writes_.get(snapshot);
  Seconds wait{0};
  if (overlap_) {
    if (!snap.snapshot_seconds) snap.snapshot_seconds = snapshot_time(snap.bytes);
    wait = *snap.snapshot_seconds - iteration_time_ * fb_fraction_;
  }
  Op op;
  op.kind = OpKind::kSnapshot;
  op.from = Tier::kGpu;
  op.to = Tier::kHost;
  op.rank_bytes = snap.bytes;
  op.blocking = !overlap_;
  op.label =
      overlap_ ? "snapshot GPU -> host, beside the next forward+backward" : "snapshot GPU -> host";
  const size_t s = plan.add(std::move(op));
  if (wait.value > 0) {
    Op step;
    step.kind = OpKind::kRecompute;
    step.compute = wait;
    step.blocking = true;
    step.label = "optimizer step waits for the snapshot beyond forward+backward";
    plan.add(std::move(step));
  }
  Op p;
  p.kind = OpKind::kPersist;
  p.from = Tier::kHost;
  p.to = Tier::kStorage;
  p.rank_bytes = persist_bytes;
  p.after = {s};
  p.blocking = !two_level_;
  p.label = "persist PEC checkpoint host -> storage";
  plan.add(std::move(p));
  return plan;
}

const Plan* MocPecPolicy::checkpoint_plan(std::int64_t iteration) {
  state_.progress = iteration;
  if (iteration == 0 || iteration % interval_.iterations != 0) return nullptr;
  state_.copies.advance_to(iteration);
  // A plan asked for again at the same iteration (the job may ask, then wait) replaces the
  // earlier one, which never started.
  std::erase_if(state_.in_flight, [&](const Pending& p) { return p.version == iteration; });
  Pending p;
  p.version = iteration;
  p.k = state_.k_pec;
  p.persist = select(state_.k_pec, Tier::kStorage, nullptr);
  p.snapshot = state_.k_snapshot > state_.k_pec ? select(state_.k_snapshot, Tier::kHost, &p.persist)
                                                : p.persist;
  // Plans repeat as selections do (sequential ones with period E/K): building one copies every
  // rank's bytes twice, so recent plans are kept, keyed by signature (equal signatures are equal
  // plans). The job uses the plan before it asks for the next one, so clearing is safe.
  const std::string signature = checkpoint_signature(p.snapshot, p.persist);
  auto plan = plans_.find(signature);
  if (plan == plans_.end()) {
    if (plans_.size() >= kPlansKept) plans_.clear();
    plan = plans_.emplace(signature, build_checkpoint(p.snapshot, p.persist, signature)).first;
  }
  // The cached plan gets this checkpoint's selections in place (its timing depends on bytes only,
  // and the job uses a plan before it asks for the next one): copying the plan's per-rank bytes
  // at every checkpoint would cost a month-long run at 10,240 nodes hundreds of GB of copies.
  for (Op& op : plan->second.ops) {
    // Unsaved experts still write their classes not skipped; the non-expert state is written whole.
    const unsigned unsaved = kAllStateClasses & ~skip_;
    if (op.kind == OpKind::kSnapshot) op.state = selection(p.snapshot, unsaved, kAllStateClasses);
    if (op.kind == OpKind::kPersist) op.state = selection(p.persist, unsaved, kAllStateClasses);
  }
  state_.in_flight.push_back(std::move(p));
  CKPTLAB_CHECK(state_.in_flight.size() <= 2, "at most one checkpoint in flight and one waiting");
  return &plan->second;
}

std::shared_ptr<StateSelection> MocPecPolicy::selection(const ExpertMask& full, unsigned others,
                                                        unsigned dense) const {
  auto s = std::make_shared<StateSelection>();
  s->dense_classes = dense;
  s->experts_per_layer = layout_.experts();
  s->expert_classes.resize(full.size());
  for (size_t i = 0; i < full.size(); ++i)
    s->expert_classes[i] = static_cast<std::uint8_t>(full[i] ? kAllStateClasses : others);
  return s;
}

void MocPecPolicy::on_tier_complete(std::int64_t version, Tier tier) {
  auto it = std::find_if(state_.in_flight.begin(), state_.in_flight.end(),
                         [&](const Pending& p) { return p.version == version; });
  CKPTLAB_CHECK(
      it != state_.in_flight.end(),
      fmt::format("version {} completed on {} but was not started", version, tier_name(tier)));
  Pending& p = *it;
  if (tier == Tier::kHost) {
    state_.copies.saved(Tier::kHost, p.snapshot, version);
    state_.host_dense_version = std::max(state_.host_dense_version, version);
    p.host_done = true;
  } else if (tier == Tier::kStorage) {
    state_.copies.saved(Tier::kStorage, p.persist, version);
    state_.durable_version = version;
    state_.cursor += p.k;
    p.storage_done = true;
  }
  if (p.host_done && p.storage_done) state_.in_flight.erase(it);
}

RecoveryPlan MocPecPolicy::plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                                         std::int64_t iteration) {
  const std::int64_t version = catalog.newest_complete(Tier::kStorage).value_or(0);
  CKPTLAB_CHECK(version == state_.durable_version && version <= iteration,
                fmt::format("storage holds version {}, the policy's newest persisted is {}",
                            version, state_.durable_version));
  state_.in_flight.clear();  // a checkpoint in flight is torn; one waiting never starts
  const ExpertMask on_failed = layout_.experts_on_nodes(failure.nodes);
  ExpertMask from_host(on_failed.size(), 0);
  for (size_t i = 0; i < from_host.size(); ++i) {
    from_host[i] =
        recover_from_host_ && !on_failed[i] && state_.copies.host_copy_usable(i, version);
  }
  const ExpertCopies::Restore restored = state_.copies.restore(version, from_host);
  const bool dense_from_host = recover_from_host_ && state_.host_dense_version == version;

  const PecLayout::RecoveryLoads loads =
      layout_.recovery_loads(failure.nodes, from_host, dense_from_host);
  const std::vector<Bytes>& from_storage = loads.from_storage;
  const std::vector<Bytes>& from_memory = loads.from_host;
  load_ = Plan{};
  load_.signature = fmt::format("moc_pec:load:{:016x}:{:016x}", hash_rank_bytes(from_storage),
                                hash_rank_bytes(from_memory));
  const std::pair<Tier, const std::vector<Bytes>*> sources[] = {{Tier::kStorage, &from_storage},
                                                                {Tier::kHost, &from_memory}};
  for (const auto& [from, bytes] : sources) {
    if (sum(*bytes).value == 0) continue;
    // Storage: what host memory does not give back, and everything of the failed nodes' ranks.
    const bool storage = from == Tier::kStorage;
    ExpertMask full = from_host;
    if (storage) {
      for (std::uint8_t& e : full) e = !e;
    }
    auto state = selection(full, 0, dense_from_host != storage ? kAllStateClasses : 0);
    if (storage) state->whole_state_nodes = failure.nodes;
    Op load;
    load.state = std::move(state);
    load.kind = OpKind::kLoad;
    load.from = from;
    load.to = Tier::kGpu;
    load.rank_bytes = *bytes;
    load.label = std::string("load ") + tier_name(from) + " -> GPU";
    load_.add(std::move(load));
  }

  state_.host_dense_version = version;
  state_.progress = version;
  ++state_.recoveries;
  state_.experts_from_host += restored.from_host;
  state_.experts_from_storage += static_cast<std::int64_t>(from_host.size()) - restored.from_host;
  state_.lost_assignments += restored.lost;
  const double plt = state_.copies.lost_fraction(version);
  state_.double_on_resume = dynamic_k_ && plt > plt_bound_ && state_.k_pec < layout_.experts();
  const std::string raised =
      state_.double_on_resume
          ? fmt::format("; PLT above {:g}%: k_pec {} -> {} when training resumes", plt_bound_ * 100,
                        state_.k_pec, std::min(2 * state_.k_pec, layout_.experts()))
          : "";
  RecoveryPlan plan;
  plan.restore_iteration = version;
  plan.load = load_.empty() ? nullptr : &load_;
  plan.source = Tier::kStorage;
  plan.lossy = true;
  plan.detail = fmt::format(
      "{} of {} experts from host memory, the rest from storage; {:.6g} assignments lost, PLT "
      "{:.4f}%{}",
      restored.from_host, from_host.size(), restored.lost, plt * 100, raised);
  return plan;
}

void MocPecPolicy::on_recovered() {
  if (!state_.double_on_resume) return;
  state_.double_on_resume = false;
  state_.k_pec = std::min(2 * state_.k_pec, layout_.experts());
  state_.k_snapshot = std::max(state_.k_snapshot, state_.k_pec);
  ++state_.doublings;
}

double MocPecPolicy::lost_tokens_fraction() const {
  return state_.copies.lost_fraction(state_.progress);
}

std::vector<std::pair<std::string, const Plan*>> MocPecPolicy::explain_plans() {
  const State saved = state_;
  std::vector<std::pair<std::string, const Plan*>> plans;
  const std::int64_t first = interval_.iterations;
  const Plan* p = checkpoint_plan(first);
  CKPTLAB_CHECK(p != nullptr, "a checkpoint at the first interval");
  explain_checkpoint_ = *p;
  plans.emplace_back(fmt::format("checkpoint at iteration {} (k_pec {}, k_snapshot {})", first,
                                 state_.k_pec, state_.k_snapshot),
                     &explain_checkpoint_);
  on_tier_complete(first, Tier::kHost);
  on_tier_complete(first, Tier::kStorage);
  Catalog catalog;
  catalog.seed(first, Tier::kHost);
  catalog.seed(first, Tier::kStorage);
  FailureEvent failure;
  failure.nodes = {0};
  failure.kind = "explain";
  const std::int64_t at = first + first / 2;
  const RecoveryPlan r = plan_recovery(failure, catalog, at);
  if (r.load) {
    explain_load_ = *r.load;
    plans.emplace_back(fmt::format("recovery after a failure of node 0 at iteration {}: restore "
                                   "version {} ({})",
                                   at, r.restore_iteration, r.detail),
                       &explain_load_);
  }
  state_ = saved;
  return plans;
}

Bytes MocPecPolicy::checkpoint_bytes() const {
  const ExpertMask m =
      select_sequential(layout_.moe_layers(), layout_.experts(), layout_.ep(), state_.k_pec, 0);
  return sum(layout_.write_bytes(m, skip_, sharding_));
}

std::string MocPecPolicy::describe() const {
  const Bytes bytes = checkpoint_bytes();
  return fmt::format(
      "PEC {} of {} experts per MoE layer{} ({}, unsaved experts skip {}): {} = {:.3f} of full; "
      "{} (largest per-rank write {}, Megatron layout {}); snapshot {} experts {} ({:.3f} s "
      "stall), persist {}; every {} iterations ({})",
      k_pec_configured_, layout_.experts(),
      state_.k_pec != k_pec_configured_ ? fmt::format(", now {}", state_.k_pec) : "",
      selection_ == ExpertSelection::kSequential ? "sequential" : "load-aware",
      state_class_names(skip_), format_size(bytes),
      static_cast<double>(bytes.value) / static_cast<double>(full_bytes_.value),
      sharding_ == CheckpointSharding::kFullySharded ? "fully sharded" : "Megatron layout",
      format_size(largest_), format_size(largest_megatron_), state_.k_snapshot,
      overlap_ ? "overlapped with forward+backward" : "blocking", blocking_.value,
      two_level_ ? fmt::format("in background ({:.2f} s)", background_.value) : "blocking",
      interval_.iterations, interval_.rule);
}

std::map<std::string, std::string> MocPecPolicy::sources() const {
  const double t_fb = iteration_time_.value * fb_fraction_;
  return {
      {"checkpoint_bytes",
       fmt::format("ShardMap: all non-expert state + k_pec of E experts per MoE layer in full; "
                   "unsaved experts skip {} (MoC-System PEC, arXiv 2408.04307)",
                   state_class_names(skip_))},
      {"checkpoint_sharding",
       fmt::format("{}: largest per-rank write {} (Megatron layout: {})",
                   sharding_ == CheckpointSharding::kFullySharded
                       ? "fully sharded, greedy largest module to least-loaded replica"
                       : "Megatron layout, first replica writes replicated state",
                   format_size(largest_), format_size(largest_megatron_))},
      {"checkpoint_interval", fmt::format("{}: {}", interval_.rule, interval_.source)},
      {"checkpoint_time",
       fmt::format("executor ({}); stall {:.3f} s, background {:.3f} s; snapshot {:.3f} s vs "
                   "forward+backward {:.3f} s = fb_fraction {} x t_iter (6N = 2N forward + 4N "
                   "backward, Kaplan et al. 2020; 10% assumed for the optimizer step)",
                   executor_method_, blocking_.value, background_.value, first_snapshot_.value,
                   t_fb, fb_fraction_)},
      {"k_snapshot", auto_snapshot_
                         ? fmt::format("auto: largest k whose snapshot (max rank bytes / pcie_d2h "
                                       "{}) fits in {:.3f} s; {}",
                                       format_bandwidth(pcie_d2h_), t_fb, state_.k_snapshot)
                         : fmt::format("scenario: {}", state_.k_snapshot)},
      {"lost_tokens_fraction",
       fmt::format(
           "PLT = (1/N_moe) sum_layers sum_faults L_ij / (T_i TopK_i) over surviving "
           "progress; routing {}; {} recovery plans, {} experts from host, {} from storage; "
           "dynamic K {} (bound {:g}%), {} doublings",
           routing_.spec().describe(), state_.recoveries, state_.experts_from_host,
           state_.experts_from_storage, dynamic_k_ ? "on" : "off", plt_bound_ * 100,
           state_.doublings)},
  };
}

}  // namespace ckptlab
