// Builds a scenario's policies for a short run on the hardware harness: the same policy code and
// parameters, with the intervals a week-long run chooses (every 400 iterations, persist every
// 3 h) rescaled so that a run of a few dozen iterations checkpoints several times.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "exec/executor.hpp"
#include "hw/common/plan_scaler.hpp"
#include "policy/policy.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab::hw {

struct ShortRun {
  std::int64_t interval_iterations = 0;  // 0: keep the scenario's own interval
  Seconds iteration_time;                // the harness iteration (persist_interval rescaling)
  int persist_every_checkpoints = 2;     // in_memory/moetion: a persist every this many
};

// The policy's mapping with `interval` replaced by `interval_iterations: K` and a
// `persist_interval` replaced by K * persist_every_checkpoints iterations' time, for the keys
// the policy has. A policy without an interval key gets interval_iterations too when its
// interval defaults to a rule (sync_full, async_two_level, moc_pec: Daly's); in_memory and
// moetion keep their own. A copy: the scenario's document is not changed.
ConfigNode short_run_node(const PolicyEntry& entry, const ShortRun& run);

// make_policy on the short-run node, with `predictor` as the executor the policy costs its plans
// on (a ScaledExecutor over an analytic executor: policies time plans in their constructors,
// which a hardware executor would try to run). The context's hardware is the scenario's (policy
// checks such as "replicas fit host memory" are about the full-size job).
std::unique_ptr<Policy> make_harness_policy(const Scenario& scenario, const PolicyEntry& entry,
                                            Executor& predictor, const ShortRun& run);

// Why the harness cannot verify this policy bit for bit, or nullopt when it can: its plans must
// move whole rank states, or name the shards they move (PlanScaler::map: MoEtion's sparse
// slots, MoC-System's per-expert selections, which need one harness expert group per expert).
// Checks the first checkpoint
// plan; with `cannot_run` (a backend's HarnessBackend::cannot_run), also that the backend can run
// it and the policy's representative recovery plans (Policy::explain_plans: `policy` should be a
// throwaway probe, as those may change its state).
using CannotRun = std::function<std::optional<std::string>(const HarnessPlan&)>;
std::optional<std::string> harness_limitation(Policy& policy, const PlanScaler& scaler,
                                              const CannotRun& cannot_run = {});

}  // namespace ckptlab::hw
