// Invariants every policy keeps, on randomised scenarios (failure rates, intervals, seeds), and
// a golden result per policy so that a change in behaviour is seen.
//
// The job state machine itself checks, at every recovery, that the restored version is complete
// on its tier and not ahead of the job (CKPTLAB_CHECK aborts the test otherwise), and at the end
// that the ledger sums to wall time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "core/job_fixture.hpp"
#include "exec/analytic_executor.hpp"
#include "failure/failure_spec.hpp"
#include "job/job_run.hpp"

namespace ckptlab {
namespace {

using testing::SmallJob;

const std::vector<std::string> kPolicies = {
    "{name: sync_full, interval: 10m}",
    "{name: async_two_level}",
    "{name: in_memory, replicas: 1, persist_interval: 1h}",
    "{name: moetion, replicas: 1, persist_interval: 1h}",
    "{name: moc_pec, k_pec: 2, interval: 10m, selection: load_aware,\n     routing: {distribution: zipf, exponent: 1.1}}",
};

struct PolicyRun {
  JobResult job;
  double lost_tokens = 0;
};

PolicyRun run(const std::string& policy_yaml, double mtbf_s, std::uint64_t seed, double horizon_s) {
  // GPT-MoE-125M-8E on 4 nodes, PP 2, DP 16, EP 8: every policy (moetion's localized recovery
  // included) is exercised.
  SmallJob job(2.0, mtbf_s, 0, 4, "{pp: 2, ep: 8, zero_stage: 1, global_batch_tokens: 1M}", 2);
  AnalyticExecutor analytic(job.cluster, job.hardware);
  const PolicyContext ctx{job.model, job.parallel, job.cluster, job.hardware, *job.shards,
                          analytic, job.iteration_time, mtbf_s, Seconds{120}};
  auto policy = make_policy(ConfigNode::load_string(policy_yaml, "policy.yaml"), ctx);
  const std::string failures = std::isfinite(mtbf_s)
                                   ? "{model: exponential, mtbf_job: " + std::to_string(mtbf_s) + "s}"
                                   : std::string("{model: none}");
  const FailureSpec spec = decode_failures(ConfigNode::load_string(failures, "f.yaml"), job.cluster);
  auto process = make_failure_process(spec, job.cluster, seed);
  RestartSpec restart;
  restart.spares = 1;
  restart.spare_swap = Seconds{60};
  restart.reschedule_wait = Seconds{300};
  restart.process_restart = Seconds{60};
  restart.repair_time = Seconds{3600};
  SparePool spares(restart, seed);
  JobSettings s;
  s.iteration_time = job.iteration_time;
  s.horizon = Seconds{horizon_s};
  s.background_slowdown = 0.03;
  s.process_restart = restart.process_restart;
  PolicyRun r;
  r.job = run_job(*policy, analytic, *process, spares, s);
  r.lost_tokens = policy->lost_tokens_fraction();
  return r;
}

double ettr(const JobResult& r) {
  return static_cast<double>(r.ledger.of(TimeCategory::kProductive)) / static_cast<double>(r.wall);
}

TEST(PolicyInvariants, HoldOnRandomisedScenariosForEveryPolicy) {
  for (const std::string& policy : kPolicies) {
    for (int trial = 0; trial < 4; ++trial) {
      SCOPED_TRACE(policy + " trial " + std::to_string(trial));
      const double mtbf = 900.0 * (1 + 3 * trial);
      const PolicyRun r = run(policy, mtbf, 1000 + trial, 86400.0);
      EXPECT_EQ(r.job.ledger.total(), r.job.wall);
      EXPECT_GT(ettr(r.job), 0);
      EXPECT_LE(ettr(r.job), 1);
      EXPECT_GT(r.job.failures, 0);
      EXPECT_GE(r.lost_tokens, 0);
      EXPECT_LE(r.lost_tokens, 1);
    }
  }
}

TEST(PolicyInvariants, WithoutFailuresNothingIsLostOrRecovered) {
  for (const std::string& policy : kPolicies) {
    SCOPED_TRACE(policy);
    const PolicyRun r = run(policy, std::numeric_limits<double>::infinity(), 1, 6 * 3600.0);
    EXPECT_EQ(r.job.failures, 0);
    for (TimeCategory c : {TimeCategory::kLostWork, TimeCategory::kDetection, TimeCategory::kRestart,
                           TimeCategory::kStateLoad, TimeCategory::kReplay}) {
      EXPECT_EQ(r.job.ledger.of(c), 0) << category_key(c);
    }
    EXPECT_EQ(r.lost_tokens, 0.0);
    EXPECT_GT(r.job.checkpoints_completed, 0);
  }
}

TEST(PolicyInvariants, MoetionAndInMemoryLoseNoTokens) {
  for (size_t i : {2u, 3u}) {
    const PolicyRun r = run(kPolicies[i], 1800, 7, 86400.0);
    EXPECT_EQ(r.lost_tokens, 0.0) << kPolicies[i];
  }
}

// Golden ETTRs (seed 42, job MTBF 1 h, one day): a change in any policy's behaviour shows here.
// Update them only for an intended change, and say why in the commit.
TEST(PolicyInvariants, GoldenResults) {
  const double golden[] = {0.829848921658, 0.936041572254, 0.939082956537, 0.939107830860,
                           0.829850345785};
  for (size_t i = 0; i < kPolicies.size(); ++i) {
    const PolicyRun r = run(kPolicies[i], 3600, 42, 86400.0);
    std::printf("golden %zu: %.12f (%lld failures)\n", i, ettr(r.job),
                static_cast<long long>(r.job.failures));
    EXPECT_NEAR(ettr(r.job), golden[i], 1e-9) << kPolicies[i];
  }
}

}  // namespace
}  // namespace ckptlab
