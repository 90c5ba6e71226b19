// The job state machine: exact ledger, checkpoint versions under failures, and Daly's model as
// an oracle for the whole loop (failures during checkpoints and restarts included).
#include "job/job_run.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/job_fixture.hpp"
#include "failure/failure_spec.hpp"
#include "policy/checkpoint_interval.hpp"

namespace ckptlab {
namespace {

using testing::failure_at;
using testing::ScriptedFailures;
using testing::SmallJob;

RestartSpec restart_spec(double reschedule_s, double process_s) {
  RestartSpec r;
  r.spares = 0;
  r.reschedule_wait = Seconds{reschedule_s};
  r.process_restart = Seconds{process_s};
  return r;
}

JobSettings settings(const SmallJob& job, double horizon_s, double process_restart_s = 0) {
  JobSettings s;
  s.iteration_time = job.iteration_time;
  s.horizon = Seconds{horizon_s};
  s.process_restart = Seconds{process_restart_s};
  return s;
}

double ettr(const JobResult& r) {
  return static_cast<double>(r.ledger.of(TimeCategory::kProductive)) / static_cast<double>(r.wall);
}

TEST(JobRun, NoFailuresChargesOnlyTrainingAndCheckpoints) {
  SmallJob job(1.0);
  job.executor.set("full_checkpoint", 5.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  ScriptedFailures none({});
  SparePool spares(restart_spec(0, 0));
  const JobResult r = run_job(*policy, job.executor, none, spares, settings(job, 10'500));
  // 100 s of training then a 5 s stall, repeated: 100 full cycles in 10,500 s.
  EXPECT_EQ(r.checkpoints_completed, 100);
  EXPECT_EQ(r.ledger.of(TimeCategory::kCheckpointStall), to_nanos(Seconds{500}));
  EXPECT_EQ(r.ledger.of(TimeCategory::kProductive), to_nanos(Seconds{10'000}));
  EXPECT_EQ(r.ledger.total(), r.wall);
  EXPECT_EQ(r.wall, to_nanos(Seconds{10'500}));
  EXPECT_EQ(r.failures, 0);
}

TEST(JobRun, AnEventBudgetStopsTheRunEarlyWithAnExactLedgerOfWhatItSimulated) {
  SmallJob job(1.0);
  job.executor.set("full_checkpoint", 5.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  ScriptedFailures none({});
  SparePool spares(restart_spec(0, 0));
  JobSettings limited = settings(job, 10'500);
  limited.max_events = 250;  // 250 iterations of 1 s, and the checkpoints after 100 and 200
  const JobResult r = run_job(*policy, job.executor, none, spares, limited);
  EXPECT_EQ(r.iterations, 250);
  EXPECT_EQ(r.wall, to_nanos(Seconds{260}));
  EXPECT_EQ(r.ledger.total(), r.wall);
  EXPECT_NE(r.stopped_early.find("event budget of 250 steps"), std::string::npos) << r.stopped_early;
  EXPECT_NE(r.stopped_early.find("limits.max_events"), std::string::npos) << r.stopped_early;

  SparePool spares_again(restart_spec(0, 0));
  ScriptedFailures none_again({});
  auto unlimited_policy = job.policy("{name: sync_full, interval_iterations: 100}");
  const JobResult full =
      run_job(*unlimited_policy, job.executor, none_again, spares_again, settings(job, 10'500));
  EXPECT_TRUE(full.stopped_early.empty());
  EXPECT_EQ(full.wall, to_nanos(Seconds{10'500}));
}

TEST(JobRun, FailureRollsBackToLastCheckpointAndChargesLostWork) {
  SmallJob job(1.0);
  job.executor.set("full_checkpoint", 5.0, 0.0);
  job.executor.set("full_load", 20.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  // Checkpoint of version 100 ends at 105 s; failure at 155.5 s: 50.5 s of work lost.
  ScriptedFailures failures({failure_at(155.5, 30.0)});
  SparePool spares(restart_spec(60, 40));
  const JobResult r = run_job(*policy, job.executor, failures, spares, settings(job, 1000, 40));
  EXPECT_EQ(r.failures, 1);
  EXPECT_EQ(r.recoveries_completed, 1);
  EXPECT_EQ(r.rolled_back_iterations, 50);
  EXPECT_EQ(r.ledger.of(TimeCategory::kLostWork), to_nanos(Seconds{50.5}));
  EXPECT_EQ(r.ledger.of(TimeCategory::kDetection), to_nanos(Seconds{30}));
  EXPECT_EQ(r.ledger.of(TimeCategory::kRestart), to_nanos(Seconds{100}));
  EXPECT_EQ(r.ledger.of(TimeCategory::kStateLoad), to_nanos(Seconds{20}));
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(JobRun, FailureDuringCheckpointWriteKeepsPreviousVersion) {
  SmallJob job(1.0);
  job.executor.set("full_checkpoint", 10.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  // Version 100 completes at 110 s; the write of version 200 runs 210-220 s and is cut at 215 s.
  ScriptedFailures failures({failure_at(215)});
  SparePool spares(restart_spec(0, 0));
  const JobResult r = run_job(*policy, job.executor, failures, spares, settings(job, 400));
  EXPECT_EQ(r.checkpoints_aborted, 1);
  EXPECT_EQ(r.rolled_back_iterations, 100);  // back to version 100, not the torn 200
  bool restored_previous = false;
  for (const auto& e : r.timeline) {
    if (e.event == "failure") {
      EXPECT_NE(e.detail.find("restore version 100"), std::string::npos) << e.detail;
      restored_previous = true;
    }
  }
  EXPECT_TRUE(restored_previous);
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(JobRun, FailureDuringBackgroundPersistKeepsPreviousVersion) {
  SmallJob job(1.0);
  job.executor.set("full_checkpoint", 1.0, 30.0);  // 1 s snapshot, 30 s persist beside training
  auto policy = job.policy("{name: async_two_level, interval_iterations: 100}");
  // Version 100: snapshot 100-101 s, persisted at 131 s. Version 200 snapshot starts after
  // iteration 200; its persist is in flight when the failure strikes.
  ScriptedFailures failures({failure_at(215)});
  SparePool spares(restart_spec(0, 0));
  JobSettings s = settings(job, 400);
  s.background_slowdown = 0.1;
  const JobResult r = run_job(*policy, job.executor, failures, spares, s);
  EXPECT_EQ(r.checkpoints_aborted, 1);
  for (const auto& e : r.timeline) {
    if (e.event == "failure") {
      EXPECT_NE(e.detail.find("restore version 100"), std::string::npos) << e.detail;
    }
  }
  EXPECT_GT(r.ledger.of(TimeCategory::kSlowdown), 0);
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(JobRun, FailureDuringRecoveryRestartsRecovery) {
  SmallJob job(1.0);
  job.executor.set("full_load", 10.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  // The second failure strikes during the first recovery's restart phase.
  ScriptedFailures failures({failure_at(50, 5), failure_at(70, 5)});
  SparePool spares(restart_spec(100, 0));
  const JobResult r = run_job(*policy, job.executor, failures, spares, settings(job, 500));
  EXPECT_EQ(r.failures, 2);
  EXPECT_EQ(r.recoveries_completed, 1);
  EXPECT_EQ(r.ledger.of(TimeCategory::kDetection), to_nanos(Seconds{10}));
  // First restart cut after 15 s, second one full: 115 s.
  EXPECT_EQ(r.ledger.of(TimeCategory::kRestart), to_nanos(Seconds{115}));
  EXPECT_EQ(r.ledger.total(), r.wall);
}

// Daly (2006): ETTR = tau / (M e^{R/M} (e^{(tau+delta)/M} - 1)), with failures that may strike
// during checkpoints and restarts. M = 3 h, tau = 30 min, delta = 2 min, R = 747 s, 4 years.
TEST(JobRun, EttrMatchesDalyModelWithinOnePercent) {
  const double t_iter = 10, tau = 1800, delta = 120, load = 147, detection = 60;
  const double reschedule = 300, process = 240;
  const double restart = detection + reschedule + process + load;
  SmallJob job(t_iter, 3 * 3600.0);
  job.executor.set("full_checkpoint", delta, 0);
  job.executor.set("full_load", load, 0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 180}");
  const FailureSpec spec = decode_failures(
      ConfigNode::load_string(
          "{model: exponential, mtbf_job: 3h, kinds: [{name: gpu, weight: 1, detection: 1m}]}",
          "failures.yaml"),
      job.cluster);
  auto failures = make_failure_process(spec, job.cluster, 7);
  SparePool spares(restart_spec(reschedule, process));
  const JobResult r =
      run_job(*policy, job.executor, *failures, spares, settings(job, 4 * 365 * 86400.0, process));
  const double expected = daly_ettr(Seconds{tau}, Seconds{delta}, Seconds{restart}, 3 * 3600.0);
  RecordProperty("simulated_ettr", std::to_string(ettr(r)));
  RecordProperty("daly_ettr", std::to_string(expected));
  RecordProperty("failures", std::to_string(r.failures));
  std::printf("Daly oracle: simulated ETTR %.5f, Daly %.5f (%.3f%%), %lld failures\n", ettr(r),
              expected, 100 * (ettr(r) - expected) / expected, static_cast<long long>(r.failures));
  EXPECT_GT(r.failures, 10'000);
  EXPECT_NEAR(ettr(r), expected, 0.01 * expected)
      << "simulated " << ettr(r) << " vs Daly " << expected << " over " << r.failures
      << " failures";
  EXPECT_EQ(r.ledger.total(), r.wall);
}

// ETTR over intervals around Daly's optimum (same failures for each: common random numbers):
// the best interval of the grid is next to Daly's, and the extremes are clearly worse.
TEST(JobRun, EttrIsMaximalNearDalyInterval) {
  const double t_iter = 10, delta = 120, mtbf = 3 * 3600.0;
  const double tau_daly = daly_interval(Seconds{delta}, mtbf).value;
  const std::vector<double> factors = {0.25, 0.5, 1.0, 2.0, 4.0};
  std::vector<double> ettrs;
  for (double f : factors) {
    SmallJob job(t_iter, mtbf);
    job.executor.set("full_checkpoint", delta, 0);
    job.executor.set("full_load", 147, 0);
    const long k = std::lround(f * tau_daly / t_iter);
    auto policy = job.policy("{name: sync_full, interval_iterations: " + std::to_string(k) + "}");
    const FailureSpec spec = decode_failures(
        ConfigNode::load_string("{model: exponential, mtbf_job: 3h}", "failures.yaml"), job.cluster);
    auto failures = make_failure_process(spec, job.cluster, 11);
    SparePool spares(restart_spec(300, 240));
    ettrs.push_back(ettr(run_job(*policy, job.executor, *failures, spares,
                                 settings(job, 2 * 365 * 86400.0, 240))));
  }
  const size_t best = std::max_element(ettrs.begin(), ettrs.end()) - ettrs.begin();
  EXPECT_GE(best, 1u);
  EXPECT_LE(best, 3u);
  EXPECT_GT(ettrs[2], ettrs[0] + 0.005);
  EXPECT_GT(ettrs[2], ettrs[4] + 0.005);
}

// Property: for random failure rates, intervals and both policies, the ledger is exact, the
// ETTR is in (0, 1], and with failures switched off nothing is lost or recovered.
TEST(JobRun, LedgerSumsToWallTimeForRandomScenarios) {
  for (int trial = 0; trial < 12; ++trial) {
    const double t_iter = 1 + trial % 5;
    SmallJob job(t_iter, 1e9);
    job.executor.set("full_checkpoint", 0.5 + trial, trial % 2 ? 20.0 * trial : 0.0);
    job.executor.set("full_load", 3.0 * trial, 0);
    const std::string kind = trial % 2 ? "async_two_level" : "sync_full";
    auto policy = job.policy("{name: " + kind + ", interval_iterations: " +
                             std::to_string(10 + 37 * trial) + "}");
    const bool with_failures = trial % 3 != 0;
    const std::string failures_yaml =
        with_failures ? "{model: exponential, mtbf_job: " + std::to_string(600 + 400 * trial) + "s}"
                      : "{model: none}";
    const FailureSpec spec =
        decode_failures(ConfigNode::load_string(failures_yaml, "failures.yaml"), job.cluster);
    auto failures = make_failure_process(spec, job.cluster, 100 + trial);
    SparePool spares(restart_spec(30, 10));
    JobSettings s = settings(job, 3 * 86400.0 + 0.123, 10);
    s.background_slowdown = 0.05 * (trial % 4);
    const JobResult r = run_job(*policy, job.executor, *failures, spares, s);
    EXPECT_EQ(r.ledger.total(), r.wall) << "trial " << trial;
    EXPECT_GT(ettr(r), 0) << "trial " << trial;
    EXPECT_LE(ettr(r), 1) << "trial " << trial;
    if (!with_failures) {
      EXPECT_EQ(r.failures, 0);
      EXPECT_EQ(r.ledger.of(TimeCategory::kLostWork), 0);
    } else {
      EXPECT_GT(r.failures, 0) << "trial " << trial;
    }
  }
}

}  // namespace
}  // namespace ckptlab
