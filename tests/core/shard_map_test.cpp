// ShardMap and decode_parallel: per-rank state bytes summed over the ranks equal the replication
// the parallel layout implies (exactly, in integers), ranks map to nodes and stages as the header
// documents, and impossible layouts are rejected with both disagreeing numbers in the message.
#include "cluster/shard_map.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

#include "cluster/cluster_spec.hpp"
#include "cluster/parallel_config.hpp"
#include "model/model_spec.hpp"
#include "util/config_node.hpp"
#include "util/input_error.hpp"

namespace ckptlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Catalog names resolve against $CKPTLAB_DATA_DIR; ctest sets it, this makes the bare binary work.
class ShardMapTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1); }

  // Models are cached because ShardMap keeps a reference to its model.
  const ModelSpec& model(const std::string& name) {
    auto it = models_.find(name);
    if (it == models_.end()) {
      it = models_.emplace(name, load_model(ConfigNode::load_string(name, "scenario.yaml"))).first;
    }
    return it->second;
  }

  static ClusterSpec cluster(std::int64_t nodes, int gpus_per_node) {
    return decode_cluster(
        ConfigNode::load_string("nodes: " + std::to_string(nodes) +
                                    "\ngpus_per_node: " + std::to_string(gpus_per_node) + "\n",
                                "cluster.yaml"));
  }

  // Decodes `parallel_yaml` (the body of a `parallel:` mapping) located under "parallel".
  static ParallelConfig parallel(const std::string& parallel_yaml, const ClusterSpec& c,
                                 const ModelSpec& m) {
    const ConfigNode root = ConfigNode::load_string("parallel:\n" + parallel_yaml, "s.yaml");
    return decode_parallel(root["parallel"], c, m);
  }

  // The InputError decode_parallel throws; fails the test when it accepts the layout.
  static InputError parallel_error(const std::string& parallel_yaml, const ClusterSpec& c,
                                   const ModelSpec& m) {
    try {
      parallel(parallel_yaml, c, m);
    } catch (const InputError& e) {
      return e;
    }
    ADD_FAILURE() << "layout accepted:\n" << parallel_yaml;
    return InputError("", 0, 0, "", "");
  }

 private:
  std::map<std::string, ModelSpec> models_;
};

struct Layout {
  const char* model;
  std::int64_t nodes;
  int gpus_per_node;
  int tp, pp, ep, zero;
};

std::string parallel_yaml(const Layout& l) {
  return "  tp: " + std::to_string(l.tp) + "\n  pp: " + std::to_string(l.pp) +
         "\n  ep: " + std::to_string(l.ep) + "\n  zero_stage: " + std::to_string(l.zero) +
         "\n  global_batch_tokens: 16M\n";
}

// Several layouts, including uneven ones (61 layers over 16 stages, dp = 3) so that every split's
// remainder handling is exercised.
constexpr Layout kLayouts[] = {
    {"deepseek-v3", 1024, 8, 1, 16, 64, 1},  // 8192 GPUs, dp 512, as in the V3 report
    {"mixtral-8x7b", 64, 8, 2, 4, 8, 1},     // 512 GPUs, dp 64
    {"llama-3-70b", 32, 8, 8, 4, 1, 1},      // dense, 256 GPUs, dp 8
    {"gpt-moe-350m-16e", 4, 8, 1, 2, 4, 0},  // 32 GPUs, dp 16, edp 4
    {"gpt-moe-350m-16e", 4, 8, 1, 2, 4, 1},
    {"gpt-moe-350m-16e", 4, 8, 1, 2, 4, 2},
    {"gpt-moe-350m-16e", 4, 8, 1, 2, 4, 3},
    {"gpt-moe-350m-16e", 5, 8, 2, 5, 4, 3},  // 24 layers over 5 stages, dp 4, edp 1
    {"gpt-moe-350m-16e", 1, 6, 1, 2, 1, 1},  // dp 3: dense shards do not divide evenly
    {"gpt-moe-350m-16e", 1, 6, 1, 2, 1, 3},
    {"llama-3-70b", 3, 8, 8, 1, 1, 0},  // dense, dp 3, ZeRO 0
};

std::string describe(const Layout& l) {
  return std::string(l.model) + " on " + std::to_string(l.nodes) + "x" +
         std::to_string(l.gpus_per_node) + " tp" + std::to_string(l.tp) + " pp" +
         std::to_string(l.pp) + " ep" + std::to_string(l.ep) + " zero" + std::to_string(l.zero);
}

TEST_F(ShardMapTest, SummedWeightsEqualTheReplicationOfTheLayout) {
  for (const Layout& l : kLayouts) {
    SCOPED_TRACE(describe(l));
    const ModelSpec& m = model(l.model);
    const ClusterSpec c = cluster(l.nodes, l.gpus_per_node);
    const ParallelConfig p = parallel(parallel_yaml(l), c, m);
    const ShardMap shards(m, p, c);
    ASSERT_EQ(shards.world(), c.gpus());
    const std::int64_t dp = p.dp, ep = p.ep;
    const StateBytes held = shards.total_held();
    if (l.zero < 3) {
      EXPECT_EQ(held.weights.value, m.dense_params() * 2 * dp + m.expert_params() * 2 * (dp / ep));
    } else {
      EXPECT_EQ(held.weights.value, m.total_params() * 2);
    }
  }
}

TEST_F(ShardMapTest, SummedMasterAndOptimizerAreOneCopyUnderZeroAndReplicatedWithout) {
  for (const Layout& l : kLayouts) {
    SCOPED_TRACE(describe(l));
    const ModelSpec& m = model(l.model);
    const ClusterSpec c = cluster(l.nodes, l.gpus_per_node);
    const ParallelConfig p = parallel(parallel_yaml(l), c, m);
    const ShardMap shards(m, p, c);
    const StateBytes held = shards.total_held();
    const std::int64_t dp = p.dp, ep = p.ep;
    if (l.zero >= 1) {
      EXPECT_EQ(held.master.value + held.optimizer.value, m.total_params() * 12);
      EXPECT_EQ(held.master.value, m.total_params() * 4);
    } else {
      const std::int64_t replicated = m.dense_params() * dp + m.expert_params() * (dp / ep);
      EXPECT_EQ(held.master.value, replicated * 4);
      EXPECT_EQ(held.optimizer.value, replicated * 8);
    }
  }
}

TEST_F(ShardMapTest, UniqueStateIsFourteenBytesPerParameter) {
  for (const Layout& l : kLayouts) {
    SCOPED_TRACE(describe(l));
    const ModelSpec& m = model(l.model);
    const ClusterSpec c = cluster(l.nodes, l.gpus_per_node);
    const ShardMap shards(m, parallel(parallel_yaml(l), c, m), c);
    const StateBytes u = shards.unique_state();
    EXPECT_EQ(u.total().value, m.total_params() * 14);
    EXPECT_EQ(u.weights.value, m.total_params() * 2);
    EXPECT_EQ(u.master.value, m.total_params() * 4);
    EXPECT_EQ(u.optimizer.value, m.total_params() * 8);
  }
}

TEST_F(ShardMapTest, UnderZeroThreeEveryStateClassSumsToOneCopy) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const ClusterSpec c = cluster(4, 8);
  const ShardMap shards(m, parallel(parallel_yaml({"", 0, 0, 1, 2, 4, 3}), c, m), c);
  const StateBytes held = shards.total_held();
  const StateBytes unique = shards.unique_state();
  EXPECT_EQ(held.weights, unique.weights);
  EXPECT_EQ(held.master, unique.master);
  EXPECT_EQ(held.optimizer, unique.optimizer);
}

TEST_F(ShardMapTest, RanksFollowTheMegatronOrderAndMapToNodes) {
  for (const Layout& l : kLayouts) {
    SCOPED_TRACE(describe(l));
    const ModelSpec& m = model(l.model);
    const ClusterSpec c = cluster(l.nodes, l.gpus_per_node);
    const ParallelConfig p = parallel(parallel_yaml(l), c, m);
    const ShardMap shards(m, p, c);
    for (std::int64_t r = 0; r < shards.world(); ++r) {
      const RankShard& s = shards.rank(r);
      ASSERT_EQ(s.rank, r);
      ASSERT_EQ(s.node, r / l.gpus_per_node) << "rank " << r;
      ASSERT_EQ(s.stage * (p.dp * p.tp) + s.dp_index * p.tp + s.tp_index, r) << "rank " << r;
      ASSERT_EQ(s.ep_index, s.dp_index % p.ep) << "rank " << r;
      ASSERT_LT(s.stage, p.pp);
      ASSERT_LT(s.tp_index, p.tp);
    }
    EXPECT_EQ(shards.ranks().back().node, c.nodes - 1);
  }
}

TEST_F(ShardMapTest, StagesCoverEveryLayerExactlyOnceAndAsEvenlyAsPossible) {
  for (const Layout& l : kLayouts) {
    SCOPED_TRACE(describe(l));
    const ModelSpec& m = model(l.model);
    const ClusterSpec c = cluster(l.nodes, l.gpus_per_node);
    const ParallelConfig p = parallel(parallel_yaml(l), c, m);
    const ShardMap shards(m, p, c);
    std::int64_t next = 0;
    for (std::int64_t s = 0; s < p.pp; ++s) {
      const auto [first, last] = shards.stage_layers(s);
      EXPECT_EQ(first, next) << "stage " << s;
      const std::int64_t n = last - first;
      EXPECT_TRUE(n == m.layers / p.pp || n == m.layers / p.pp + 1) << "stage " << s;
      // The first layers % pp stages take the extra layer.
      EXPECT_EQ(n, m.layers / p.pp + (s < m.layers % p.pp ? 1 : 0)) << "stage " << s;
      next = last;
    }
    EXPECT_EQ(next, m.layers);
  }
}

TEST_F(ShardMapTest, MoeLayersPerStageSumToTheModelsMoeLayers) {
  const ModelSpec& m = model("deepseek-v3");
  const ClusterSpec c = cluster(1024, 8);
  const ParallelConfig p = parallel(parallel_yaml(kLayouts[0]), c, m);
  const ShardMap shards(m, p, c);
  std::int64_t moe = 0;
  for (std::int64_t s = 0; s < p.pp; ++s) {
    moe += shards.rank(s * p.dp * p.tp).moe_layers_in_stage;
  }
  EXPECT_EQ(moe, m.moe_layers());
  EXPECT_EQ(shards.rank(0).local_experts_per_layer, m.experts / 64);
}

TEST_F(ShardMapTest, GradientsAreShardedFromZeroTwo) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const ClusterSpec c = cluster(4, 8);
  std::int64_t grads[4] = {};
  for (int zero = 0; zero <= 3; ++zero) {
    const ShardMap shards(m, parallel(parallel_yaml({"", 0, 0, 1, 2, 4, zero}), c, m), c);
    for (const RankShard& r : shards.ranks()) grads[zero] += r.gradients.value;
  }
  EXPECT_EQ(grads[0], grads[1]);
  EXPECT_EQ(grads[2], m.total_params() * 2);
  EXPECT_EQ(grads[3], grads[2]);
  EXPECT_GT(grads[1], grads[2]);
}

TEST(SplitShare, SplitsExactlyWithTheRemainderOnTheFirstParts) {
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < 7; ++i) sum += split_share(100, 7, i);
  EXPECT_EQ(sum, 100);
  EXPECT_EQ(split_share(100, 7, 0), 15);
  EXPECT_EQ(split_share(100, 7, 1), 15);
  EXPECT_EQ(split_share(100, 7, 2), 14);
  EXPECT_EQ(split_share(3, 5, 4), 0);
}

TEST_F(ShardMapTest, DeepSeekV3OnOneNodeExceedsGpuMemory) {
  const ModelSpec& m = model("deepseek-v3");
  const ClusterSpec c = cluster(1, 8);
  const ShardMap shards(m, parallel("  tp: 8\n  global_batch_tokens: 1M\n", c, m), c);
  try {
    check_fits_gpu_memory(shards, Bytes{80'000'000'000});
    FAIL() << "671B parameters fitted on 8 GPUs";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(std::string(e.what()),
                AllOf(HasSubstr("exceeds GPU memory 80.00 GB"),
                      HasSubstr(format_size(shards.largest_rank().gpu_bytes())),
                      HasSubstr("weights " + format_size(shards.largest_rank().total().weights))));
  }
}

TEST_F(ShardMapTest, GpuMemoryCheckAcceptsExactlyTheLargestRanksBytes) {
  const ModelSpec& m = model("deepseek-v3");
  const ClusterSpec c = cluster(1024, 8);
  const ShardMap shards(m, parallel(parallel_yaml(kLayouts[0]), c, m), c);
  const Bytes need = shards.largest_rank().gpu_bytes();
  for (const RankShard& r : shards.ranks()) ASSERT_LE(r.gpu_bytes(), need);
  EXPECT_NO_THROW(check_fits_gpu_memory(shards, Bytes{80'000'000'000}));
  EXPECT_NO_THROW(check_fits_gpu_memory(shards, need));
  EXPECT_THROW(check_fits_gpu_memory(shards, need - Bytes{1}), std::invalid_argument);
}

TEST_F(ShardMapTest, DecodeParallelDerivesDpFromTheCluster) {
  const ModelSpec& m = model("mixtral-8x7b");
  const ClusterSpec c = cluster(64, 8);
  const ParallelConfig p = parallel("  tp: 2\n  pp: 4\n  ep: 8\n  global_batch_tokens: 4M\n", c, m);
  EXPECT_EQ(p.dp, 64);
  EXPECT_EQ(p.world(), 512);
  EXPECT_EQ(p.expert_dp(), 8);
  EXPECT_EQ(p.zero_stage, 1);  // default
  EXPECT_EQ(p.global_batch_tokens, 4'000'000);
  EXPECT_EQ(parallel("  tp: 2\n  pp: 4\n  dp: 64\n  ep: 8\n  global_batch_tokens: 4M\n", c, m).dp,
            64);
}

TEST_F(ShardMapTest, DecodeParallelRejectsTpTimesPpNotDividingTheGpus) {
  const ModelSpec& m = model("mixtral-8x7b");
  const InputError e = parallel_error("  pp: 3\n  global_batch_tokens: 1M\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel");
  EXPECT_GT(e.line(), 0);
  EXPECT_THAT(e.message(),
              AllOf(HasSubstr("= 3"), HasSubstr("8 GPUs"), HasSubstr("does not divide")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsAnInconsistentDp) {
  const ModelSpec& m = model("mixtral-8x7b");
  const InputError e =
      parallel_error("  tp: 2\n  dp: 3\n  global_batch_tokens: 1M\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.dp");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.message(), AllOf(HasSubstr("6 GPUs"), HasSubstr("the cluster has 8"),
                                 HasSubstr("dp must be 4")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsEpNotDividingDp) {
  const ModelSpec& m = model("mixtral-8x7b");
  const InputError e =
      parallel_error("  tp: 2\n  ep: 8\n  global_batch_tokens: 1M\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.ep");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.message(), HasSubstr("ep = 8 does not divide dp = 4"));
}

TEST_F(ShardMapTest, DecodeParallelRejectsEpNotDividingTheExperts) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const InputError e = parallel_error("  ep: 3\n  global_batch_tokens: 1M\n", cluster(3, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.ep");
  EXPECT_THAT(e.message(), AllOf(HasSubstr("ep = 3"), HasSubstr("16 experts")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsExpertParallelismOnADenseModel) {
  const ModelSpec& m = model("llama-3-70b");
  const InputError e = parallel_error("  ep: 2\n  global_batch_tokens: 1M\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.ep");
  EXPECT_THAT(e.message(), AllOf(HasSubstr("ep = 2"), HasSubstr("dense")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsMoreStagesThanLayers) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const InputError e = parallel_error("  pp: 32\n  global_batch_tokens: 1M\n", cluster(4, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.pp");
  EXPECT_EQ(e.line(), 2);
  EXPECT_THAT(e.message(), AllOf(HasSubstr("pp = 32"), HasSubstr("24 layers")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsTpNotDividingTheHeads) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const InputError e = parallel_error("  tp: 3\n  global_batch_tokens: 1M\n", cluster(3, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.tp");
  EXPECT_THAT(e.message(), AllOf(HasSubstr("tp = 3"), HasSubstr("16 attention heads")));
}

TEST_F(ShardMapTest, DecodeParallelRejectsBadZeroStagesAndTinyBatches) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  EXPECT_THAT(
      parallel_error("  zero_stage: 4\n  global_batch_tokens: 1M\n", cluster(1, 8), m).message(),
      HasSubstr("got 4"));
  const InputError e = parallel_error("  global_batch_tokens: 4\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.global_batch_tokens");
  EXPECT_THAT(e.message(), AllOf(HasSubstr("4 tokens"), HasSubstr("dp = 8")));
  EXPECT_EQ(parallel_error("  tp: 1\n", cluster(1, 8), m).key_path(),
            "parallel.global_batch_tokens");
}

TEST_F(ShardMapTest, DecodeParallelRejectsUnknownKeysWithASuggestion) {
  const ModelSpec& m = model("gpt-moe-350m-16e");
  const InputError e =
      parallel_error("  zero_stge: 1\n  global_batch_tokens: 1M\n", cluster(1, 8), m);
  EXPECT_EQ(e.key_path(), "parallel.zero_stge");
  EXPECT_EQ(e.line(), 2);
  EXPECT_THAT(e.message(), AllOf(HasSubstr("unknown key"), HasSubstr("did you mean 'zero_stage'")));
}

}  // namespace
}  // namespace ckptlab
