// The synthetic trainer state: a pure function of (seed, n), skewed routing, and the harness
// layout of a real scenario.
#include "hw/host/trainer_state.hpp"

#include <gtest/gtest.h>

#include <set>

#include "cluster/shard_map.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab::hw {
namespace {

TEST(TrainerState, StateAfterIterationNIsAPureFunctionOfSeedAndN) {
  const HarnessLayout layout = make_uniform_layout(3, 8, 64 << 10);
  TrainerState a(layout, 7), b(layout, 7), other(layout, 8);
  const ReferenceChecksums ref(layout, 7, 4, 12);
  for (std::int64_t n = 0; n <= 12; ++n) {
    EXPECT_EQ(a.iteration(), n);
    EXPECT_EQ(a.checksums(), b.checksums()) << "iteration " << n;
    EXPECT_NE(a.checksums(), other.checksums()) << "iteration " << n;
    EXPECT_TRUE(ref.mismatching_ranks(a, n).empty()) << "iteration " << n;
    if (n < 12) {
      a.advance();
      b.advance();
      other.advance();
    }
  }
  // Ranks differ from each other (each has its own salts), and every iteration changes them.
  EXPECT_NE(ref.at(5, 0), ref.at(5, 1));
  EXPECT_NE(ref.at(5, 0), ref.at(6, 0));
}

TEST(TrainerState, SkewedRouterLeavesSomeExpertsUntouched) {
  const HarnessLayout layout = make_uniform_layout(1, 32, 1 << 20);
  int idle = 0, draws = 0;
  std::set<std::vector<std::int64_t>> distinct;
  for (std::int64_t n = 1; n <= 20; ++n) {
    const auto tokens = route_tokens(layout.ranks[0], 1, n, 4);
    std::int64_t sum = 0;
    for (std::int64_t t : tokens) {
      sum += t;
      idle += t == 0;
    }
    draws += 32;
    EXPECT_EQ(sum, 4 * 32);
    EXPECT_EQ(tokens, route_tokens(layout.ranks[0], 1, n, 4)) << "deterministic";
    distinct.insert(tokens);
  }
  EXPECT_GT(idle, draws / 10) << "Zipf popularity must leave some groups without tokens";
  EXPECT_LT(idle, draws * 9 / 10);
  EXPECT_EQ(distinct.size(), 20u) << "each iteration routes differently";

  // An idle group's shards keep their bytes; a busy group's change.
  TrainerState s(layout, 1);
  const auto tokens = route_tokens(layout.ranks[0], 1, 1, 4);
  std::vector<std::vector<std::byte>> before;
  for (size_t k = 0; k < layout.ranks[0].shards.size(); ++k) {
    const auto sh = s.rank(0).shard(k);
    before.emplace_back(sh.begin(), sh.end());
  }
  s.advance();
  for (size_t k = 0; k < layout.ranks[0].shards.size(); ++k) {
    const ShardSpec& spec = layout.ranks[0].shards[k];
    const auto sh = s.rank(0).shard(k);
    const bool changed = !std::equal(sh.begin(), sh.end(), before[k].begin());
    const bool routed = spec.expert_group < 0 || tokens[static_cast<size_t>(spec.expert_group)] > 0;
    EXPECT_EQ(changed, routed) << spec.id;
  }
}

TEST(TrainerState, DestroyPoisonsTheRankAndForgetsItsIteration) {
  TrainerState s(make_uniform_layout(2, 2, 4096), 3);
  const auto sum = s.rank(1).checksum();
  s.rank(1).destroy();
  EXPECT_FALSE(s.rank(1).iteration().has_value());
  EXPECT_NE(s.rank(1).checksum(), sum);
  EXPECT_EQ(s.rank(0).iteration(), 0);
}

TEST(TrainerState, ShardsRestoredAtDifferentIterationsCatchUpBitExact) {
  // A sparse checkpoint restores each shard as its slot captured it; replaying the updates each
  // one missed gives the dense state of the newest iteration, bit for bit.
  const HarnessLayout layout = make_uniform_layout(1, 8, 64 << 10);
  const ReferenceChecksums ref(layout, 9, 4, 10);
  TrainerState live(layout, 9);
  std::vector<std::vector<std::byte>> captured(layout.ranks[0].shards.size());
  std::vector<std::int64_t> at(captured.size());
  for (std::int64_t n = 0; n <= 6; ++n) {
    for (size_t k = 0; k < captured.size(); ++k) {
      if (static_cast<std::int64_t>(k % 4) + 3 != n) continue;  // shard k captured at 3..6
      const auto s = live.rank(0).shard(k);
      captured[k].assign(s.begin(), s.end());
      at[k] = n;
    }
    if (n < 6) live.advance();
  }
  TrainerState restored(layout, 9);
  RankState& rs = restored.rank(0);
  rs.destroy();
  EXPECT_FALSE(rs.can_catch_up(6)) << "destroyed shards have nothing to replay from";
  for (size_t k = 0; k < captured.size(); ++k) {
    std::copy(captured[k].begin(), captured[k].end(), rs.shard(k).begin());
    rs.mark_shard_restored(k, at[k]);
  }
  EXPECT_FALSE(rs.iteration().has_value()) << "shards at different iterations";
  EXPECT_FALSE(rs.can_catch_up(5)) << "a shard captured at 6 cannot go back to 5";
  ASSERT_TRUE(rs.can_catch_up(6));
  EXPECT_GT(rs.catch_up(6), 0);
  EXPECT_EQ(rs.iteration(), 6);
  EXPECT_TRUE(ref.mismatching_ranks(restored, 6).empty());
  rs.catch_up(9);  // a localized replay on to the job's iteration
  EXPECT_EQ(rs.checksum(), ref.at(9, 0));
}

TEST(HarnessLayout, SamplesTheFirstDataParallelReplicaAndScalesToTheBudget) {
  const Scenario sc =
      load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/default.yaml", {});
  HarnessOptions opt;
  opt.ranks = 4;
  opt.budget = Bytes{64 << 20};
  const HarnessLayout layout = make_harness_layout(*sc.shards, opt);
  ASSERT_EQ(layout.world(), 4);
  EXPECT_EQ(layout.scenario_world, sc.shards->world());
  EXPECT_LE(layout.bytes(), 64 << 20);
  EXPECT_GT(layout.bytes(), 60 << 20) << "rounding loses little";
  EXPECT_LT(layout.scale, 1e-2);
  std::set<std::int64_t> stages;
  for (const RankLayout& r : layout.ranks) {
    const RankShard& s = sc.shards->rank(r.scenario_rank);
    EXPECT_EQ(s.dp_index, 0);
    stages.insert(s.stage);
    EXPECT_GT(r.expert_groups, 0);
    for (const ShardSpec& sh : r.shards) EXPECT_EQ(sh.bytes % kShardAlignment, 0);
    // Proportions survive the scaling: the optimizer is the largest class, as at full size.
    EXPECT_NEAR(static_cast<double>(r.bytes()),
                static_cast<double>(s.total().total().value) * layout.scale,
                0.02 * static_cast<double>(r.bytes()));
  }
  EXPECT_EQ(stages.size(), 4u) << "spread over the pipeline";
  EXPECT_NE(layout.describe().find("4 of 8192 ranks"), std::string::npos) << layout.describe();
}

}  // namespace
}  // namespace ckptlab::hw
