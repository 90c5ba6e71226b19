#include "hw/validate/harness_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>

#include "hw/common/median.hpp"
#include "hw/host/host_backend.hpp"
#include "hw/validate/lossy_reference.hpp"
#include "util/input_error.hpp"

namespace ckptlab::hw {
namespace {

using Clock = std::chrono::steady_clock;

// One contiguous stretch of the job's wall time. Iteration segments are charged to productive,
// slowdown or lost_work only at the end, once the undisturbed iteration time is known and every
// rollback has happened.
struct Segment {
  TimeCategory category = TimeCategory::kProductive;
  Nanos ns = 0;
  std::int64_t produced = -1;  // iteration segments: the iteration they produced
  bool background = false;     // background checkpoint work ran beside it
  bool lost = false;           // a rollback discarded it
};

Op whole_state_op(const HarnessBackend& s, OpKind kind, Tier from, Tier to,
                  std::vector<size_t> after) {
  Op op;
  op.kind = kind;
  op.from = from;
  op.to = to;
  for (int r = 0; r < s.world(); ++r)
    op.rank_bytes.push_back(Bytes{s.layout().ranks[static_cast<size_t>(r)].bytes()});
  op.after = std::move(after);
  op.label = fmt::format("initial state: {}", op_kind_name(kind));
  return op;
}

class HarnessJob {
 public:
  HarnessJob(Policy& policy, HarnessBackend& backend, const PlanScaler& scaler,
          const ReferenceChecksums& reference, const HarnessJobSettings& settings)
      : policy_(policy),
        backend_(backend),
        scaler_(scaler),
        reference_(reference),
        settings_(settings) {
    if (backend_.iteration() != 0) throw std::invalid_argument("a harness job starts at iteration 0");
    if (reference_.iterations() < settings_.iterations) {
      throw std::invalid_argument("the reference checksums do not cover the job's iterations");
    }
  }

  HarnessJobResult run() {
    seed_initial_version();
    for (const Plan* p : settings_.reserve_for) backend_.reserve(scaler_.map(*p));
    backend_.set_failure_hook([this](const HookPoint& p) { maybe_fire(p); });
    const std::int64_t max_executed = settings_.max_executed_iterations > 0
                                          ? settings_.max_executed_iterations
                                          : 4 * settings_.iterations + 100;
    t0_ = Clock::now();
    while (backend_.iteration() < settings_.iterations &&
           result_.executed_iterations < max_executed) {
      const std::int64_t it = backend_.iteration();
      if (const FailureInjection* f = pending(); f && f->after_iteration <= it) {
        if (f->point == FailurePoint::kBetweenIterations) {
          handle_failure();
          continue;
        }
        arm(*f);
      }
      const bool saved = catalog_.newest_complete(policy_.durable_tier()) == it;
      if (const Plan* plan = saved ? nullptr : policy_.checkpoint_plan(it)) {
        if (!checkpoint(*plan, it)) {
          handle_failure();
          continue;
        }
      }
      const bool background = backend_.running();
      backend_.compute();  // forward + backward: reads the state, changes none of it
      // A background snapshot copies the live state beside the forward + backward, as Gemini's
      // and MoC-System's do; the update must wait for the copy, or it would change the state
      // under it. Training stalls only for what the copy takes beyond the compute phase.
      Nanos live_wait = 0;
      if (backend_.gpu_reads_in_flight()) {
        const Nanos w0 = now_ns();
        backend_.wait_gpu_reads();
        live_wait = now_ns() - w0;
        current_.live_state_wait_s += static_cast<double>(live_wait) / 1e9;
        if (fired_) {  // the failure struck mid-copy: this iteration's compute is lost
          charge(TimeCategory::kLostWork, -1, false, live_wait);
          handle_failure();
          continue;
        }
      }
      backend_.advance();
      ++result_.executed_iterations;
      charge(TimeCategory::kProductive, it + 1, background, live_wait);
      if (fired_) {
        handle_failure();
        continue;
      }
      if (backend_.in_flight() && !backend_.running()) collect(backend_.finish(), std::nullopt);
    }
    result_.wall = last_;
    // Background work still running at the end is outside the job's wall time, as at a horizon,
    // and no failure strikes it any more.
    {
      std::lock_guard lock(hook_mu_);
      armed_ = nullptr;
    }
    if (backend_.in_flight()) collect(backend_.finish(), std::nullopt);
    backend_.set_failure_hook({});
    for (size_t i = fi_; i < settings_.failures.size(); ++i) {
      result_.failures_not_injected.push_back(fmt::format(
          "{} after iteration {}: the job found no matching point",
          failure_point_name(settings_.failures[i].point), settings_.failures[i].after_iteration));
    }
    result_.iterations = backend_.iteration();
    if (lossy_) lossy_->advance_to(result_.iterations);
    const auto bad = mismatching_ranks(result_.iterations);
    result_.bit_mismatches += static_cast<std::int64_t>(bad.size());
    result_.final_bit_exact = bad.empty();
    build_ledger();
    return std::move(result_);
  }

 private:
  Nanos now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
  }
  // Charges the time since the previous charge: segments are contiguous, so they sum to wall.
  // `stalled` ns of it (a wait for a live-state copy inside the iteration) go to
  // checkpoint_stall instead.
  void charge(TimeCategory c, std::int64_t produced = -1, bool background = false,
              Nanos stalled = 0) {
    const Nanos t = now_ns();
    segments_.push_back({c, t - last_ - stalled, produced, background, false});
    if (stalled > 0) segments_.push_back({TimeCategory::kCheckpointStall, stalled, -1, false, false});
    last_ = t;
  }
  // Runs `f` with the job's clock stopped: harness bookkeeping, not part of the job.
  template <class F>
  void off_clock(F&& f) {
    CKPTLAB_CHECK(!backend_.in_flight(), "the clock stops only while nothing is in flight");
    const Clock::time_point from = Clock::now();
    f();
    t0_ += Clock::now() - from;
  }
  const FailureInjection* pending() const {
    return fi_ < settings_.failures.size() ? &settings_.failures[fi_] : nullptr;
  }

  // Version 0 on the durable tier (and storage) before the clock starts, for real: a recovery
  // before the first checkpoint loads it like any other version.
  void seed_initial_version() {
    const Tier durable = policy_.durable_tier();
    Plan seed;
    const size_t snap =
        seed.add(whole_state_op(backend_, OpKind::kSnapshot, Tier::kGpu, Tier::kHost, {}));
    seed.add(whole_state_op(backend_, OpKind::kPersist, Tier::kHost, Tier::kStorage, {snap}));
    if (durable == Tier::kLocalDisk) {
      seed.add(whole_state_op(backend_, OpKind::kPersist, Tier::kHost, Tier::kLocalDisk, {snap}));
    }
    if (durable == Tier::kPeerHost) {
      seed.add(whole_state_op(backend_, OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, {snap}));
    }
    backend_.execute(HarnessPlan{seed, {}});
    catalog_.seed(0, Tier::kStorage);
    catalog_.seed(0, durable);
    if (durable == Tier::kPeerHost) catalog_.seed(0, Tier::kHost);
  }

  void arm(const FailureInjection& f) {
    std::lock_guard lock(hook_mu_);
    armed_ = &f;
  }

  // Runs on executor threads: the armed failure strikes at the middle shard of its op.
  void maybe_fire(const HookPoint& p) {
    std::lock_guard lock(hook_mu_);
    if (!armed_ || fired_) return;
    const bool kind =
        (armed_->point == FailurePoint::kMidSnapshot && p.kind == OpKind::kSnapshot) ||
        (armed_->point == FailurePoint::kMidPersist && p.kind == OpKind::kPersist);
    const bool rank =
        std::find(armed_->ranks.begin(), armed_->ranks.end(), p.rank) != armed_->ranks.end();
    // Only a checkpoint that starts at or after the injection point (an earlier one may still be
    // persisting in the background).
    if (!kind || !rank || p.shard != p.shards / 2 || p.version < armed_->after_iteration) return;
    fired_at_ = now_ns();
    fired_ = true;
    throw InjectedFailure(fmt::format("injected failure: rank {} dies at shard {} of {} ({})",
                                      p.rank, p.shard, p.shards, op_kind_name(p.kind)));
  }

  // Starts a checkpoint; false when a failure struck during its blocking part (or during the
  // previous checkpoint's background ops it waited for).
  bool checkpoint(const Plan& plan, std::int64_t it) {
    double wait_s = 0;
    if (backend_.in_flight()) {  // one checkpoint in flight: wait for the previous one
      const Nanos w0 = now_ns();
      collect(backend_.finish(), std::nullopt);
      wait_s = static_cast<double>(now_ns() - w0) / 1e9;
      charge(TimeCategory::kCheckpointStall);
      if (fired_) return false;
    }
    std::set<Tier> tiers;
    for (const Op& op : plan.ops) {
      const bool writes = op.kind == OpKind::kSnapshot || op.kind == OpKind::kReplicate ||
                          op.kind == OpKind::kPersist;
      if (writes && op.completes_version) tiers.insert(op.to);
    }
    for (Tier t : tiers) catalog_.begin(it, t);
    current_ = CheckpointRecord{};
    current_.version = it;
    current_.wait_s = wait_s;
    current_.after_recoveries = result_.recoveries.size();
    const HarnessPlan mapped = scaler_.map(plan);
    plan_start_ = now_ns();
    backend_.start(mapped);
    charge(TimeCategory::kCheckpointStall);
    if (fired_) return false;
    if (!backend_.running()) collect(backend_.finish(), std::nullopt);
    return true;
  }

  // Books a finished (or aborted) checkpoint: tier writes that ended before `failure_at`
  // complete the version there; the rest are torn.
  void collect(const PlanReport& r, std::optional<Nanos> failure_at) {
    CheckpointRecord rec = current_;
    rec.stall_s = r.timing.blocking.value;
    rec.background_s = (r.timing.total - r.timing.blocking).value;
    const auto before_failure = [&](Seconds end) {
      return !failure_at || plan_start_ + to_nanos(end) <= *failure_at;
    };
    for (const auto& w : r.tiers_completed) {
      if (!r.version || !before_failure(w.end)) continue;
      catalog_.complete(*r.version, w.tier);
      policy_.on_tier_complete(*r.version, w.tier);
      rec.tiers_completed.push_back(w.tier);
    }
    rec.completed = r.ok && before_failure(r.timing.total);
    result_.checkpoints.push_back(rec);
  }

  void handle_failure() {
    const FailureInjection f = *pending();
    ++fi_;
    const Nanos t_fail = fired_ ? fired_at_.load() : now_ns();
    {
      std::lock_guard lock(hook_mu_);
      armed_ = nullptr;
    }
    const std::int64_t it = backend_.iteration();
    if (backend_.in_flight()) {
      backend_.cancel();  // the failed ranks' writes die with them
      collect(backend_.finish(), t_fail);
    }
    fired_ = false;
    const std::vector<int> dead = backend_.layout().ranks_on_nodes_of(f.ranks);
    std::set<std::int64_t> nodes;
    for (int r : dead) {
      backend_.destroy(r);
      backend_.lose_host_memory(r);
      nodes.insert(backend_.layout().ranks[static_cast<size_t>(r)].scenario_node);
    }
    catalog_.abort_in_flight();
    const FailureEvent event{t_fail, {nodes.begin(), nodes.end()}, "injected", Seconds{0}};
    const RecoveryPlan plan = policy_.plan_recovery(event, catalog_, it);
    const Nanos restart_from = last_;
    charge(TimeCategory::kRestart);
    RecoveryRecord rec;
    rec.time = t_fail;
    rec.failed_at_iteration = it;
    rec.point = f.point;
    rec.ranks = dead;
    rec.requested_version = plan.restore_iteration;
    rec.localized = plan.localized;
    rec.restart_s = static_cast<double>(last_ - restart_from) / 1e9;
    if (!plan.load)
      throw std::runtime_error(policy_.kind() +
                               ": a recovery without a load cannot restore destroyed state");
    backend_.set_load_version(plan.restore_iteration);
    const Nanos load_from = last_;
    backend_.start(scaler_.map(*plan.load));
    PlanReport loaded = backend_.finish();
    rec.notes = loaded.notes;
    RecoveryPlan fallback;
    if ((!loaded.ok || !loaded.loaded_version) && plan.source != Tier::kStorage) {
      // The policy planned from a tier whose copy is gone (a replica held by a node an earlier
      // failure took down, which the policy's catalog does not track): what a real job does
      // then is reload from storage, so the harness asks the policy for that plan.
      for (const std::string& e : loaded.errors)
        rec.notes.push_back("planned recovery failed: " + e);
      Catalog storage_only;
      storage_only.seed(catalog_.newest_complete(Tier::kStorage).value_or(0), Tier::kStorage);
      fallback = policy_.plan_recovery(event, storage_only, it);
      if (fallback.load && fallback.source == Tier::kStorage) {
        rec.notes.push_back(
            fmt::format("fell back to storage version {}", fallback.restore_iteration));
        backend_.set_load_version(fallback.restore_iteration);
        backend_.start(scaler_.map(*fallback.load));
        loaded = backend_.finish();
        rec.notes.insert(rec.notes.end(), loaded.notes.begin(), loaded.notes.end());
        rec.requested_version = fallback.restore_iteration;
        rec.fell_back_to_storage = true;
      }
    }
    charge(TimeCategory::kStateLoad);
    rec.load_s = static_cast<double>(last_ - load_from) / 1e9;
    if (!loaded.ok || !loaded.loaded_version) {
      std::string what =
          fmt::format("{}: recovery from {} failed", policy_.kind(), tier_name(plan.source));
      for (const auto& e : loaded.errors) what += "; " + e;
      throw std::runtime_error(what);
    }
    const std::int64_t v = *loaded.loaded_version;
    rec.restored_version = v;
    if (lossy_ || (fallback.load ? fallback.lossy : plan.lossy)) {
      finish_lossy_recovery(rec, it, v);
      return;
    }
    const bool localized = plan.localized && !fallback.load;
    rec.localized = localized;
    // Ranks that restored a window hold each shard at the iteration its slot captured it: the
    // sparse-to-dense conversion replays every shard to the version. A localized recovery then
    // replays the rolled-back ranks on to the job's iteration while the others wait (the
    // synthetic ranks evolve independently, so this is their log replay); progress is kept.
    const std::int64_t check_at = localized ? it : v;
    const Nanos replay_from = last_;
    for (int r = 0; r < backend_.world(); ++r) {
      if (backend_.iteration(r) != check_at && backend_.can_catch_up(r, check_at))
        backend_.catch_up(r, check_at);
    }
    charge(TimeCategory::kReplay);
    rec.replay_s = static_cast<double>(last_ - replay_from) / 1e9;
    if (!localized) {
      for (Segment& s : segments_) s.lost = s.lost || s.produced > v;
      rec.lost_iterations = it - v;
      catalog_.discard_after(v);
    }
    for (int r = 0; r < backend_.world(); ++r) {
      if (backend_.iteration(r) != check_at) {
        throw std::runtime_error(fmt::format(
            "{}: after the recovery rank {} is not at iteration {}: the harness needs every rank "
            "restored (or replayed) to one iteration",
            policy_.kind(), r, check_at));
      }
    }
    std::vector<int> bad;
    off_clock([&] { bad = mismatching_ranks(check_at); });
    rec.bit_exact = bad.empty();
    result_.bit_mismatches += static_cast<std::int64_t>(bad.size());
    result_.recoveries.push_back(std::move(rec));
    policy_.on_recovered();
  }

  // A lossy recovery rolls every rank back to `v` and goes on from the shards as restored, some
  // of them older (their updates since are lost): each shard is checked against the shadow's
  // record of the iteration its copy was taken at, then the shadow and the job resume from them.
  void finish_lossy_recovery(RecoveryRecord& rec, std::int64_t it, std::int64_t v) {
    rec.lossy = true;
    for (Segment& s : segments_) s.lost = s.lost || s.produced > v;
    rec.lost_iterations = it - v;
    catalog_.discard_after(v);
    std::vector<int> bad;
    off_clock([&] {
      if (!lossy_) {
        lossy_ = std::make_unique<LossyReference>(backend_.layout(), reference_.seed(),
                                                  reference_.tokens_per_expert());
      }
      lossy_->advance_to(it);
      bad = lossy_->check_restored(backend_, v, rec.stale_shards, rec.notes);
      lossy_->resume_from(backend_, v);
    });
    for (int r = 0; r < backend_.world(); ++r) backend_.mark_restored(r, v);
    rec.bit_exact = bad.empty();
    result_.bit_mismatches += static_cast<std::int64_t>(bad.size());
    result_.recoveries.push_back(std::move(rec));
    policy_.on_recovered();
  }

  // Ranks whose state differs from the reference at iteration n (empty: bit-exact): the
  // precomputed one, or the shadow's once a recovery was lossy (advanced to n by the caller).
  std::vector<int> mismatching_ranks(std::int64_t n) const {
    std::vector<int> bad;
    for (int r = 0; r < backend_.world(); ++r) {
      const std::uint64_t want = lossy_ ? lossy_->checksum(r) : reference_.at(n, r);
      if (backend_.iteration(r) != n || backend_.checksum(r) != want) bad.push_back(r);
    }
    return bad;
  }

  void build_ledger() {
    std::vector<double> quiet, busy;
    for (const Segment& s : segments_) {
      if (s.produced < 0) continue;
      (s.background ? busy : quiet).push_back(static_cast<double>(s.ns) / 1e9);
    }
    result_.iteration_s = median(quiet.empty() ? busy : quiet);
    result_.iteration_background_s = median(busy);
    const Nanos undisturbed = to_nanos(Seconds{result_.iteration_s});
    for (const Segment& s : segments_) {
      if (s.produced < 0) {
        result_.ledger.charge(s.category, s.ns);
      } else if (s.lost) {
        result_.ledger.charge(TimeCategory::kLostWork, s.ns);
      } else if (s.background) {
        const Nanos p = std::min(s.ns, undisturbed);
        result_.ledger.charge(TimeCategory::kProductive, p);
        result_.ledger.charge(TimeCategory::kSlowdown, s.ns - p);
      } else {
        result_.ledger.charge(TimeCategory::kProductive, s.ns);
      }
    }
    CKPTLAB_CHECK(result_.ledger.total() == result_.wall, "measured ledger sums to the wall time");
  }

  Policy& policy_;
  HarnessBackend& backend_;
  const PlanScaler& scaler_;
  const ReferenceChecksums& reference_;
  const HarnessJobSettings& settings_;

  Clock::time_point t0_;
  Nanos last_ = 0;
  std::vector<Segment> segments_;
  Catalog catalog_;
  size_t fi_ = 0;  // next failure to inject
  std::mutex hook_mu_;
  const FailureInjection* armed_ = nullptr;
  std::atomic<bool> fired_{false};
  std::atomic<Nanos> fired_at_{0};
  Nanos plan_start_ = 0;
  CheckpointRecord current_;
  HarnessJobResult result_;
  std::unique_ptr<LossyReference> lossy_;  // from the first lossy recovery on
};

}  // namespace

const char* failure_point_name(FailurePoint p) {
  switch (p) {
    case FailurePoint::kBetweenIterations:
      return "between_iterations";
    case FailurePoint::kMidSnapshot:
      return "mid_snapshot";
    case FailurePoint::kMidPersist:
      return "mid_persist";
  }
  return "?";
}

double HarnessJobResult::ettr() const {
  return wall > 0
             ? static_cast<double>(ledger.of(TimeCategory::kProductive)) / static_cast<double>(wall)
             : 0;
}

HarnessJobResult run_harness_job(Policy& policy, HarnessBackend& backend, const PlanScaler& scaler,
                              const ReferenceChecksums& reference,
                              const HarnessJobSettings& settings) {
  return HarnessJob(policy, backend, scaler, reference, settings).run();
}

HarnessJobResult run_host_job(Policy& policy, HostExecutor& executor, TrainerState& state,
                           ComputePhase& compute, const PlanScaler& scaler,
                           const ReferenceChecksums& reference, const HarnessJobSettings& settings) {
  HostBackend backend(executor, state, compute);
  return run_harness_job(policy, backend, scaler, reference, settings);
}

}  // namespace ckptlab::hw
