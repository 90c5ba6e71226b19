// Short jobs on the host harness, driven by the real policies, with failures injected between
// iterations, in the middle of a snapshot and in the middle of a persist: every recovery restores
// the newest complete version bit for bit, and the measured ledger sums to the wall time.
#include "hw/validate/harness_job.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "exec/analytic_executor.hpp"
#include "hw/host/host_backend.hpp"
#include "hw/validate/harness_policies.hpp"
#include "hw/validate/lossy_reference.hpp"
#include "hw_test_util.hpp"
#include "policy/catalog.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab::hw {
namespace {

class HostJobTest : public ::testing::Test {
 protected:
  HostJobTest()
      : scenario_(load_scenario(
            std::string(CKPTLAB_SOURCE_DIR) + "/tests/hw/data/tiny_validate.yaml", {})),
        layout_(make_harness_layout(*scenario_.shards, {4, Bytes{2 << 20}, 16, 4})),
        scaler_(layout_),
        analytic_(harness_cluster(layout_), scenario_.hardware),
        predictor_(scaler_, analytic_),
        compute_(ComputePhase::with_gemms(20)) {}

  HarnessJobResult run(size_t policy_index, std::vector<FailureInjection> failures,
                    std::int64_t iterations = 12) {
    TrainerState state(layout_, 5);
    const ReferenceChecksums ref(layout_, 5, 4, iterations);
    HostExecutor exec(state,
                      {dir_.path() / "storage", dir_.path() / "local", 2, Seconds{10}, true});
    auto policy = make_policy(policy_index);
    HarnessJobSettings settings;
    settings.iterations = iterations;
    settings.failures = std::move(failures);
    return run_host_job(*policy, exec, state, compute_, scaler_, ref, settings);
  }

  // tiny_validate's policy `index`, built for a short run as validate builds it.
  std::unique_ptr<Policy> make_policy(size_t index) {
    return make_harness_policy(scenario_, scenario_.policies.at(index), predictor_,
                               {0, Seconds{0.01}, 2});
  }

  static void expect_sound(const HarnessJobResult& r, std::int64_t iterations) {
    EXPECT_EQ(r.iterations, iterations);
    EXPECT_TRUE(r.final_bit_exact);
    EXPECT_EQ(r.bit_mismatches, 0);
    EXPECT_EQ(r.ledger.total(), r.wall);
    EXPECT_TRUE(r.failures_not_injected.empty()) << r.failures_not_injected.front();
    for (const RecoveryRecord& rec : r.recoveries) {
      EXPECT_TRUE(rec.bit_exact) << failure_point_name(rec.point);
      EXPECT_GT(rec.load_s, 0);
    }
  }

  testing::TestDir dir_;
  Scenario scenario_;
  HarnessLayout layout_;
  PlanScaler scaler_;
  AnalyticExecutor analytic_;
  ScaledExecutor predictor_;
  ComputePhase compute_;
};

TEST_F(HostJobTest, SyncFullRecoversFromEveryKindOfFailureBitExact) {
  const HarnessJobResult r = run(0, {{5, FailurePoint::kBetweenIterations, {1}},
                                  {6, FailurePoint::kMidSnapshot, {2}},
                                  {7, FailurePoint::kMidPersist, {0, 3}}});
  expect_sound(r, 12);
  ASSERT_EQ(r.recoveries.size(), 3u);
  // Checkpoints every 4 iterations: the failure after 5 restores 4; the mid-snapshot failure of
  // the checkpoint at 8 restores 4 again; the mid-persist failure of the next try at 8 still
  // finds 4 as the newest complete version.
  EXPECT_EQ(r.recoveries[0].restored_version, 4);
  EXPECT_EQ(r.recoveries[0].lost_iterations, 1);
  EXPECT_EQ(r.recoveries[1].restored_version, 4);
  EXPECT_EQ(r.recoveries[1].failed_at_iteration, 8);
  EXPECT_EQ(r.recoveries[2].failed_at_iteration, 8);
  EXPECT_EQ(r.recoveries[2].restored_version, 4);
  EXPECT_GT(r.ledger.of(TimeCategory::kLostWork), 0);
  EXPECT_GT(r.ledger.of(TimeCategory::kCheckpointStall), 0);
  EXPECT_GT(r.ledger.of(TimeCategory::kStateLoad), 0);
  size_t completed = 0;
  for (const CheckpointRecord& c : r.checkpoints) completed += c.completed;
  EXPECT_EQ(r.checkpoints.size(), completed + 2) << "two checkpoints were torn";
}

TEST_F(HostJobTest, AsyncTwoLevelPersistsInTheBackgroundAndSurvivesAMidPersistFailure) {
  // The persist of version 4 runs beside iterations 5, 6, ...; the failure tears it, and is
  // noticed after the iteration it struck in (or when the checkpoint at 8 waits for it).
  const HarnessJobResult r = run(1, {{3, FailurePoint::kMidPersist, {2}}});
  expect_sound(r, 12);
  ASSERT_EQ(r.recoveries.size(), 1u);
  EXPECT_EQ(r.recoveries[0].point, FailurePoint::kMidPersist);
  EXPECT_EQ(r.recoveries[0].restored_version, 0) << "version 4's persist was torn";
  bool background = false;
  for (const CheckpointRecord& c : r.checkpoints) background = background || c.background_s > 0;
  EXPECT_TRUE(background) << "the persist runs beside training";
}

TEST_F(HostJobTest, InMemoryRecoversAFailedNodeFromItsPeerOverLoopback) {
  const HarnessJobResult r = run(2, {{7, FailurePoint::kBetweenIterations, {1}}});
  expect_sound(r, 12);
  ASSERT_EQ(r.recoveries.size(), 1u);
  // Checkpoints every 3 iterations, replicated in the background: version 6 if its replication
  // finished before the failure after iteration 7, else version 3 (the timing decides).
  const std::int64_t v = r.recoveries[0].restored_version;
  EXPECT_TRUE(v == 6 || v == 3) << v;
}

TEST_F(HostJobTest, MoetionSlotsMapOntoShardSubsetsThatCaptureEveryShardOncePerWindow) {
  // tiny_validate's moetion has a window of 3: each rank's expert groups (8 or 16, one per
  // expert of its stage) and its dense part are its operators, a third of them active per slot;
  // a slot also copies the weights of the operators after it, and the snapshot carries the
  // stage's upstream logs.
  auto policy = make_policy(3);
  const RankLayout& rank0 = layout_.ranks[0];
  std::vector<int> optimizer_copies(rank0.shards.size()), weight_copies(rank0.shards.size());
  for (std::int64_t it = 1; it <= 3; ++it) {
    const Plan* plan = policy->checkpoint_plan(it);
    ASSERT_NE(plan, nullptr);
    const HarnessPlan mapped = scaler_.map(*plan);
    ASSERT_EQ(mapped.shards.size(), mapped.plan.ops.size());
    ASSERT_TRUE(mapped.shards[0] && mapped.shards[1]) << "the snapshot and its replica";
    const OpShards& snap = *mapped.shards[0];
    EXPECT_EQ(snap.starts_window, it == 1);
    EXPECT_EQ(mapped.shards[1]->ranks, snap.ranks) << "the replica holds what was snapshotted";
    for (int r = 0; r < layout_.world(); ++r) {
      std::int64_t bytes = 0;
      for (size_t k : snap.ranks[static_cast<size_t>(r)])
        bytes += layout_.ranks[static_cast<size_t>(r)].shards[k].bytes;
      EXPECT_GT(snap.log_bytes.at(static_cast<size_t>(r)), 0) << "pp = 4: every stage logs";
      EXPECT_EQ(mapped.plan.ops[0].rank_bytes[static_cast<size_t>(r)].value,
                bytes + snap.log_bytes[static_cast<size_t>(r)]);
      EXPECT_EQ(mapped.plan.ops[1].rank_bytes[static_cast<size_t>(r)].value, bytes);
    }
    for (size_t k : snap.ranks[0]) {
      (rank0.shards[k].state_class == StateClass::kWeights ? weight_copies : optimizer_copies)[k]++;
    }
  }
  for (size_t k = 0; k < rank0.shards.size(); ++k) {
    if (rank0.shards[k].state_class == StateClass::kWeights) {
      EXPECT_GE(weight_copies[k], 1) << rank0.shards[k].id;
    } else {
      EXPECT_EQ(optimizer_copies[k], 1) << rank0.shards[k].id << ": once, in its active slot";
    }
  }
  // The window's loads restore every shard.
  Catalog catalog;
  catalog.seed(3, Tier::kPeerHost);
  const RecoveryPlan rec =
      policy->plan_recovery({Nanos{0}, {0}, "injected", Seconds{0}}, catalog, 4);
  ASSERT_TRUE(rec.localized);
  const HarnessPlan load = scaler_.map(*rec.load);
  EXPECT_EQ(load.plan.ops.back().rank_bytes[0].value, rank0.bytes());
}

TEST_F(HostJobTest, MocPecSelectionsMapOntoTheExpertGroupsOfEachRank) {
  // k_pec 2 of 8 experts per MoE layer: a rank's persist writes its dense part, every expert's
  // fp32 master weights, and all three classes of 2 experts per MoE layer of its stage.
  auto policy = make_policy(4);
  const Plan* plan = policy->checkpoint_plan(policy->interval_iterations());
  ASSERT_NE(plan, nullptr);
  const HarnessPlan mapped = scaler_.map(*plan);
  const size_t persist = mapped.plan.ops.size() - 1;
  ASSERT_EQ(mapped.plan.ops[persist].kind, OpKind::kPersist);
  const OpShards* sel = mapped.selection(persist);
  ASSERT_NE(sel, nullptr);
  EXPECT_TRUE(sel->per_shard);
  for (int r = 0; r < layout_.world(); ++r) {
    const RankLayout& rl = layout_.ranks[static_cast<size_t>(r)];
    const ShardMap& shards = *scenario_.shards;
    const std::int64_t layers = shards.rank(rl.scenario_rank).moe_layers_in_stage;
    ASSERT_EQ(rl.expert_groups, layers * 8) << "one group per expert";
    std::int64_t full = 0, master = 0, bytes = 0;
    for (size_t k : sel->ranks[static_cast<size_t>(r)]) {
      const ShardSpec& spec = rl.shards[k];
      bytes += spec.bytes;
      if (spec.expert_group < 0) continue;
      if (spec.state_class == StateClass::kOptimizer) ++full;
      if (spec.state_class == StateClass::kMaster) ++master;
    }
    EXPECT_EQ(full, 2 * layers) << "rank " << r;
    EXPECT_EQ(master, rl.expert_groups) << "unsaved experts still write their master weights";
    EXPECT_EQ(mapped.plan.ops[persist].rank_bytes[static_cast<size_t>(r)].value, bytes);
  }
  // With experts folded into fewer groups, the harness cannot express the selection.
  const PlanScaler folded(make_harness_layout(*scenario_.shards, {4, Bytes{2 << 20}, 8, 4}));
  auto probe = make_policy(4);
  const auto why = harness_limitation(*probe, folded);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("folds 2 experts"), std::string::npos) << *why;
}

TEST_F(HostJobTest, MoetionRecoversLocallyFromItsSparseWindowBitExact) {
  // Windows complete at iterations 3, 6, 9 and 12. A failure after 7 restores the newest window
  // whose replicas are complete (6, or 3 while 6's replication is in flight); every shard comes
  // back at the iteration of its slot, is replayed to the window (sparse-to-dense), and the
  // rolled-back ranks replay on to 7 while the others wait: no progress is lost.
  const HarnessJobResult r =
      run(3, {{7, FailurePoint::kBetweenIterations, {1}}, {10, FailurePoint::kMidSnapshot, {2}}});
  expect_sound(r, 12);
  ASSERT_EQ(r.recoveries.size(), 2u);
  for (const RecoveryRecord& rec : r.recoveries) {
    EXPECT_TRUE(rec.localized) << rec.failed_at_iteration;
    EXPECT_EQ(rec.lost_iterations, 0);
    EXPECT_EQ(rec.restored_version % 3, 0) << "windows end at multiples of W";
    EXPECT_GT(rec.replay_s, 0);
  }
  const std::int64_t v = r.recoveries[0].restored_version;
  EXPECT_TRUE(v == 6 || v == 3) << v;
  // The mid-snapshot failure strikes slot 1 of the window 10-12: the newest complete window is 9
  // (or 6 while 9's replication is still in flight), never the torn one.
  EXPECT_LE(r.recoveries[1].restored_version, 9);
  EXPECT_GT(r.ledger.of(TimeCategory::kReplay), 0);
  // (Lost work is not 0: the mid-snapshot failure kills the iteration whose update waited on
  // the copy.)
}

TEST_F(HostJobTest, MocPecRecoversEachExpertFromTheCheckpointThatLastSavedItShardByShard) {
  // Checkpoints every 3 iterations save 2 of 8 experts per MoE layer in full (the others only
  // their fp32 master weights) and persist them in the background. Each recovery rolls every
  // rank back to the newest persisted version; experts come back from the version that last
  // saved them, so some shards are older than the version, and training goes on from them. Each
  // shard must hold exactly what it held at the iteration of its copy (the shadow state's record).
  const HarnessJobResult r =
      run(4, {{7, FailurePoint::kBetweenIterations, {1}}, {5, FailurePoint::kMidPersist, {2}}});
  expect_sound(r, 12);
  ASSERT_EQ(r.recoveries.size(), 2u);
  for (const RecoveryRecord& rec : r.recoveries) {
    EXPECT_TRUE(rec.lossy);
    EXPECT_FALSE(rec.localized);
    EXPECT_EQ(rec.restored_version % 3, 0);
    EXPECT_GT(rec.stale_shards, 0) << "2 of 8 experts per checkpoint: most restore older copies";
    for (const std::string& n : rec.notes) ADD_FAILURE() << n;
  }
}

TEST(LossyReference, ChecksEachRestoredShardAgainstTheIterationItsCopyHolds) {
  testing::TestDir dir;
  const HarnessLayout layout = make_uniform_layout(2, 2, 64 << 10);
  TrainerState state(layout, 9);
  HostExecutor exec(state, {dir.path() / "storage", {}, 2, Seconds{10}, true});
  ComputePhase compute = ComputePhase::with_gemms(1);
  HostBackend backend(exec, state, compute);
  LossyReference ref(layout, 9, 4);
  for (int n = 0; n < 5; ++n) state.advance();
  ref.advance_to(5);
  // Rank 1's shard 4 comes back as it was at iteration 3 (what a partial checkpoint restores).
  RankState at3(layout.ranks[1], 9, 4);
  for (int n = 0; n < 3; ++n) at3.advance();
  std::memcpy(state.rank(1).shard(4).data(), at3.shard(4).data(), at3.shard(4).size());
  state.rank(1).mark_shard_restored(4, 3);
  std::int64_t stale = 0;
  std::vector<std::string> problems;
  EXPECT_TRUE(ref.check_restored(backend, 5, stale, problems).empty());
  EXPECT_EQ(stale, 1);
  EXPECT_TRUE(problems.empty());
  // The same content claimed as iteration 2, or a copy newer than the version, is caught.
  state.rank(1).mark_shard_restored(4, 2);
  EXPECT_EQ(ref.check_restored(backend, 5, stale, problems), std::vector<int>{1});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("differs from iteration 2"), std::string::npos) << problems[0];
  state.rank(1).mark_shard_restored(4, 3);
  EXPECT_EQ(ref.check_restored(backend, 2, stale, problems).size(), 2u) << "both ranks are at 5";
  // Training goes on from the restored state; the shadow follows it.
  ref.resume_from(backend, 5);
  backend.mark_restored(1, 5);
  for (int n = 0; n < 3; ++n) state.advance();
  ref.advance_to(8);
  EXPECT_EQ(ref.checksum(0), state.rank(0).checksum());
  EXPECT_EQ(ref.checksum(1), state.rank(1).checksum());
  const ReferenceChecksums undisturbed(layout, 9, 4, 8);
  EXPECT_NE(state.rank(1).checksum(), undisturbed.at(8, 1)) << "the stale shard's updates are lost";
}

}  // namespace
}  // namespace ckptlab::hw
