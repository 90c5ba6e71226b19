#include "run/run_scenario.hpp"

#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"
#include "run/replication_stats.hpp"
#include "util/input_error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ckptlab {

Seconds expected_restart_time(const Scenario& s) {
  double weight = 0, detection = 0;
  for (const FailureKind& k : s.failures.kinds) {
    weight += k.weight;
    detection += k.weight * k.detection.value;
  }
  const double mean_detection = weight > 0 ? detection / weight : 0;
  // The first failures find the pools full: a hot spare if there are any, else a warm standby,
  // else a reschedule (waiting for a spare needs a pool to wait on).
  const Seconds replacement = s.restart.spares > 0          ? s.restart.spare_swap
                              : s.restart.warm_standbys > 0 ? s.restart.standby_swap
                                                            : s.restart.reschedule_wait;
  return Seconds{mean_detection} + replacement + s.restart.process_restart;
}

std::vector<std::unique_ptr<Policy>> build_policies(const Scenario& s, Executor& executor) {
  const PolicyContext context{s.model,
                              s.parallel,
                              s.cluster,
                              s.hardware,
                              *s.shards,
                              executor,
                              s.iteration_time,
                              s.failures.job_mtbf_seconds(s.cluster),
                              expected_restart_time(s)};
  std::vector<std::unique_ptr<Policy>> policies;
  for (const PolicyEntry& entry : s.policies) policies.push_back(make_policy(entry.node, context));
  return policies;
}

std::uint64_t replication_seed(std::uint64_t seed, std::size_t replication) {
  if (replication == 0) return seed;
  // SplitMix64 of (seed, r): well-spread, independent-looking streams per replication.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(replication) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

namespace {

JobResult run_one(const Scenario& s, Executor& executor, Policy& policy, std::uint64_t seed,
                  const std::string& label, const ProgressFn& progress) {
  JobSettings settings;
  settings.iteration_time = s.iteration_time;
  settings.horizon = s.horizon;
  settings.background_slowdown = s.hardware.background_slowdown;
  settings.process_restart = s.restart.process_restart;
  settings.max_events = s.max_events;
  if (progress) settings.progress = [&](double f) { progress(label, f); };
  auto failures = make_failure_process(s.failures, s.cluster, seed);
  SparePool spares(s.restart, seed);
  return run_job(policy, executor, *failures, spares, settings);
}

void pool_into(JobResult& pooled, const JobResult& r, bool first) {
  if (first) {
    pooled = r;  // keeps replication 0's timeline
    return;
  }
  pooled.ledger += r.ledger;
  pooled.wall += r.wall;
  pooled.iterations += r.iterations;
  pooled.failures += r.failures;
  pooled.checkpoints_started += r.checkpoints_started;
  pooled.checkpoints_completed += r.checkpoints_completed;
  pooled.checkpoints_aborted += r.checkpoints_aborted;
  pooled.recoveries_completed += r.recoveries_completed;
  pooled.rolled_back_iterations += r.rolled_back_iterations;
  pooled.spares_used += r.spares_used;
  pooled.reschedules += r.reschedules;
  pooled.retired_nodes += r.retired_nodes;
  pooled.spare_wait_s += r.spare_wait_s;
  pooled.spares_exhausted += r.spares_exhausted;
  pooled.spares_exhausted_s += r.spares_exhausted_s;
  pooled.standby_swaps += r.standby_swaps;
  pooled.repairs_automatic += r.repairs_automatic;
  pooled.repairs_manual += r.repairs_manual;
  pooled.silent_repair_failures += r.silent_repair_failures;
  pooled.dead_on_join += r.dead_on_join;
  pooled.failed_nodes += r.failed_nodes;
  pooled.repaired_nodes += r.repaired_nodes;
  pooled.in_repair_at_end += r.in_repair_at_end;
  if (pooled.stopped_early.empty()) pooled.stopped_early = r.stopped_early;
}

double ettr_half_width(const PolicyOutcome& p) {
  std::vector<double> productive, wall;
  for (const JobResult& r : p.replications) {
    productive.push_back(static_cast<double>(r.ledger.of(TimeCategory::kProductive)));
    wall.push_back(static_cast<double>(r.wall));
  }
  return ratio_estimate(productive, wall).half_width;
}

}  // namespace

RunOutcome run_scenario(const Scenario& s, Executor& executor, const ProgressFn& progress) {
  RunOptions options;
  options.progress = progress;
  return run_scenario(s, executor, options);
}

RunOutcome run_scenario(const Scenario& s, Executor& executor, const RunOptions& options) {
  CKPTLAB_CHECK(options.replications >= 1, "at least one replication");
  RunOutcome outcome;
  outcome.backend = executor.backend_name();
  outcome.backend_method = executor.method();
  outcome.job_mtbf_s = s.failures.job_mtbf_seconds(s.cluster);
  outcome.expected_restart = expected_restart_time(s);
  outcome.precision_target = options.precision;
  // Validates every policy before anything runs.
  auto first = build_policies(s, executor);
  for (size_t i = 0; i < first.size(); ++i) {
    PolicyOutcome p;
    p.label = s.policies[i].label;
    p.kind = first[i]->kind();
    p.description = first[i]->describe();
    p.checkpoint_bytes = first[i]->checkpoint_bytes();
    p.interval_iterations = first[i]->interval_iterations();
    p.sources = first[i]->sources();
    outcome.policies.push_back(std::move(p));
  }

  const auto run_replication = [&](std::size_t r) {
    // Policies keep state across a run (catalog callbacks, PLT, K): fresh ones per replication.
    auto policies = r == 0 ? std::move(first) : build_policies(s, executor);
    for (size_t i = 0; i < policies.size(); ++i) {
      PolicyOutcome& p = outcome.policies[i];
      const std::string label =
          options.progress && r > 0 ? fmt::format("{} (run {})", p.label, r + 1) : p.label;
      p.replications.push_back(
          run_one(s, executor, *policies[i], replication_seed(s.seed, r), label, options.progress));
      std::string& stopped = p.replications.back().stopped_early;
      if (!stopped.empty()) stopped = fmt::format("replication {}: {}", r + 1, stopped);
      p.lost_tokens_per_replication.push_back(policies[i]->lost_tokens_fraction());
    }
  };
  std::size_t done = 0;
  for (; done < options.replications; ++done) run_replication(done);
  if (options.precision > 0) {
    const std::size_t cap = std::max(options.max_replications, options.replications);
    while (done < cap) {
      bool precise = done >= 2;
      for (const PolicyOutcome& p : outcome.policies) {
        precise = precise && ettr_half_width(p) <= options.precision;
      }
      if (precise) break;
      // Rounds of half the replications so far (at least 2) keep the number of checks small.
      const std::size_t round = std::min(cap - done, std::max<std::size_t>(2, done / 2));
      for (std::size_t k = 0; k < round; ++k) run_replication(done++);
    }
  }
  outcome.replications = done;
  for (PolicyOutcome& p : outcome.policies) {
    for (size_t r = 0; r < p.replications.size(); ++r) pool_into(p.job, p.replications[r], r == 0);
    double sum = 0;
    for (double x : p.lost_tokens_per_replication) sum += x;
    p.lost_tokens_fraction = sum / static_cast<double>(p.lost_tokens_per_replication.size());
  }
  return outcome;
}

}  // namespace ckptlab
