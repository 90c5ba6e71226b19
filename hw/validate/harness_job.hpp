// A short training job on the hardware harness, driven by a core Policy, with failures injected
// for real: the hardware counterpart of core's job state machine (job/job_run), measured instead
// of simulated, on any HarnessBackend (host, CUDA). Iterations run the compute phase and the
// state update; at iteration boundaries the policy's checkpoint plan (mapped onto the harness,
// PlanScaler::map) runs on the backend's executor, its background ops
// overlapping the next iterations; an injected failure destroys ranks' state (and the host memory
// of their nodes), the policy's recovery plan is executed, and the restored state is checked bit
// for bit against the reference before training resumes from it.
//
// Every nanosecond of the job's wall time is charged to one Ledger category, from one steady
// clock, so the categories sum to the wall time exactly:
//   productive        iteration time whose progress survives (an iteration that ran beside
//                     background checkpoint work counts at most the median undisturbed
//                     iteration time; the rest is slowdown)
//   checkpoint_stall  blocking checkpoint ops, waiting for the previous background persist, and
//                     the update waiting for a background snapshot of the live state
//   slowdown          see productive
//   lost_work         iterations a failure rolled back (including the one it interrupted)
//   restart           from the failure to the start of the state load (tearing down in-flight
//                     work; a real job would add detection and a process restart here)
//   state_load        the recovery plan's load
//   replay            a localized recovery: the failed ranks recompute from the restored
//                     version to the job's iteration while the others wait (the synthetic
//                     ranks evolve independently, so this is their log replay)
// The bit-exact checks after a recovery run off the clock (nothing is in flight then): they are
// the harness's, not the job's. After a lossy recovery (MoC-System's partial checkpoints), the
// state is checked shard by shard against a shadow state (LossyReference) instead of the
// precomputed reference.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/common/harness_backend.hpp"
#include "hw/common/plan_scaler.hpp"
#include "hw/host/compute_phase.hpp"
#include "hw/host/host_executor.hpp"
#include "hw/host/trainer_state.hpp"
#include "job/ledger.hpp"
#include "policy/policy.hpp"

namespace ckptlab::hw {

enum class FailurePoint { kBetweenIterations, kMidSnapshot, kMidPersist };
const char* failure_point_name(FailurePoint p);  // "between_iterations", "mid_snapshot", ...

struct FailureInjection {
  // Strikes once the job has completed this many iterations (the first time it gets there).
  // Mid-snapshot / mid-persist: in the first checkpoint that starts at or after then, before the
  // middle shard is copied (snapshot) or after it is staged and before its rename (persist).
  std::int64_t after_iteration = 0;
  FailurePoint point = FailurePoint::kBetweenIterations;
  // Harness ranks that fail. Each takes down the scenario node it stands on: every harness rank
  // on that node loses its state and its host memory.
  std::vector<int> ranks = {0};
};

struct HarnessJobSettings {
  std::int64_t iterations = 20;            // the job ends when this much progress survives
  std::vector<FailureInjection> failures;  // each strikes once, in order
  // Bound on iterations executed in total (0: 4 x iterations + 100), so that a policy that
  // never makes progress ends the job instead of looping.
  std::int64_t max_executed_iterations = 0;
  // Plans whose host buffers are reserved before the clock starts (HarnessBackend::reserve), as a
  // real job pins its host memory at start-up; others allocate theirs on first use, in the
  // stall of the checkpoint that needs them. Not owned; they must outlive run_harness_job.
  std::vector<const Plan*> reserve_for;
};

struct CheckpointRecord {
  std::int64_t version = 0;
  double stall_s = 0;  // the plan's blocking part (PlanTiming::blocking)
  double wait_s = 0;   // waiting for the previous checkpoint's background ops first
  // Training waiting for a background op that reads the live state (a snapshot the policy runs
  // beside training): the copy runs beside the next forward + backward, and the update waits
  // for whatever of it is left, since it would change the state under the copy.
  double live_state_wait_s = 0;
  double background_s = 0;  // the plan's ops after the blocking part (total - blocking)
  bool completed = false;   // every op finished (a failure aborts it)
  // What the policy was told, so that a model of it can be told the same in the same order:
  // the tiers the version completed on (Policy::on_tier_complete), and how many recoveries the
  // job had made when this checkpoint started.
  std::vector<Tier> tiers_completed;
  std::size_t after_recoveries = 0;
};

struct RecoveryRecord {
  Nanos time = 0;  // of the failure, from job start
  std::int64_t failed_at_iteration = 0;
  FailurePoint point = FailurePoint::kBetweenIterations;
  std::vector<int> ranks;              // every harness rank the failure destroyed
  std::int64_t requested_version = 0;  // what the policy asked for
  std::int64_t restored_version = 0;   // what the load restored (older after a corrupt file)
  double restart_s = 0;
  double load_s = 0;
  std::int64_t lost_iterations = 0;
  bool bit_exact = false;  // every rank matched the reference after the load
  bool localized = false;
  // The planned load failed (its tier's copy was gone: a replica held by a node an earlier
  // failure took down) and the policy's storage recovery ran instead; load_s covers both.
  bool fell_back_to_storage = false;
  double replay_s = 0;
  // A lossy recovery (RecoveryPlan::lossy): shards restored from copies older than
  // restored_version, which training goes on from (their updates since are lost).
  bool lossy = false;
  std::int64_t stale_shards = 0;
  std::vector<std::string> notes;  // fallbacks from the load, shards that failed the check
};

struct HarnessJobResult {
  Ledger ledger;
  Nanos wall = 0;
  std::int64_t iterations = 0;           // surviving progress at the end
  std::int64_t executed_iterations = 0;  // including recomputed ones
  std::vector<CheckpointRecord> checkpoints;
  std::vector<RecoveryRecord> recoveries;
  std::vector<std::string> failures_not_injected;  // injections that found no matching point
  double iteration_s = 0;             // median iteration time with nothing in the background
  double iteration_background_s = 0;  // median while background checkpoint work ran (0: none)
  std::int64_t bit_mismatches = 0;    // rank checks that failed, at recoveries and at the end
  bool final_bit_exact = false;
  double ettr() const;
};

// Runs the job on `backend` (host or CUDA). Its state must be at iteration 0; version 0 is written
// to the policy's durable tier before the clock starts (a job starts from a saved initial state).
// `scaler` maps the policy's plans to the harness ranks. Throws std::runtime_error when a recovery
// cannot restore any version (the job cannot continue), never returns an unverified state silently.
// REQUIRES: reference.iterations() >= settings.iterations.
HarnessJobResult run_harness_job(Policy& policy, HarnessBackend& backend, const PlanScaler& scaler,
                              const ReferenceChecksums& reference, const HarnessJobSettings& settings);
// The same on the host backend.
HarnessJobResult run_host_job(Policy& policy, HostExecutor& executor, TrainerState& state,
                           ComputePhase& compute, const PlanScaler& scaler,
                           const ReferenceChecksums& reference, const HarnessJobSettings& settings);

}  // namespace ckptlab::hw
