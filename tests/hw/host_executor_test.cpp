// The host executor runs plans for real: round trips through every tier are bit-exact, a failure
// in the middle of a snapshot or a persist leaves the previous version in force, and a corrupted
// checkpoint file is detected and the previous complete version is used.
#include "hw/host/host_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "hw/persist/shard_file.hpp"
#include "hw_test_util.hpp"

namespace ckptlab::hw {
namespace {

using testing::TestDir;

class HostExecutorTest : public ::testing::Test {
 protected:
  HostExecutorTest()
      : layout_(make_uniform_layout(4, 4, 256 << 10)),
        state_(layout_, 11),
        ref_(layout_, 11, 4, 10),
        exec_(state_, {dir_.path() / "storage", dir_.path() / "local", 2, Seconds{10}, true}) {}

  void advance_to(std::int64_t n) {
    while (state_.iteration() < n) state_.advance();
  }
  void destroy_all() {
    for (int r = 0; r < state_.world(); ++r) state_.rank(r).destroy();
  }
  // Fires `InjectedFailure` once, at `shard` of `kind` on `rank`.
  void fail_at(OpKind kind, int rank, std::size_t shard) {
    // Every rank's worker thread calls the hook: the flag is atomic (ThreadSanitizer found the
    // plain bool's race).
    exec_.set_failure_hook(
        [=, fired = std::make_shared<std::atomic<bool>>(false)](const HookPoint& p) {
          if (p.kind == kind && p.rank == rank && p.shard == shard && !fired->exchange(true)) {
            throw InjectedFailure("injected");
          }
        });
  }

  TestDir dir_;
  HarnessLayout layout_;
  TrainerState state_;
  ReferenceChecksums ref_;
  HostExecutor exec_;
};

TEST_F(HostExecutorTest, SnapshotPersistLoadRoundTripIsBitExact) {
  advance_to(3);
  const PlanTiming t = exec_.execute(testing::checkpoint_plan(state_));
  ASSERT_EQ(t.op_end.size(), 2u);
  EXPECT_LE(t.op_end[0], t.op_start[1]) << "persist waits for the snapshot";
  EXPECT_EQ(t.blocking, t.total);
  EXPECT_EQ(exec_.newest_complete(Tier::kStorage), 3);
  EXPECT_EQ(exec_.newest_complete(Tier::kHost), 3);
  advance_to(5);
  for (Tier from : {Tier::kStorage, Tier::kHost}) {
    destroy_all();
    exec_.start(testing::load_plan(state_, from));
    const PlanReport r = exec_.finish();
    ASSERT_TRUE(r.ok) << tier_name(from);
    EXPECT_EQ(r.loaded_version, 3);
    EXPECT_TRUE(ref_.mismatching_ranks(state_, 3).empty()) << tier_name(from);
  }
}

TEST_F(HostExecutorTest, BackgroundPersistOverlapsTrainingAndCompletesLater) {
  advance_to(2);
  exec_.start(testing::checkpoint_plan(state_, Tier::kStorage, /*persist_blocking=*/false));
  // Training continues on the live state while the persist reads the snapshot slot.
  EXPECT_FALSE(exec_.gpu_reads_in_flight());
  advance_to(4);
  const PlanReport r = exec_.finish();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.version, 2);
  EXPECT_GE(r.timing.total, r.timing.blocking);
  destroy_all();
  exec_.execute(testing::load_plan(state_, Tier::kStorage));
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 2).empty()) << "the persist saved version 2, not 4";
}

TEST_F(HostExecutorTest, FailureMidSnapshotKeepsThePreviousHostVersion) {
  advance_to(1);
  exec_.execute(testing::checkpoint_plan(state_));
  advance_to(2);
  exec_.execute(testing::checkpoint_plan(state_));  // both host slots now hold versions 1 and 2
  advance_to(3);
  fail_at(OpKind::kSnapshot, 2, 5);
  exec_.start(testing::checkpoint_plan(state_));
  const PlanReport r = exec_.finish();
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.tiers_completed.empty());
  EXPECT_EQ(exec_.newest_complete(Tier::kHost), 2) << "the torn snapshot overwrote version 1";
  EXPECT_EQ(exec_.newest_complete(Tier::kStorage), 2) << "the persist never started";
  state_.rank(2).destroy();
  exec_.set_failure_hook({});
  const PlanReport load = (exec_.start(testing::load_plan(state_, Tier::kHost)), exec_.finish());
  ASSERT_TRUE(load.ok);
  EXPECT_EQ(load.loaded_version, 2);
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 2).empty());
}

TEST_F(HostExecutorTest, FailureMidPersistRecoversTheNewestCompleteVersion) {
  advance_to(4);
  exec_.execute(testing::checkpoint_plan(state_));
  advance_to(6);
  fail_at(OpKind::kPersist, 1, 6);  // shard 6 is staged, not yet renamed
  exec_.start(testing::checkpoint_plan(state_, Tier::kStorage, false));
  const PlanReport r = exec_.finish();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(exec_.newest_complete(Tier::kStorage), 4);
  EXPECT_TRUE(std::filesystem::exists(exec_.store(Tier::kStorage).version_dir(6)))
      << "the torn version is on disk, incomplete";
  destroy_all();
  for (int rank = 0; rank < 4; ++rank) exec_.lose_host_memory(rank);
  exec_.set_failure_hook({});
  exec_.start(testing::load_plan(state_, Tier::kStorage));
  const PlanReport load = exec_.finish();
  ASSERT_TRUE(load.ok);
  EXPECT_EQ(load.loaded_version, 4);
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 4).empty());
}

TEST_F(HostExecutorTest, CorruptedShardFileFallsBackToThePreviousVersion) {
  advance_to(2);
  exec_.execute(testing::checkpoint_plan(state_));
  advance_to(7);
  exec_.execute(testing::checkpoint_plan(state_));
  // Flip one payload byte of rank 3's expert shard in version 7.
  const auto path =
      exec_.store(Tier::kStorage).version_dir(7) / "rank0003" / "expert001.optimizer.ckpt";
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-100, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    f.seekp(-100, std::ios::end);
    c = static_cast<char>(c ^ 0x10);
    f.write(&c, 1);
  }
  destroy_all();
  exec_.start(testing::load_plan(state_, Tier::kStorage));
  const PlanReport load = exec_.finish();
  ASSERT_TRUE(load.ok);
  EXPECT_EQ(load.loaded_version, 2);
  ASSERT_EQ(load.notes.size(), 1u);
  EXPECT_NE(load.notes[0].find("version 7"), std::string::npos) << load.notes[0];
  EXPECT_NE(load.notes[0].find("checksum"), std::string::npos) << load.notes[0];
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 2).empty()) << "every rank restores version 2";
}

TEST_F(HostExecutorTest, ReplicationToThePeerRankOverLoopbackRestoresALostNode) {
  advance_to(5);
  exec_.execute(testing::replicate_plan(state_));
  EXPECT_EQ(exec_.newest_complete(Tier::kPeerHost), 5);
  advance_to(8);
  // Node of rank 1 dies: its state and host memory are gone; rank 2 holds its replica.
  state_.rank(1).destroy();
  exec_.lose_host_memory(1);
  EXPECT_FALSE(exec_.newest_complete(Tier::kHost).has_value());
  EXPECT_FALSE(exec_.newest_complete(Tier::kPeerHost).has_value())
      << "rank 0's replica was on rank 1";
  Plan load;
  std::vector<Bytes> only_rank1(4);
  only_rank1[1] = Bytes{layout_.ranks[1].bytes()};
  load.add(testing::make_op(OpKind::kLoad, Tier::kPeerHost, Tier::kGpu, only_rank1, true));
  // The peer tier is incomplete as a whole (rank 0's replica died with rank 1), but a load of
  // rank 1 alone only needs the replica rank 2 holds.
  exec_.start(load);
  const PlanReport r = exec_.finish();
  ASSERT_TRUE(r.ok) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.loaded_version, 5);
  EXPECT_EQ(state_.rank(1).iteration(), 5);
  EXPECT_EQ(state_.rank(1).checksum(), ref_.at(5, 1));
}

TEST_F(HostExecutorTest, EveryRankReplicatesAndReloadsFromItsPeer) {
  advance_to(3);
  exec_.execute(testing::replicate_plan(state_));
  advance_to(6);
  destroy_all();
  const PlanReport r = (exec_.start(testing::load_plan(state_, Tier::kPeerHost)), exec_.finish());
  ASSERT_TRUE(r.ok) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.loaded_version, 3);
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 3).empty());
}

TEST_F(HostExecutorTest, PlansSizedForAnotherWorldAreRejected) {
  Plan p;
  p.add(testing::make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, {Bytes{64}, Bytes{64}}, true));
  EXPECT_THROW(exec_.start(p), std::invalid_argument);
  EXPECT_FALSE(exec_.in_flight());
}

}  // namespace
}  // namespace ckptlab::hw
