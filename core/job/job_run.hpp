// The job state machine (DESIGN.md §3): iterations advance on a simulated clock; at each
// iteration boundary the policy may start a checkpoint; failures from the failure process
// interrupt whatever is happening (training, a checkpoint, a recovery); recovery runs detection,
// restart and state load, and the job resumes from the restored version. Every nanosecond is
// charged to one Ledger category; the categories sum to the wall time exactly (checked).
//
// Timing conventions:
// - Version 0 (the initial state) is complete on the policy's durable tier at time 0.
// - An iteration is t_iter of productive time; while background checkpoint work runs, it takes
//   t_iter * (1 + background_slowdown * share) and the extra is `slowdown`, where share is the
//   plan's PlanTiming::background_share (the part of a node's resources the background takes).
// - A failure aborts every in-flight checkpoint (the catalog keeps the previous version), rolls
//   every rank back to the policy's restore version, and re-labels the rolled-back productive
//   time (and the partial iteration) as `lost_work`. A failure during recovery restarts the
//   recovery from detection (as in Daly's model).
// - The job stops at the horizon, wherever it is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"
#include "job/ledger.hpp"
#include "policy/policy.hpp"

namespace ckptlab {

struct JobSettings {
  Seconds iteration_time;
  Seconds horizon;
  double background_slowdown = 0;   // beside background traffic at a node's full rate
  Seconds process_restart;           // added to the spare swap / reschedule wait
  size_t timeline_limit = 20000;     // routine checkpoint events kept for timeline.csv (failures
                                     // and recoveries are always kept); counts are never capped
  // Steps of the state machine (iterations, checkpoint attempts, failures) before the run stops
  // early at the time it reached, with JobResult::stopped_early saying so; 0: no limit. It turns
  // a scenario that would run for hours (a microsecond iteration over years) into an answer
  // about the part that was simulated, instead of a hang.
  std::uint64_t max_events = 0;
  // Called now and then with the fraction of the horizon simulated (for progress output).
  std::function<void(double)> progress;
};

struct TimelineEvent {
  Nanos time = 0;
  std::string event;  // failure | checkpoint_start | checkpoint_done | checkpoint_aborted |
                      // recovery_done
  std::int64_t iteration = 0;
  std::string detail;
};

struct JobResult {
  Ledger ledger;
  Nanos wall = 0;
  std::int64_t iterations = 0;  // surviving progress at the horizon
  std::int64_t failures = 0;
  std::int64_t checkpoints_started = 0;
  std::int64_t checkpoints_completed = 0;
  std::int64_t checkpoints_aborted = 0;
  std::int64_t recoveries_completed = 0;
  std::int64_t rolled_back_iterations = 0;
  std::int64_t spares_used = 0;    // replacement nodes taken from the spare pool
  std::int64_t reschedules = 0;    // failures that waited for a new allocation (no spare free)
  std::int64_t retired_nodes = 0;  // nodes retired after too many failures
  // Spares and repair (SparePool, restart_model.hpp), pooled over replications like the above.
  double spare_wait_s = 0;             // waiting for a spare or the reschedule (in `restart`)
  std::int64_t spares_exhausted = 0;   // replacements that found too few spares free
  double spares_exhausted_s = 0;       // time no spare nor standby was free
  std::int64_t standby_swaps = 0;      // replacements by a warm standby
  std::int64_t repairs_automatic = 0;  // repairs started that stayed automatic
  std::int64_t repairs_manual = 0;     // repairs started that escalated to manual
  std::int64_t silent_repair_failures = 0;  // repairs that left the node faulty
  std::int64_t dead_on_join = 0;            // faulty nodes found dead on joining
  // failed_nodes == repaired_nodes + retired_nodes + in_repair_at_end.
  std::int64_t failed_nodes = 0;
  std::int64_t repaired_nodes = 0;
  std::int64_t in_repair_at_end = 0;
  std::vector<TimelineEvent> timeline;
  bool timeline_truncated = false;
  std::string stopped_early;  // why the run stopped before the horizon (event budget); "" if not
};

// Runs one job to the horizon. The failure process and spare pool are consumed.
JobResult run_job(Policy& policy, Executor& executor, FailureProcess& failures, SparePool& spares,
                  const JobSettings& settings);

}  // namespace ckptlab
