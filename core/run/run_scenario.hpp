// Runs every policy of a scenario on one executor, each against the same failure stream
// (common random numbers: the same seed gives every policy the same failures), and collects
// what summary.json and the table report.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "job/job_run.hpp"
#include "policy/policy.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

struct PolicyOutcome {
  std::string label;
  std::string kind;
  std::string description;
  // Every replication's result, in replication order (the same for every policy: replication r
  // of every policy saw the same failures).
  std::vector<JobResult> replications;
  // The replications pooled: ledgers, wall times and counts summed; timeline of replication 0.
  JobResult job;
  Bytes checkpoint_bytes;
  std::int64_t interval_iterations = 0;
  double lost_tokens_fraction = 0;  // Policy::lost_tokens_fraction (MoC's PLT), mean over runs
  std::vector<double> lost_tokens_per_replication;
  std::map<std::string, std::string> sources;
};

struct RunOutcome {
  std::string backend;
  std::string backend_method;
  double job_mtbf_s = 0;
  Seconds expected_restart;
  std::vector<PolicyOutcome> policies;
  std::size_t replications = 1;
  double precision_target = 0;  // the --precision asked for (0: a fixed count)
};

// Progress of the policy `label`: fraction of the horizon simulated.
using ProgressFn = std::function<void(const std::string& label, double fraction)>;

struct RunOptions {
  std::size_t replications = 1;  // independent failure streams (replication 0 uses the seed)
  // When > 0: keep adding replications (in rounds) until every policy's ETTR 95% half-width is
  // at most this (absolute, e.g. 0.005), or max_replications is reached.
  double precision = 0;
  std::size_t max_replications = 64;
  ProgressFn progress;
};

// The seed of replication r: the scenario's seed for r = 0, an independent stream otherwise.
std::uint64_t replication_seed(std::uint64_t seed, std::size_t replication);

// Builds all policies first, so a bad policy parameter throws InputError before any runs; then
// runs each to the horizon. Deterministic for the scenario's seed.
RunOutcome run_scenario(const Scenario& scenario, Executor& executor,
                        const ProgressFn& progress = nullptr);
RunOutcome run_scenario(const Scenario& scenario, Executor& executor, const RunOptions& options);

// Mean time from a failure to a restarted process, before state load: mean detection over the
// failure kinds plus spare swap (standby swap with warm standbys and no spares, reschedule wait
// with neither) plus process restart.
Seconds expected_restart_time(const Scenario& scenario);

// Builds the policies of a scenario (validates their parameters) without running them.
std::vector<std::unique_ptr<Policy>> build_policies(const Scenario& scenario, Executor& executor);

}  // namespace ckptlab
