#include "run/run_scenario.hpp"

#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"

namespace ckptlab {

Seconds expected_restart_time(const Scenario& s) {
  double weight = 0, detection = 0;
  for (const FailureKind& k : s.failures.kinds) {
    weight += k.weight;
    detection += k.weight * k.detection.value;
  }
  const double mean_detection = weight > 0 ? detection / weight : 0;
  const Seconds replacement = s.restart.spares > 0 ? s.restart.spare_swap : s.restart.reschedule_wait;
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

RunOutcome run_scenario(const Scenario& s, Executor& executor, const ProgressFn& progress) {
  RunOutcome outcome;
  outcome.backend = executor.backend_name();
  outcome.backend_method = executor.method();
  outcome.job_mtbf_s = s.failures.job_mtbf_seconds(s.cluster);
  outcome.expected_restart = expected_restart_time(s);
  auto policies = build_policies(s, executor);

  for (size_t i = 0; i < policies.size(); ++i) {
    Policy& policy = *policies[i];
    const std::string& label = s.policies[i].label;
    JobSettings settings;
    settings.iteration_time = s.iteration_time;
    settings.horizon = s.horizon;
    settings.background_slowdown = s.hardware.background_slowdown;
    settings.process_restart = s.restart.process_restart;
    if (progress) settings.progress = [&](double f) { progress(label, f); };
    auto failures = make_failure_process(s.failures, s.cluster, s.seed);
    SparePool spares(s.restart);

    PolicyOutcome p;
    p.label = label;
    p.kind = policy.kind();
    p.description = policy.describe();
    p.job = run_job(policy, executor, *failures, spares, settings);
    p.checkpoint_bytes = policy.checkpoint_bytes();
    p.interval_iterations = policy.interval_iterations();
    p.sources = policy.sources();
    outcome.policies.push_back(std::move(p));
  }
  return outcome;
}

}  // namespace ckptlab
