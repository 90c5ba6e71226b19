// The host executor runs plans for real: round trips through every tier are bit-exact, a failure
// in the middle of a snapshot or a persist leaves the previous version in force, and a corrupted
// checkpoint file is detected and the previous complete version is used.
#include "hw/host/host_executor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
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

// Slot `slot` of a window of `slots` in the shape MoEtion's slots take on the harness: a
// snapshot and a replica of a chosen third of every rank's shards; the last slot completes it.
HarnessPlan window_slot(const HarnessLayout& layout, int slot, int slots) {
  OpShards sel;
  sel.starts_window = slot == 0;
  std::vector<Bytes> bytes;
  for (const RankLayout& r : layout.ranks) {
    std::vector<std::size_t> mine;
    Bytes b;
    for (std::size_t k = 0; k < r.shards.size(); ++k) {
      if (static_cast<int>(k * static_cast<std::size_t>(slots) / r.shards.size()) != slot) continue;
      mine.push_back(k);
      b += Bytes{r.shards[k].bytes};
    }
    sel.ranks.push_back(mine);
    bytes.push_back(b);
  }
  HarnessPlan hp;
  hp.plan.signature = "test-window-slot";
  Op snap = testing::make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, bytes, true);
  Op rep = testing::make_op(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, bytes, true, {0});
  snap.completes_version = rep.completes_version = slot + 1 == slots;
  hp.plan.add(snap);
  hp.plan.add(rep);
  hp.shards = {sel, sel};
  return hp;
}

TEST_F(HostExecutorTest, AWindowBuiltOverThreePlansRestoresEachShardAtItsSlotsIteration) {
  for (int s = 0; s < 3; ++s) {
    advance_to(s + 1);
    exec_.start(window_slot(layout_, s, 3));
    const PlanReport r = exec_.finish();
    ASSERT_TRUE(r.ok) << (r.errors.empty() ? "" : r.errors.front());
    EXPECT_EQ(r.tiers_completed.size(), s == 2 ? 2u : 0u) << "slot " << s;
  }
  EXPECT_EQ(exec_.newest_complete(Tier::kHost), 3);
  EXPECT_EQ(exec_.newest_complete(Tier::kPeerHost), 3);
  // Rank 2's node dies; its window comes back from rank 3, each shard as its slot saw it.
  advance_to(5);
  state_.rank(2).destroy();
  exec_.lose_host_memory(2);
  Plan load;
  std::vector<Bytes> only_rank2(4);
  only_rank2[2] = Bytes{layout_.ranks[2].bytes()};
  load.add(testing::make_op(OpKind::kLoad, Tier::kPeerHost, Tier::kGpu, only_rank2, true));
  exec_.set_load_version(3);
  const PlanReport loaded = (exec_.start(load), exec_.finish());
  ASSERT_TRUE(loaded.ok) << (loaded.errors.empty() ? "" : loaded.errors.front());
  EXPECT_EQ(loaded.loaded_version, 3);
  RankState& rs = state_.rank(2);
  EXPECT_FALSE(rs.iteration().has_value()) << "shards at iterations 1, 2 and 3";
  EXPECT_EQ(rs.shard_iteration(0), 1);
  EXPECT_EQ(rs.shard_iteration(layout_.ranks[2].shards.size() - 1), 3);
  rs.catch_up(5);  // sparse-to-dense, then on to the job's iteration
  EXPECT_TRUE(ref_.mismatching_ranks(state_, 5).empty());
  // A window a node loses in the middle is not complete for its ranks: rank 1 loses the slot it
  // had, so its window (and rank 0's replica, which rank 1 held) misses shards at the end.
  exec_.set_load_version(std::nullopt);
  exec_.start(window_slot(layout_, 0, 3));
  ASSERT_TRUE(exec_.finish().ok);
  advance_to(6);
  exec_.lose_host_memory(1);
  exec_.start(window_slot(layout_, 1, 3));
  ASSERT_TRUE(exec_.finish().ok);
  advance_to(7);
  exec_.start(window_slot(layout_, 2, 3));
  const PlanReport torn = exec_.finish();
  EXPECT_FALSE(torn.ok);
  EXPECT_TRUE(torn.tiers_completed.empty());
  ASSERT_FALSE(torn.errors.empty());
  EXPECT_NE(torn.errors.front().find("misses"), std::string::npos) << torn.errors.front();
  EXPECT_EQ(exec_.complete_versions(Tier::kHost, {2, 3}), (std::vector<std::int64_t>{7}))
      << "ranks 2 and 3 completed theirs in host memory (3 was overwritten)";
  EXPECT_EQ(exec_.complete_versions(Tier::kPeerHost, {2, 3}), (std::vector<std::int64_t>{3}))
      << "the replication was skipped: the snapshot failed on rank 1";
  EXPECT_TRUE(exec_.complete_versions(Tier::kHost, {1}).empty());
  EXPECT_TRUE(exec_.complete_versions(Tier::kPeerHost, {1}).empty())
      << "rank 1's replica was on rank 2, whose node died";
}

// Per-shard ops (MoC-System's partial checkpoints): the dense shards and those of `groups`.
OpShards dense_and_groups(const HarnessLayout& l, const std::vector<int>& groups,
                          const std::vector<int>& ranks) {
  OpShards sel;
  sel.per_shard = true;
  sel.ranks.resize(l.ranks.size());
  for (int r : ranks) {
    const RankLayout& rl = l.ranks[static_cast<size_t>(r)];
    for (size_t k = 0; k < rl.shards.size(); ++k) {
      const int g = rl.shards[k].expert_group;
      if (g < 0 || std::find(groups.begin(), groups.end(), g) != groups.end())
        sel.ranks[static_cast<size_t>(r)].push_back(k);
    }
  }
  return sel;
}

std::vector<Bytes> bytes_of(const HarnessLayout& l, const OpShards& sel) {
  std::vector<Bytes> b;
  for (size_t r = 0; r < l.ranks.size(); ++r) {
    std::int64_t sum = 0;
    for (size_t k : sel.ranks[r]) sum += l.ranks[r].shards[k].bytes;
    b.push_back(Bytes{sum});
  }
  return b;
}

HarnessPlan partial_checkpoint(const HarnessLayout& l, const std::vector<int>& groups) {
  const OpShards sel = dense_and_groups(l, groups, {0, 1, 2, 3});
  Plan p;
  const size_t snap =
      p.add(testing::make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, bytes_of(l, sel), true));
  p.add(testing::make_op(OpKind::kPersist, Tier::kHost, Tier::kStorage, bytes_of(l, sel), true,
                         {snap}));
  return {p, {sel, sel}};
}

// Shard k of rank r holds what it held after iteration `n` of an undisturbed run.
::testing::AssertionResult shard_at(const TrainerState& s, int r, size_t k, std::int64_t n) {
  RankState ref(s.layout().ranks[static_cast<size_t>(r)], 11, 4);
  while (*ref.iteration() < n) ref.advance();
  const std::span<const std::byte> a = s.rank(r).shard(k), b = ref.shard(k);
  if (s.rank(r).shard_iteration(k) != n)
    return ::testing::AssertionFailure() << "tagged " << s.rank(r).shard_iteration(k).value_or(-1);
  if (std::memcmp(a.data(), b.data(), a.size()) != 0)
    return ::testing::AssertionFailure() << "content differs from iteration " << n;
  return ::testing::AssertionSuccess();
}

TEST_F(HostExecutorTest, PartialCheckpointsRestoreEachShardFromTheNewestVersionThatWroteIt) {
  // Version 1 saves everything; 2, 4 and 6 the dense part and one expert group each.
  const std::vector<std::pair<std::int64_t, std::vector<int>>> checkpoints = {
      {1, {0, 1, 2, 3}}, {2, {0}}, {4, {1}}, {6, {0}}};
  for (const auto& [it, groups] : checkpoints) {
    advance_to(it);
    const PlanReport r = (exec_.start(partial_checkpoint(layout_, groups)), exec_.finish());
    ASSERT_TRUE(r.ok) << (r.errors.empty() ? "" : r.errors.front());
    EXPECT_EQ(r.tiers_completed.size(), 2u);
  }
  // Pruning keeps the two newest versions and version 1, the only one holding groups 2 and 3.
  const auto& root = exec_.store(Tier::kStorage);
  EXPECT_TRUE(std::filesystem::exists(root.version_dir(1)));
  EXPECT_FALSE(std::filesystem::exists(root.version_dir(2))) << "superseded by 4 and 6";
  EXPECT_EQ(root.complete_versions({0, 1, 2, 3}), (std::vector<std::int64_t>{6, 4, 1}));
  // Rank 1's copy of group 1's optimizer in version 4 is damaged: it falls back to version 1.
  const auto damaged = root.version_dir(4) / "rank0001" / "expert001.optimizer.ckpt";
  {
    std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-100, std::ios::end);
    f.write("!", 1);
  }
  // Ranks 0 and 1 lose their node and load everything from storage; ranks 2 and 3 take every
  // shard from host memory, in parallel.
  advance_to(7);
  destroy_all();
  exec_.lose_host_memory(0);
  exec_.lose_host_memory(1);
  const OpShards from_disk = dense_and_groups(layout_, {0, 1, 2, 3}, {0, 1});
  const OpShards from_host = dense_and_groups(layout_, {0, 1, 2, 3}, {2, 3});
  Plan load;
  load.add(testing::make_op(OpKind::kLoad, Tier::kStorage, Tier::kGpu, bytes_of(layout_, from_disk),
                            true));
  load.add(
      testing::make_op(OpKind::kLoad, Tier::kHost, Tier::kGpu, bytes_of(layout_, from_host), true));
  exec_.set_load_version(6);
  const PlanReport loaded =
      (exec_.start(HarnessPlan{load, {from_disk, from_host}}), exec_.finish());
  ASSERT_TRUE(loaded.ok) << (loaded.errors.empty() ? "" : loaded.errors.front());
  EXPECT_EQ(loaded.loaded_version, 6);
  ASSERT_EQ(loaded.notes.size(), 1u);
  EXPECT_NE(loaded.notes[0].find("expert001.optimizer of version 4"), std::string::npos)
      << loaded.notes[0];
  const std::int64_t newest[] = {6, 4, 1, 1};  // per expert group
  for (int r = 0; r < 4; ++r) {
    const RankLayout& rl = layout_.ranks[static_cast<size_t>(r)];
    for (size_t k = 0; k < rl.shards.size(); ++k) {
      const int g = rl.shards[k].expert_group;
      std::int64_t want = g < 0 ? 6 : newest[g];
      if (r == 1 && rl.shards[k].id == "expert001.optimizer") want = 1;
      EXPECT_TRUE(shard_at(state_, r, k, want)) << "rank " << r << " " << rl.shards[k].id;
    }
  }
  // The storage load passed through host memory: rank 0's restored state is its host copy of
  // version 6 now, older shards included.
  state_.rank(0).destroy();
  Plan again;
  const OpShards rank0 = dense_and_groups(layout_, {0, 1, 2, 3}, {0});
  again.add(
      testing::make_op(OpKind::kLoad, Tier::kHost, Tier::kGpu, bytes_of(layout_, rank0), true));
  ASSERT_TRUE((exec_.start(HarnessPlan{again, {rank0}}), exec_.finish()).ok);
  const size_t group2_weights = 3 + 2 * 3;  // dense w, m, o; groups 0 and 1; group 2's weights
  ASSERT_EQ(layout_.ranks[0].shards[group2_weights].id, "expert002.weights");
  EXPECT_EQ(state_.rank(0).shard_iteration(group2_weights), 6) << "host memory's copy is 6";
  const auto restored = state_.rank(0).shard(group2_weights);
  RankState ref(layout_.ranks[0], 11, 4);
  ref.advance();
  EXPECT_EQ(std::memcmp(restored.data(), ref.shard(group2_weights).data(), restored.size()), 0)
      << "with version 1's content";
}

TEST_F(HostExecutorTest, PlansSizedForAnotherWorldAreRejected) {
  Plan p;
  p.add(testing::make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, {Bytes{64}, Bytes{64}}, true));
  EXPECT_THROW(exec_.start(p), std::invalid_argument);
  EXPECT_FALSE(exec_.in_flight());
}

}  // namespace
}  // namespace ckptlab::hw
