// moetion (MoEtion/MoEvement): operators, the sparse window from the PCIe budget, localized
// recovery with zero lost tokens, and the dense fallbacks.
#include "policies/moetion.hpp"

#include <gtest/gtest.h>

#include "core/job_fixture.hpp"
#include "exec/analytic_executor.hpp"
#include "failure/failure_spec.hpp"
#include "job/job_run.hpp"
#include "policies/moetion_window.hpp"

namespace ckptlab {
namespace {

using testing::failure_at;
using testing::ScriptedFailures;
using testing::SmallJob;

// GPT-MoE-125M-8E on 4 nodes: PP 2, DP 16, EP 8 (each stage on two nodes, so every rank has a
// data-parallel peer on another node to hold its window).
constexpr const char* kPipeline = "{pp: 2, ep: 8, zero_stage: 1, global_batch_tokens: 1M}";
constexpr std::int64_t kNodes = 4;

JobResult run_scripted(SmallJob& job, Policy& policy, std::vector<FailureEvent> failures,
                       double horizon_s) {
  ScriptedFailures process(std::move(failures));
  RestartSpec restart;
  restart.reschedule_wait = Seconds{30};
  SparePool spares(restart);
  JobSettings s;
  s.iteration_time = job.iteration_time;
  s.horizon = Seconds{horizon_s};
  return run_job(policy, job.executor, process, spares, s);
}

TEST(Moetion, OperatorsAreLocalExpertsPerLayerGatesAndOneNonExpert) {
  SmallJob job(1.0, 1e18, 0, kNodes, kPipeline);
  const RankShard& r = job.shards->rank(0);
  const auto ops = moetion_operators(job.model, r, {});
  // Stage 0 holds layers 0-5: MoE layers 1, 3, 5; EP 8 leaves one local expert per layer.
  EXPECT_EQ(r.moe_layers_in_stage, 3);
  EXPECT_EQ(ops.size(), static_cast<size_t>(3 * 1 + 3 + 1));
  EXPECT_EQ(ops.front().kind, MoetionOperator::Kind::kExpert);
  EXPECT_EQ(ops.back().kind, MoetionOperator::Kind::kNonExpert);
  Bytes weights, state;
  for (const auto& op : ops) {
    weights += op.weights;
    state += op.state;
  }
  // The operators partition the rank's state (up to the rounding of the even expert split).
  EXPECT_NEAR(static_cast<double>(weights.value), static_cast<double>(r.total().weights.value), 8);
  EXPECT_NEAR(static_cast<double>(state.value),
              static_cast<double>((r.total().master + r.total().optimizer).value), 8);
}

TEST(Moetion, WindowIsTheSmallestThatFitsThePcieBudgetEveryIteration) {
  // ZeRO 0: every rank holds its operators' full optimizer state, so state dominates weights.
  SmallJob job(1.0, 1e18, 0, kNodes, "{pp: 2, ep: 8, zero_stage: 0, global_batch_tokens: 1M}");
  // The smallest budget where one operator per slot fits on every rank: the largest operator's
  // state plus all of the rank's weights; and the budget that fits a whole rank at once.
  Bytes one_op_budget, everything;
  for (const RankShard& r : job.shards->ranks()) {
    Bytes weights, state, largest;
    for (const auto& op : moetion_operators(job.model, r, {})) {
      weights += op.weights;
      state += op.state;
      largest = std::max(largest, op.state);
    }
    one_op_budget = std::max(one_op_budget, largest + weights);
    everything = std::max(everything, state + weights);
  }
  // A budget that fits everything gives a window of 1 (a dense snapshot every iteration).
  EXPECT_EQ(moetion_window(job.model, *job.shards, everything, {}).w_sparse, 1);
  // A tighter budget forces several slots, and every slot of every rank fits it.
  const MoetionWindow w = moetion_window(job.model, *job.shards, one_op_budget, {});
  EXPECT_GT(w.w_sparse, 1);
  EXPECT_TRUE(w.keeps_up);
  for (const auto& slot : w.slot_bytes) {
    for (Bytes b : slot) EXPECT_LE(b.value, one_op_budget.value);
  }
  // Budget below a single operator's state: the snapshot cannot keep up.
  const MoetionWindow tiny = moetion_window(job.model, *job.shards, Bytes{1000}, {});
  EXPECT_FALSE(tiny.keeps_up);
  EXPECT_EQ(tiny.w_sparse, tiny.operators);
  EXPECT_GT(w.conversion_cost_factor, 2.0 / 3);
  EXPECT_LT(w.conversion_cost_factor, 1.0);
}

// `window: W` sets W_sparse instead of the PCIe rule: every rank spreads its operators over W
// slots, the slots still partition the state, and a window too short for the budget is reported.
TEST(Moetion, WindowKeySetsTheWindowAndSaysWhenItCannotKeepUp) {
  SmallJob job(1.0, 1e18, 0, kNodes, "{pp: 2, ep: 8, zero_stage: 0, global_batch_tokens: 1M}");
  const std::int64_t most = moetion_max_operators(job.model, *job.shards);
  ASSERT_GE(most, 4);
  const MoetionWindow ruled = moetion_window(job.model, *job.shards, Bytes{1LL << 40}, {});
  EXPECT_EQ(ruled.w_sparse, 1);  // everything fits: the rule picks a dense snapshot
  const MoetionWindow forced = moetion_window(job.model, *job.shards, Bytes{1LL << 40}, {}, 4);
  EXPECT_EQ(forced.w_sparse, 4);
  ASSERT_EQ(forced.slot_bytes.size(), 4u);
  EXPECT_TRUE(forced.keeps_up);
  // Over the window each operator's state is copied once: the slots' state adds up to the rank's
  // whole state (frozen weights come on top, so the sum is at least that).
  for (const RankShard& r : job.shards->ranks()) {
    Bytes sum;
    for (const auto& slot : forced.slot_bytes) sum += slot[static_cast<size_t>(r.rank)];
    EXPECT_GE(sum.value, (r.total().master + r.total().optimizer).value) << r.rank;
  }
  // The same window on a budget its slots exceed: kept, and reported.
  EXPECT_FALSE(moetion_window(job.model, *job.shards, Bytes{1000}, {}, 4).keeps_up);

  auto policy = job.policy("{name: moetion, window: 4}");
  EXPECT_NE(policy->describe().find("sparse window of 4 iterations"), std::string::npos)
      << policy->describe();
  EXPECT_NE(policy->describe().find("set by `window`"), std::string::npos);
  EXPECT_EQ(policy->sources().at("w_sparse"), "scenario: the policy's `window` key");
  for (const std::string& bad : std::vector<std::string>{"0", "-2", std::to_string(most + 1)}) {
    try {
      job.policy("{name: moetion, window: " + bad + "}");
      ADD_FAILURE() << "window " << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("window must be between 1 and " +
                                           std::to_string(most)),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Moetion, LocalizedRecoveryKeepsGlobalProgressAndLosesNoTokens) {
  SmallJob job(1.0, 1e18, 0, kNodes, kPipeline);
  job.executor.set("moetion", 0, 0.5);
  job.executor.set("moetion:localized_load", 3.0, 0);
  auto policy = job.policy("{name: moetion}");
  const JobResult r = run_scripted(job, *policy, {failure_at(200.4)}, 400);
  ASSERT_EQ(r.recoveries_completed, 1);
  EXPECT_EQ(r.rolled_back_iterations, 0);
  // Only the iteration in flight is redone; recomputation is charged as replay.
  EXPECT_LT(r.ledger.of(TimeCategory::kLostWork), to_nanos(job.iteration_time));
  EXPECT_GT(r.ledger.of(TimeCategory::kReplay), 0);
  EXPECT_EQ(r.ledger.of(TimeCategory::kStateLoad), to_nanos(Seconds{3.0}));
  EXPECT_EQ(policy->lost_tokens_fraction(), 0.0);
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(Moetion, WithoutPipelineStagesEveryRankRollsBackToTheWindow) {
  SmallJob job(1.0, 1e18, 0, kNodes, "{ep: 8, zero_stage: 1, global_batch_tokens: 1M}");
  job.executor.set("moetion", 0, 0.5);
  auto policy = job.policy("{name: moetion}");
  const JobResult r = run_scripted(job, *policy, {failure_at(200.4)}, 400);
  ASSERT_EQ(r.recoveries_completed, 1);
  for (const auto& e : r.timeline) {
    if (e.event != "failure") continue;
    EXPECT_NE(e.detail.find("global rollback"), std::string::npos) << e.detail;
  }
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(Moetion, ReloadsFromStorageBeforeTheFirstWindowAndRollsBackGloballyDuringARecovery) {
  SmallJob job(1.0, 1e18, 0, kNodes, kPipeline);
  job.executor.set("moetion", 0, 0.5);
  job.executor.set("moetion:localized_load", 3.0, 0);
  job.executor.set("full_load", 10.0, 0);
  auto policy = job.policy("{name: moetion}");
  // At 0.5 s no window is complete; at 200 s a failure, and another during its recovery.
  const JobResult r =
      run_scripted(job, *policy, {failure_at(0.5), failure_at(200.4), failure_at(201.0)}, 400);
  std::vector<std::string> details;
  for (const auto& e : r.timeline) {
    if (e.event == "failure") details.push_back(e.detail);
  }
  ASSERT_EQ(details.size(), 3u);
  EXPECT_NE(details[0].find("no complete window yet"), std::string::npos) << details[0];
  EXPECT_NE(details[1].find("localized"), std::string::npos) << details[1];
  EXPECT_NE(details[2].find("global rollback"), std::string::npos) << details[2];
  EXPECT_NE(details[2].find("failure during a recovery"), std::string::npos) << details[2];
  EXPECT_EQ(r.ledger.total(), r.wall);
}

// At equal scenario and failures, MoEtion's recovery (downtime + lost and replayed work per
// failure) is below sync_full's.
TEST(Moetion, RecoveryCostsLessThanSyncFullAtEqualScenario) {
  const auto recovery_cost = [](const std::string& policy_yaml) {
    SmallJob job(2.0, 4 * 3600.0, 0, kNodes, kPipeline);
    AnalyticExecutor analytic(job.cluster, job.hardware);
    const PolicyContext ctx{job.model, job.parallel, job.cluster, job.hardware, *job.shards,
                            analytic, job.iteration_time, 4 * 3600.0, Seconds{0}};
    auto policy = make_policy(ConfigNode::load_string(policy_yaml, "p.yaml"), ctx);
    const FailureSpec spec = decode_failures(
        ConfigNode::load_string("{model: exponential, mtbf_job: 4h}", "f.yaml"), job.cluster);
    auto failures = make_failure_process(spec, job.cluster, 3);
    RestartSpec restart;
    restart.reschedule_wait = Seconds{60};
    SparePool spares(restart);
    JobSettings s;
    s.iteration_time = job.iteration_time;
    s.horizon = Seconds{30 * 86400.0};
    s.background_slowdown = 0.03;
    const JobResult r = run_job(*policy, analytic, *failures, spares, s);
    const auto& l = r.ledger;
    return static_cast<double>(l.of(TimeCategory::kLostWork) + l.of(TimeCategory::kStateLoad) +
                               l.of(TimeCategory::kReplay)) /
           static_cast<double>(r.failures);
  };
  const double moetion = recovery_cost("{name: moetion, persist_interval: 30m}");
  const double sync = recovery_cost("{name: sync_full, interval: 30m}");
  EXPECT_LT(moetion, sync) << "moetion " << moetion / 1e9 << " s vs sync_full " << sync / 1e9 << " s";
}

TEST(Moetion, UpstreamLogsThatDoNotFitHostMemoryAreRejected) {
  SmallJob job(1.0, 1e18, 0, kNodes, "{pp: 2, ep: 8, zero_stage: 1, global_batch_tokens: 64M}");
  job.hardware.host_memory = Bytes{2'000'000'000};
  try {
    job.policy("{name: moetion}");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("upstream logs"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ckptlab
