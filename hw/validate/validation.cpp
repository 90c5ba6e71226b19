#include "hw/validate/validation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <random>
#include <set>

#include "exec/analytic_executor.hpp"
#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"
#include "hw/common/median.hpp"
#include "hw/common/plan_scaler.hpp"
#include "hw/host/host_backend.hpp"
#include "hw/validate/harness_policies.hpp"

namespace ckptlab::hw {
namespace {

// The failures the hardware run saw, at the wall times it saw them: the simulator replays them.
class ScheduledFailures final : public FailureProcess {
 public:
  explicit ScheduledFailures(std::deque<FailureEvent> events) : events_(std::move(events)) {}
  std::optional<FailureEvent> next() override {
    if (events_.empty()) return std::nullopt;
    FailureEvent e = events_.front();
    events_.pop_front();
    return e;
  }

 private:
  std::deque<FailureEvent> events_;
};

double mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

MetricError metric(std::string name, std::string what, double measured, double predicted,
                   bool measured_something) {
  MetricError m{std::move(name), std::move(what), measured, predicted, std::nullopt};
  if (measured_something && measured > 0) m.error = (predicted - measured) / measured;
  return m;
}

bool plan_has(const Plan& p, OpKind kind) {
  return std::any_of(p.ops.begin(), p.ops.end(), [&](const Op& op) { return op.kind == kind; });
}

std::vector<std::int64_t> scenario_nodes(const HarnessLayout& layout,
                                         const std::vector<int>& ranks) {
  std::set<std::int64_t> nodes;
  for (int r : ranks) nodes.insert(layout.ranks.at(static_cast<size_t>(r)).scenario_node);
  return {nodes.begin(), nodes.end()};
}

// Failure k of n strikes after k/(n+1) of the run, on a seeded rank; points cycle through what
// the policy's checkpoint can be interrupted in.
std::vector<FailureInjection> schedule(const ValidationOptions& o, const Plan& plan, int world,
                                       std::uint64_t seed) {
  // A persist runs the longest (often beyond the run's end when it is in the background), so a
  // mid-persist failure goes first, where it has the rest of the run to strike.
  std::vector<FailurePoint> points;
  if (plan_has(plan, OpKind::kPersist)) points.push_back(FailurePoint::kMidPersist);
  points.push_back(FailurePoint::kMidSnapshot);
  points.push_back(FailurePoint::kBetweenIterations);
  std::mt19937_64 rng(seed);
  std::vector<FailureInjection> out;
  for (int k = 1; k <= o.failures; ++k) {
    FailureInjection f;
    f.after_iteration = k * o.iterations / (o.failures + 1);
    f.point = points[static_cast<size_t>(k - 1) % points.size()];
    f.ranks = {static_cast<int>(rng() % static_cast<std::uint64_t>(world))};
    out.push_back(f);
  }
  return out;
}

// The host backend of one run, owning its state and executor. The parts are a base class so
// that they are built before HostBackend, which refers to them (the base-from-member idiom).
struct HostParts {
  TrainerState state;
  HostExecutor executor;
  HostParts(const HarnessLayout& layout, std::uint64_t seed, int tokens,
            const std::filesystem::path& dir)
      : state(layout, seed, tokens),
        executor(state, {dir / "storage", dir / "local_disk", 2, Seconds{30}, true, true}) {}
};

class OwnedHostBackend final : private HostParts, public HostBackend {
 public:
  OwnedHostBackend(const HarnessLayout& layout, std::uint64_t seed, int tokens,
                   const std::filesystem::path& dir, ComputePhase& compute)
      : HostParts(layout, seed, tokens, dir), HostBackend(executor, state, compute) {}
};

// What one policy's validation shares with the others.
struct RunContext {
  const Scenario& scenario;
  const ValidationOptions& o;
  const HarnessLayout& layout;
  const PlanScaler& scaler;
  const ClusterSpec& cluster;
  const HarnessTarget& target;
  const ReferenceChecksums& reference;
  const ShortRun& run;
};

// One hardware run of policy `i` and its prediction with `profile`.
PolicyRun run_and_predict(const RunContext& c, size_t i, const Plan& first,
                          const HardwareProfile& profile) {
  const PolicyEntry& entry = c.scenario.policies[i];
  PolicyRun r;
  r.profile = profile.name;
  AnalyticExecutor analytic(c.cluster, profile);
  ScaledExecutor predictor(c.scaler, analytic);

  // The hardware run.
  const std::filesystem::path dir = c.o.work_dir / fmt::format("policy{}", i);
  std::filesystem::remove_all(dir);
  std::unique_ptr<HarnessBackend> backend = c.target.make(c.layout, dir);
  HarnessJobSettings settings;
  settings.iterations = c.o.iterations;
  settings.failures = schedule(c.o, first, c.layout.world(), c.o.seed + i);
  settings.reserve_for = {&first};
  auto policy = make_harness_policy(c.scenario, entry, predictor, c.run);
  r.description = policy->describe();
  r.measured = run_harness_job(*policy, *backend, c.scaler, c.reference, settings);
  backend.reset();
  std::filesystem::remove_all(dir);
  const HarnessJobResult& m = r.measured;

  // The same plans on the analytic executor with the calibrated profile.
  auto model = make_harness_policy(c.scenario, entry, predictor, c.run);
  std::vector<double> stall_m, stall_p, bg_m, bg_p, share_p, load_m, load_p, restart_m;
  std::deque<FailureEvent> events;
  size_t recovered = 0;
  // The model policy hears what the hardware's heard, in the same order: every checkpoint plan
  // asked for, the tiers each version completed on, and the recoveries between them.
  const auto recover_until = [&](size_t n) {
    for (; recovered < n; ++recovered) {
      const RecoveryRecord& rec = m.recoveries[recovered];
      const FailureEvent e{rec.time, scenario_nodes(c.layout, rec.ranks), "injected", Seconds{0}};
      events.push_back(e);
      // The version the hardware restored, on every tier, or on storage alone when the planned
      // tier's copy was gone and the run fell back to storage (the failed attempt takes no time
      // to speak of: its setup finds no version), so that both sides time the same load.
      Catalog catalog;
      for (Tier t : {Tier::kHost, Tier::kPeerHost, Tier::kLocalDisk, Tier::kStorage}) {
        if (!rec.fell_back_to_storage || t == Tier::kStorage)
          catalog.seed(rec.requested_version, t);
      }
      const RecoveryPlan plan = model->plan_recovery(e, catalog, rec.failed_at_iteration);
      load_m.push_back(rec.load_s);
      load_p.push_back(plan.load ? predictor.execute(*plan.load).blocking.value : 0);
      model->on_recovered();  // each recovery finished on the hardware before the next failure
      restart_m.push_back(rec.restart_s);
    }
  };
  for (const CheckpointRecord& ck : m.checkpoints) {
    recover_until(ck.after_recoveries);
    const Plan* plan = model->checkpoint_plan(ck.version);
    if (plan && ck.completed) {
      const PlanTiming t = predictor.execute(*plan);
      stall_m.push_back(ck.stall_s + ck.live_state_wait_s);
      stall_p.push_back(t.blocking.value);
      if (ck.background_s > 0 || t.total > t.blocking) {
        bg_m.push_back(ck.background_s);
        bg_p.push_back((t.total - t.blocking).value);
        share_p.push_back(t.background_share);
      }
    }
    for (Tier t : ck.tiers_completed) model->on_tier_complete(ck.version, t);
  }
  recover_until(m.recoveries.size());

  // The short job itself, replayed by the simulator with the measured failure times.
  auto simulated = make_harness_policy(c.scenario, entry, predictor, c.run);
  ScheduledFailures failures(events);
  RestartSpec restart;  // no spares, no waits: the harness restarts in place
  SparePool spares(restart);
  JobSettings js;
  js.iteration_time = Seconds{m.iteration_s};
  js.horizon = to_seconds(m.wall);
  js.background_slowdown = profile.background_slowdown;
  js.process_restart = Seconds{mean(restart_m)};
  r.predicted = run_job(*simulated, predictor, failures, spares, js);
  const JobResult& p = r.predicted;

  const double slow_m = m.iteration_s > 0 && m.iteration_background_s > 0
                            ? m.iteration_background_s / m.iteration_s - 1
                            : 0;
  const double ettr_p = p.wall > 0 ? static_cast<double>(p.ledger.of(TimeCategory::kProductive)) /
                                         static_cast<double>(p.wall)
                                   : 0;
  r.metrics = {
      metric("checkpoint_stall_s",
             "training stalled per completed checkpoint (blocking ops + waits on live-state "
             "copies), mean",
             mean(stall_m), mean(stall_p), !stall_m.empty()),
      metric("background_s", "background part (persist, replication) of a checkpoint, mean",
             mean(bg_m), mean(bg_p), !bg_m.empty()),
      metric("recovery_load_s", "state load of a recovery, mean", mean(load_m), mean(load_p),
             !load_m.empty()),
      // The model slows training by the profile's slow-down times the share of the node the
      // background ops take (exec/node_capacity.hpp).
      metric("background_slowdown", "iteration slow-down beside background work (fraction)", slow_m,
             profile.background_slowdown * mean(share_p), m.iteration_background_s > 0),
      metric("ettr", "effective training time ratio of the short run", m.ettr(), ettr_p, true),
  };
  return r;
}

// PolicyValidation::metrics from its runs.
void combine_runs(PolicyValidation& pv) {
  pv.description = pv.runs.front().description;
  pv.metrics = pv.runs.front().metrics;
  for (size_t k = 0; k < pv.metrics.size(); ++k) {
    std::vector<double> measured, predicted;
    for (const PolicyRun& r : pv.runs) {
      if (!r.metrics[k].error) continue;
      measured.push_back(r.metrics[k].measured);
      predicted.push_back(r.metrics[k].predicted);
    }
    if (measured.empty()) continue;  // no run measured it: the first run's figures, no error
    MetricError& m = pv.metrics[k];
    m.measured = median(measured);
    m.predicted = median(predicted);
    m.error = (m.predicted - m.measured) / m.measured;
  }
}

}  // namespace

std::int64_t PolicyValidation::bit_mismatches() const {
  std::int64_t n = 0;
  for (const PolicyRun& r : runs) n += r.measured.bit_mismatches;
  return n;
}

std::int64_t Validation::bit_mismatches() const {
  std::int64_t n = 0;
  for (const PolicyValidation& p : policies) n += p.bit_mismatches();
  return n;
}

Validation validate_on_host(const Scenario& scenario, const HardwareProfile& profile,
                            const ValidationOptions& o) {
  return validate_on_host(scenario, ProfileSource([&profile] { return profile; }), o);
}

HarnessTarget host_target(const ValidationOptions& o) {
  auto compute = std::make_shared<ComputePhase>(o.compute);
  HarnessTarget t;
  t.name = "host";
  t.compute = compute->expected();
  const std::uint64_t seed = o.seed;
  const int tokens = o.harness.router_tokens_per_expert;
  t.make = [compute, seed, tokens](const HarnessLayout& layout, const std::filesystem::path& dir) {
    return std::make_unique<OwnedHostBackend>(layout, seed, tokens, dir, *compute);
  };
  // cannot_run stays empty: the host executor runs every op kind and shard selection.
  return t;
}

Validation validate_on_host(const Scenario& scenario, const ProfileSource& profile_source,
                            const ValidationOptions& o) {
  return validate_on_harness(scenario, profile_source, o, host_target(o));
}

Validation validate_on_harness(const Scenario& scenario, const ProfileSource& profile_source,
                               const ValidationOptions& o, const HarnessTarget& target) {
  if (o.iterations < 2) throw std::invalid_argument("validate needs at least 2 iterations");
  if (o.failures < 0) throw std::invalid_argument("validate: failures must be >= 0");
  if (o.repeats < 1) throw std::invalid_argument("validate: repeats must be >= 1");
  if (o.work_dir.empty()) throw std::invalid_argument("validate needs a work directory");
  const std::int64_t interval =
      o.interval > 0 ? o.interval : std::max<std::int64_t>(2, o.iterations / 6);

  const HarnessLayout layout = make_harness_layout(*scenario.shards, o.harness);
  const PlanScaler scaler(layout);
  const ClusterSpec cluster = harness_cluster(layout);
  const ReferenceChecksums reference(layout, o.seed, o.harness.router_tokens_per_expert,
                                     o.iterations);
  const ShortRun run{interval, target.compute, 2};
  const RunContext context{scenario, o, layout, scaler, cluster, target, reference, run};

  Validation v;
  v.scenario = scenario.name;
  v.backend = target.name;
  v.setup = fmt::format(
      "{}; {} iterations of {:.0f} ms compute, checkpoint every {} iterations, "
      "{} injected failure(s) per run, {} run(s) per policy",
      layout.describe(), o.iterations, o.compute.value * 1e3, interval, o.failures, o.repeats);
  if (layout.world() < o.harness.ranks) {
    v.notes.push_back(
        fmt::format("only {} ranks hold one copy of the model (tp * pp); {} were asked for",
                    layout.candidates, o.harness.ranks));
  }
  v.notes.push_back(
      "intervals are rescaled to the short run; detection and process restart are not "
      "exercised (the simulator gets the measured teardown time as process_restart)");

  // A profile is fetched once per policy the harness runs, just before its run; whether a policy
  // can run is decided with the profile at hand (it depends on the plans' shape only).
  std::optional<HardwareProfile> profile;
  bool fresh = false;  // fetched since the last hardware run
  std::vector<std::string> profile_names;
  for (size_t i = 0; i < scenario.policies.size(); ++i) {
    const PolicyEntry& entry = scenario.policies[i];
    PolicyValidation pv;
    pv.label = entry.label;
    if (!profile) {
      profile = profile_source();
      fresh = true;
    }
    AnalyticExecutor probe_analytic(cluster, *profile);
    ScaledExecutor probe_predictor(scaler, probe_analytic);
    auto probe = make_harness_policy(scenario, entry, probe_predictor, run);
    pv.kind = probe->kind();
    if (auto why = harness_limitation(*probe, scaler, target.cannot_run)) {
      pv.description = probe->describe();
      pv.skipped = *why;
      v.policies.push_back(std::move(pv));
      continue;
    }
    const Plan* first = probe->checkpoint_plan(probe->interval_iterations());
    for (int k = 0; k < o.repeats; ++k) {
      if (o.progress) {
        const double runs = static_cast<double>(scenario.policies.size()) * o.repeats;
        o.progress(fmt::format("{} run {}/{}", entry.label, k + 1, o.repeats),
                   static_cast<double>(i * static_cast<size_t>(o.repeats) + static_cast<size_t>(k)) / runs);
      }
      if (!fresh) profile = profile_source();
      fresh = false;
      if (std::find(profile_names.begin(), profile_names.end(), profile->name) ==
          profile_names.end())
        profile_names.push_back(profile->name);
      pv.runs.push_back(run_and_predict(context, i, *first, *profile));
    }
    combine_runs(pv);
    v.policies.push_back(std::move(pv));
  }
  for (const std::string& name : profile_names) v.profile += (v.profile.empty() ? "" : ", ") + name;
  if (v.profile.empty()) v.profile = "no profile (no policy ran)";
  return v;
}

}  // namespace ckptlab::hw
