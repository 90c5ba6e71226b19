// The shipped real-trace scenarios load, and replay what their comments say.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "exec/analytic_executor.hpp"
#include "failure/failure_process.hpp"
#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {
namespace {

const std::string kReal = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/real/";

TEST(RealScenarios, InfiniteHbdReplaysTheHardwareFaultsOnItsOwn400Nodes) {
  const Scenario s = load_scenario(kReal + "infinitehbd_400n.yaml", {});
  EXPECT_EQ(s.cluster.nodes, 400);
  ASSERT_EQ(s.failures.model, FailureModel::trace);
  EXPECT_EQ(s.failures.trace.events.size(), 300u);  // gpu 158 + host 71 + network 71
  EXPECT_EQ(s.failures.trace.remap, TraceRemap::none);
  EXPECT_EQ(s.restart.repair.distribution, RepairDistribution::lognormal);
  EXPECT_GE(s.policies.size(), 5u);
}

TEST(RealScenarios, LanlIsRemappedOntoAThousandNodesAtItsPerNodeRate) {
  const Scenario s = load_scenario(kReal + "lanl_system20_1024n.yaml", {});
  EXPECT_EQ(s.cluster.nodes, 1024);
  ASSERT_EQ(s.failures.model, FailureModel::trace);
  EXPECT_EQ(s.failures.trace.events.size(), 1496u);  // after the first 136 days
  EXPECT_EQ(s.failures.trace.remap, TraceRemap::random);
  // 1,496 events in 1,225 days of 512 nodes; halved times on 1,024 nodes: the same per-node rate.
  const double per_node_day = 1496 / (1225.0 * 512);
  EXPECT_NEAR(s.failures.job_mtbf_seconds(s.cluster), 86400 / (per_node_day * 1024),
              0.01 * 86400 / (per_node_day * 1024));
  auto p = make_failure_process(s.failures, s.cluster, s.seed);
  std::set<std::int64_t> nodes;
  for (size_t i = 0; i < s.failures.trace.events.size(); ++i) {
    const auto e = p->next();
    ASSERT_TRUE(e);
    ASSERT_LT(e->nodes.at(0), 1024);
    nodes.insert(e->nodes.at(0));
  }
  EXPECT_EQ(nodes.size(), 283u);  // one-to-one: the window's 283 failing nodes
  EXPECT_EQ(s.restart.retire_after, 5);
}

TEST(RealScenarios, TitanKeepsTheLoggedRatePerGpuOnTenThousandNodes) {
  const Scenario s = load_scenario(kReal + "titan_gpu_10240n.yaml", {});
  EXPECT_EQ(s.cluster.nodes, 10240);
  ASSERT_EQ(s.failures.model, FailureModel::trace);
  EXPECT_EQ(s.failures.trace.events.size(), 5270u);  // from day 730 on
  EXPECT_EQ(s.failures.trace.remap, TraceRemap::by_rack);
  // 5,270 events in the 1,286.6 days after the window's start on 18,688 logged GPUs, replayed
  // at time_scale 0.228 on 81,920 GPUs: the per-GPU rate is (nearly) the logged one.
  const double span_s = s.failures.trace.span.value;
  const double per_gpu_per_s = 5270.0 / (span_s / 0.228) / 18688;
  EXPECT_NEAR(1 / s.failures.job_mtbf_seconds(s.cluster), per_gpu_per_s * 81920,
              0.03 * per_gpu_per_s * 81920);
  // 19,200 logged ids onto 10,240 nodes: every replayed failure hits a node of the cluster
  // (by_rack's placement itself is tested in failure_replay_test.cpp).
  auto p = make_failure_process(s.failures, s.cluster, s.seed);
  for (int i = 0; i < 200; ++i) {
    const auto e = p->next();
    ASSERT_TRUE(e);
    for (std::int64_t n : e->nodes) ASSERT_LT(n, 10240);
  }
}

TEST(RealScenarios, AireSimsAssumptionsGiveTheFixedRecoveryFormula) {
  // docs/validation.md, "Side by side with AIReSim": no lost work, a fixed 20 min recovery per
  // failure that further failures can interrupt: ETTR = e^(-R/M) with M the job MTBF.
  Scenario s = load_scenario(kReal + "airesim-default.yaml",
                             {"horizon=14d", "replications=1"});
  EXPECT_EQ(s.cluster.nodes, 4096);
  const double m = s.failures.job_mtbf_seconds(s.cluster);
  EXPECT_NEAR(m, 33.09 * 60, 1.0);
  AnalyticExecutor executor(s.cluster, s.hardware);
  const RunOutcome outcome = run_scenario(s, executor);
  const JobResult& r = outcome.policies.at(0).job;
  const double ettr = static_cast<double>(r.ledger.of(TimeCategory::kProductive)) /
                      static_cast<double>(r.wall);
  // About 600 failures in 14 days: the estimate's own noise is near 0.02.
  EXPECT_NEAR(ettr, std::exp(-20 * 60 / m), 0.04);
  EXPECT_LT(r.ledger.of(TimeCategory::kLostWork), r.wall / 1000);  // "no lost work"
}

}  // namespace
}  // namespace ckptlab
