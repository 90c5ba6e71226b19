// summary.json and timeline.csv contents (DESIGN.md §3 "Results"). No timestamps, host names
// or paths of the machine inside: the same scenario and seed give byte-identical output.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

// Fields per policy: policy, kind, ettr, wall_s, time_s {productive, checkpoint_stall, slowdown,
// lost_work, detection, restart, state_load, replay}, failures, checkpoints, checkpoints_started,
// checkpoints_aborted, checkpoint_bytes, mean_checkpoint_stall_s, mean_recovery_s,
// checkpoint_interval_s, job_mtbf_s, lost_tokens_fraction, description, sources.
nlohmann::ordered_json make_summary(const Scenario& scenario, const RunOutcome& outcome,
                                    const std::string& version);

// One row per event: time_s,policy,event,iteration,detail (CSV, quoted where needed).
std::string make_timeline_csv(const RunOutcome& outcome);

}  // namespace ckptlab
