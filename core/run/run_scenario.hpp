// Runs every policy of a scenario on one executor, each against the same failure stream
// (common random numbers: the same seed gives every policy the same failures), and collects
// what summary.json and the table report.
#pragma once

#include <functional>
#include <map>
#include <memory>
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
  JobResult job;
  Bytes checkpoint_bytes;
  std::int64_t interval_iterations = 0;
  std::map<std::string, std::string> sources;
};

struct RunOutcome {
  std::string backend;
  std::string backend_method;
  double job_mtbf_s = 0;
  Seconds expected_restart;
  std::vector<PolicyOutcome> policies;
};

// Progress of the policy `label`: fraction of the horizon simulated.
using ProgressFn = std::function<void(const std::string& label, double fraction)>;

// Builds all policies first, so a bad policy parameter throws InputError before any runs; then
// runs each to the horizon. Deterministic for the scenario's seed.
RunOutcome run_scenario(const Scenario& scenario, Executor& executor,
                        const ProgressFn& progress = nullptr);

// Mean time from a failure to a restarted process, before state load: mean detection over the
// failure kinds plus spare swap (or reschedule wait without spares) plus process restart.
Seconds expected_restart_time(const Scenario& scenario);

// Builds the policies of a scenario (validates their parameters) without running them.
std::vector<std::unique_ptr<Policy>> build_policies(const Scenario& scenario, Executor& executor);

}  // namespace ckptlab
