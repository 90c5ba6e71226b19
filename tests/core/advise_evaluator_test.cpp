// ckptlab advise's candidate evaluator: replications on several threads give exactly the runs of
// one thread, more replications only add the missing ones (and equal what run_scenario reports),
// a host-memory rejection is told apart from other rejections and still run with the limit
// lifted, and the lost-tokens bound marks candidates as infeasible.
#include <gtest/gtest.h>

#include "advise/candidate_evaluator.hpp"
#include "exec/analytic_executor.hpp"
#include "run/run_scenario.hpp"

namespace ckptlab {
namespace {

const std::string kScenario =
    std::string(CKPTLAB_SOURCE_DIR) + "/tests/data/advise/host_memory.yaml";

std::unique_ptr<Executor> analytic(const Scenario& s) {
  return std::make_unique<AnalyticExecutor>(s.cluster, s.hardware);
}

ScenarioLoader loader(std::vector<std::string> overrides) {
  overrides.push_back("horizon=5d");
  return [overrides] { return load_scenario(kScenario, overrides); };
}

EvaluatorOptions options(std::size_t jobs) {
  EvaluatorOptions o;
  o.make_executor = analytic;
  o.jobs = jobs;
  return o;
}

void expect_same_runs(const Evaluation& a, const Evaluation& b) {
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (std::size_t r = 0; r < a.runs.size(); ++r) {
    EXPECT_EQ(a.runs[r].time_s, b.runs[r].time_s) << "replication " << r;
    EXPECT_EQ(a.runs[r].wall_s, b.runs[r].wall_s) << "replication " << r;
    EXPECT_EQ(a.runs[r].failures, b.runs[r].failures) << "replication " << r;
  }
}

TEST(AdviseEvaluator, ThreadsGiveTheRunsOfOneThread) {
  CandidateEvaluator one(loader({}), options(1));
  CandidateEvaluator two(loader({}), options(2));
  const Settings s = {{"persist_interval", "1h"}};
  expect_same_runs(one.evaluate(0, s, 5), two.evaluate(0, s, 5));
  EXPECT_EQ(two.runs(), 5u);
}

TEST(AdviseEvaluator, MoreReplicationsAddOnlyTheMissingOnesAndMatchRunScenario) {
  CandidateEvaluator ev(loader({}), options(1));
  const Settings s = {{"replicas", "2"}};
  ev.evaluate(0, s, 2);
  const Evaluation& e = ev.evaluate(0, s, 4);
  EXPECT_EQ(ev.runs(), 4u);
  EXPECT_EQ(ev.evaluations(), 1u);

  // The same four replications through run_scenario, as `ckptlab run` would do them.
  Scenario scenario = load_scenario(kScenario, {"horizon=5d", "policies[0].replicas=2"});
  AnalyticExecutor executor(scenario.cluster, scenario.hardware);
  RunOptions run;
  run.replications = 4;
  const RunOutcome outcome = run_scenario(scenario, executor, run);
  const auto& reps = outcome.policies.front().replications;
  ASSERT_EQ(reps.size(), e.runs.size());
  for (std::size_t r = 0; r < reps.size(); ++r) {
    EXPECT_DOUBLE_EQ(to_seconds(reps[r].wall).value, e.runs[r].wall_s);
    EXPECT_DOUBLE_EQ(to_seconds(reps[r].ledger.of(TimeCategory::kProductive)).value,
                     e.runs[r].time_s[0]);
  }
}

TEST(AdviseEvaluator, HostMemoryRejectionIsRunWithTheLimitLifted) {
  // 6 GB holds a 2.65 GB snapshot and one peer's copy, not two.
  CandidateEvaluator ev(loader({"hardware.host_memory=6GB"}), options(1));
  const Evaluation& two = ev.evaluate(0, {{"replicas", "2"}}, 2);
  EXPECT_EQ(two.violated, "host_memory");
  EXPECT_FALSE(two.feasible());
  EXPECT_TRUE(two.valid());
  EXPECT_EQ(two.runs.size(), 2u);
  EXPECT_NE(two.violation_detail.find("host memory"), std::string::npos);
  EXPECT_TRUE(ev.evaluate(0, {{"replicas", "1"}}, 2).feasible());
  // A rejection for another reason is invalid, not a constraint.
  const Evaluation& bad = ev.evaluate(0, {{"placement", "star"}}, 2);
  EXPECT_FALSE(bad.valid());
  EXPECT_TRUE(bad.runs.empty());
  EXPECT_EQ(ev.resolved_interval(0, {{"replicas", "2"}}), std::optional<std::int64_t>(1));
}

TEST(AdviseEvaluator, LostTokensBoundMarksCandidatesInfeasible) {
  EvaluatorOptions o = options(1);
  o.constraints.max_lost_tokens = 1e-9;
  CandidateEvaluator ev(loader({"policies=[{name: moc_pec}]"}), o);
  const Evaluation& e = ev.evaluate(0, {}, 2);
  ASSERT_GT(e.lost_tokens_fraction(), 1e-9);
  EXPECT_EQ(e.violated, "max_lost_tokens");
  EXPECT_EQ(ev.kind(0), "moc_pec");
}

}  // namespace
}  // namespace ckptlab
