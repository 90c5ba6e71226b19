// ModelSpec: parameter counts against published figures, structural identities of the counts,
// one hand-computed small model, and located decode errors.
#include "model/model_spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "util/data_files.hpp"
#include "util/input_error.hpp"

namespace ckptlab {
namespace {

using ::testing::HasSubstr;

// Catalog names resolve against $CKPTLAB_DATA_DIR; ctest sets it, this makes the bare binary work.
class ModelCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1); }
};

ModelSpec catalog(const std::string& name) {
  return load_model(ConfigNode::load_string(name, "scenario.yaml"));
}

ModelSpec inline_model(const std::string& yaml) {
  return decode_model(ConfigNode::load_string(yaml, "test.yaml"));
}

// Returns the InputError thrown by decoding `yaml`; fails the test when none is thrown.
InputError decode_error(const std::string& yaml) {
  try {
    inline_model(yaml);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an InputError for:\n" << yaml;
  return InputError("", 0, 0, "", "");
}

struct Published {
  const char* name;
  double total;
  double active;  // 0: the model card gives no active figure
};

// Figures from each model's card or paper (cited in the YAML files).
constexpr Published kPublished[] = {
    {"mixtral-8x7b", 46.7e9, 12.9e9}, {"mixtral-8x22b", 141e9, 39e9},
    {"deepseek-v3", 671e9, 37e9},     {"qwen1.5-moe-a2.7b", 14.3e9, 2.7e9},
    {"olmoe-1b-7b", 6.9e9, 1.3e9},    {"llama-3-70b", 70.6e9, 70.6e9},
    {"gpt-moe-125m-8e", 323e6, 0},    {"deepseek-moe-16b", 16.4e9, 2.8e9},
};

double relative_error(std::int64_t computed, double published) {
  return std::abs(static_cast<double>(computed) - published) / published;
}

TEST_F(ModelCatalogTest, ParameterCountsMatchPublishedFiguresWithinTwoPercent) {
  for (const Published& p : kPublished) {
    SCOPED_TRACE(p.name);
    const ModelSpec m = catalog(p.name);
    EXPECT_LT(relative_error(m.total_params(), p.total), 0.02) << m.total_params();
    if (p.active > 0) {
      EXPECT_LT(relative_error(m.active_params(), p.active), 0.02) << m.active_params();
    }
  }
}

TEST_F(ModelCatalogTest, EveryCatalogEntryDecodesAndIsNamedByItsFileStem) {
  const auto names = list_catalog("models");
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {"mixtral-8x7b", "mixtral-8x22b", "deepseek-v3", "qwen1.5-moe-a2.7b",
                          "olmoe-1b-7b", "llama-3-70b", "gpt-moe-125m-8e", "gpt-moe-350m-8e",
                          "gpt-moe-350m-16e", "gpt-moe-350m-32e", "gpt-moe-350m-64e"}));
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const ModelSpec m = catalog(name);
    EXPECT_EQ(m.name, name);
    EXPECT_FALSE(m.source.empty());
  }
}

TEST_F(ModelCatalogTest, CountsDecomposeIntoDenseAndExpertParts) {
  for (const std::string& name : list_catalog("models")) {
    SCOPED_TRACE(name);
    const ModelSpec m = catalog(name);
    EXPECT_EQ(m.total_params(), m.dense_params() + m.expert_params());
    EXPECT_EQ(m.expert_params(), m.moe_layers() * m.experts * m.params_per_expert());
    EXPECT_EQ(m.active_params(),
              m.dense_params() + m.moe_layers() * m.top_k * m.params_per_expert());
    EXPECT_LE(m.active_params(), m.total_params());
    std::int64_t blocks = 0;
    for (std::int64_t l = 0; l < m.layers; ++l) blocks += m.block_dense_params(l);
    EXPECT_EQ(m.dense_params(), m.embedding_params() + m.head_params() + blocks);
    EXPECT_DOUBLE_EQ(m.flops_per_token(), 6.0 * static_cast<double>(m.active_params()));
  }
}

TEST_F(ModelCatalogTest, DenseModelHasNoExpertParameters) {
  const ModelSpec m = catalog("llama-3-70b");
  EXPECT_FALSE(m.is_moe());
  EXPECT_EQ(m.moe_layers(), 0);
  EXPECT_EQ(m.expert_params(), 0);
  EXPECT_EQ(m.active_params(), m.total_params());
}

TEST_F(ModelCatalogTest, MoeLayerPlacementFollowsTheCatalog) {
  const ModelSpec v3 = catalog("deepseek-v3");
  EXPECT_EQ(v3.moe_layers(), 58);
  EXPECT_FALSE(v3.is_moe_layer(2));
  EXPECT_TRUE(v3.is_moe_layer(3));
  const ModelSpec gpt = catalog("gpt-moe-350m-16e");
  EXPECT_EQ(gpt.moe_layers(), 12);
  EXPECT_FALSE(gpt.is_moe_layer(0));
  EXPECT_TRUE(gpt.is_moe_layer(1));
  EXPECT_TRUE(gpt.is_moe_layer(23));
  EXPECT_EQ(catalog("mixtral-8x7b").moe_layers(), 32);
}

TEST_F(ModelCatalogTest, GptMoeFamilyDiffersOnlyInExperts) {
  const std::int64_t dense = catalog("gpt-moe-350m-8e").dense_params();
  const std::int64_t per_expert = catalog("gpt-moe-350m-8e").params_per_expert();
  for (int experts : {8, 16, 32, 64}) {
    const ModelSpec m = catalog("gpt-moe-350m-" + std::to_string(experts) + "e");
    // Only the routers grow with the expert count: hidden x experts per MoE layer.
    EXPECT_EQ(m.dense_params() - dense, 12 * 1024 * (experts - 8));
    EXPECT_EQ(m.expert_params(), 12 * experts * per_expert);
  }
}

TEST_F(ModelCatalogTest, LoadModelAcceptsAPathRelativeToTheReferringFile) {
  const ModelSpec m = load_model(ConfigNode::load_string(
      "models/olmoe-1b-7b.yaml", std::string(CKPTLAB_SOURCE_DIR) + "/scenario.yaml"));
  EXPECT_EQ(m.name, "olmoe-1b-7b");
}

TEST_F(ModelCatalogTest, UnknownCatalogNameListsKnownNames) {
  try {
    load_model(ConfigNode::load_string("mixtral-8x8b", "scenario.yaml"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "scenario.yaml");
    EXPECT_THAT(e.what(), HasSubstr("mixtral-8x8b"));
    EXPECT_THAT(e.what(), HasSubstr("mixtral-8x7b"));
    EXPECT_THAT(e.what(), HasSubstr("deepseek-v3"));
  }
}

// A tiny model whose counts are worked out by hand below.
constexpr const char* kTinyMoe = R"(name: tiny
layers: 4
hidden: 8
vocab: 100
attention: {kind: gqa, heads: 4, kv_heads: 2}
ffn: {kind: swiglu, dense: 16}
moe: {layers: {every: 2, offset: 1}, experts: 4, top_k: 2, expert_ffn: 6,
      shared_experts: 1, shared_expert_ffn: 10, shared_expert_gate: true}
)";

TEST(ModelSpecCounts, TinyMoeMatchesHandCount) {
  const ModelSpec m = inline_model(kTinyMoe);
  // head_dim = 8/4 = 2; q and o: 8x8 each, k and v: 8x(2*2) each -> 64+64+32+32.
  EXPECT_EQ(m.attention.head_dim, 2);
  EXPECT_EQ(m.attention_params_per_layer(), 192);
  EXPECT_EQ(m.norm_params_per_layer(), 16);                 // two RMSNorm scales of 8
  EXPECT_EQ(m.ffn_params(16), 384);                         // 3 x 8 x 16
  EXPECT_EQ(m.params_per_expert(), 144);                    // 3 x 8 x 6
  EXPECT_EQ(m.router_params_per_moe_layer(), 32 + 8);       // 8x4 gate + 8x1 shared gate
  EXPECT_EQ(m.block_dense_params(0), 192 + 16 + 384);       // dense layer: 592
  EXPECT_EQ(m.block_dense_params(1), 192 + 16 + 40 + 240);  // router + shared 3x8x10: 488
  EXPECT_EQ(m.embedding_params(), 800);
  EXPECT_EQ(m.head_params(), 8 + 800);  // final norm + untied head
  EXPECT_EQ(m.moe_layer_indices, (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(m.dense_params(), 800 + 808 + 2 * 592 + 2 * 488);  // 3768
  EXPECT_EQ(m.expert_params(), 2 * 4 * 144);                   // 1152
  EXPECT_EQ(m.total_params(), 4920);
  EXPECT_EQ(m.active_params(), 3768 + 2 * 2 * 144);  // 4344
  EXPECT_EQ(m.state_bytes_per_param(), 14);
}

TEST(ModelSpecCounts, Gpt2StyleBiasesPositionsAndTiedHead) {
  const ModelSpec m = inline_model(R"(name: tiny-gpt
layers: 2
hidden: 4
vocab: 10
tied_embeddings: true
learned_positions: 6
norm: layernorm
attention: {kind: mha, heads: 2, qkv_bias: true, out_bias: true}
ffn: {kind: gelu, dense: 16}
dtypes: {weight_bytes: 4, master_bytes: 0, optimizer_bytes: 8}
)");
  EXPECT_EQ(m.attention_params_per_layer(), 4 * 16 + 12 + 4);  // 4 matrices + qkv and out biases
  EXPECT_EQ(m.norm_params_per_layer(), 16);                    // 2 LayerNorms, scale + bias
  EXPECT_EQ(m.ffn_params(16), 2 * 64 + 16 + 4);
  EXPECT_EQ(m.embedding_params(), (10 + 6) * 4);
  EXPECT_EQ(m.head_params(), 8);  // final LayerNorm only: the head is the token embedding
  EXPECT_EQ(m.total_params(), 64 + 8 + 2 * (80 + 16 + 148));
  EXPECT_EQ(m.state_bytes_per_param(), 12);
}

TEST(ModelSpecCounts, MlaWithoutQueryLoraProjectsQueriesDirectly) {
  const ModelSpec m = inline_model(R"(name: tiny-mla
layers: 1
hidden: 8
vocab: 10
attention: {kind: mla, heads: 2, kv_lora_rank: 4, qk_nope_head_dim: 3, qk_rope_head_dim: 1,
            v_head_dim: 2}
ffn: {kind: swiglu, dense: 4}
)");
  // q: 8 x 2*(3+1) = 64; kv down: 8 x (4+1) + norm 4 = 44; kv up: 4 x 2*(3+2) = 40; o: 2*2 x 8.
  EXPECT_EQ(m.attention_params_per_layer(), 64 + 44 + 40 + 32);
}

TEST(ModelSpecDecode, UnknownKeyIsLocatedWithSuggestion) {
  const InputError e = decode_error(R"(name: typo
layers: 2
hidden: 8
vocab: 10
attention: {kind: gqa, heads: 2, kv_heads: 2}
ffn: {kind: swiglu, dense: 16}
moe:
  layers: all
  experts: 4
  topk: 2
  expert_ffn: 8
)");
  EXPECT_EQ(e.file(), "test.yaml");
  EXPECT_EQ(e.line(), 10);
  EXPECT_EQ(e.key_path(), "moe.topk");
  EXPECT_THAT(e.what(), HasSubstr("test.yaml:10"));
  EXPECT_THAT(e.what(), HasSubstr("moe.topk"));
  EXPECT_THAT(e.what(), HasSubstr("did you mean 'top_k'"));
}

TEST(ModelSpecDecode, TopKAboveExpertsIsRejected) {
  const InputError e = decode_error(R"(name: bad
layers: 2
hidden: 8
vocab: 10
attention: {kind: gqa, heads: 2, kv_heads: 2}
ffn: {kind: swiglu}
moe: {layers: all, experts: 4, top_k: 5, expert_ffn: 8}
)");
  EXPECT_EQ(e.key_path(), "moe.top_k");
  EXPECT_EQ(e.line(), 7);
  EXPECT_THAT(e.what(), HasSubstr("exceeds"));
}

constexpr const char* kBase = R"(name: m
layers: 4
hidden: 8
vocab: 10
)";

TEST(ModelSpecDecode, InconsistentShapesAreRejectedAtTheirKey) {
  struct Case {
    const char* rest;
    const char* key_path;
  };
  const Case cases[] = {
      // MoE layer index beyond the last layer.
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\n"
       "moe: {layers: [1, 4], experts: 2, top_k: 1, expert_ffn: 8}\n",
       "moe.layers[1]"},
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\n"
       "moe: {layers: {first_dense: 4}, experts: 2, top_k: 1, expert_ffn: 8}\n",
       "moe.layers.first_dense"},
      // MLA needs its latent rank.
      {"attention: {kind: mla, heads: 2, qk_nope_head_dim: 2, qk_rope_head_dim: 2, v_head_dim: 2}\n"
       "ffn: {kind: swiglu, dense: 8}\n",
       "attention.kv_lora_rank"},
      // GQA keys do not belong to MLA (and the reverse).
      {"attention: {kind: gqa, heads: 2, kv_heads: 2, kv_lora_rank: 4}\nffn: {kind: swiglu, dense: "
       "8}\n",
       "attention.kv_lora_rank"},
      {"attention: {kind: gqa, heads: 4, kv_heads: 3}\nffn: {kind: swiglu, dense: 8}\n",
       "attention.kv_heads"},
      {"attention: {kind: sparse, heads: 2}\nffn: {kind: swiglu, dense: 8}\n", "attention.kind"},
      {"attention: {knd: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\n", "attention.knd"},
      // Some layers are dense, so the dense FFN width is required.
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu}\n"
       "moe: {layers: {every: 2}, experts: 2, top_k: 1, expert_ffn: 8}\n",
       "ffn.dense"},
      {"attention: {kind: mha, heads: 2}\nffn: {kind: relu, dense: 8}\n", "ffn.kind"},
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\n"
       "moe: {layers: all, experts: 2, top_k: 1, expert_ffn: 8, shared_experts: 1}\n",
       "moe.shared_expert_ffn"},
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\nnorm: batchnorm\n",
       "norm"},
      {"attention: {kind: mha, heads: 2}\nffn: {kind: swiglu, dense: 8}\ndtypes: {weight_bytes: "
       "0}\n",
       "dtypes.weight_bytes"},
      {"ffn: {kind: swiglu, dense: 8}\n", "attention"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.rest);
    const InputError e = decode_error(std::string(kBase) + c.rest);
    EXPECT_EQ(e.key_path(), c.key_path) << e.what();
    EXPECT_EQ(e.file(), "test.yaml");
  }
}

TEST(ModelSpecDecode, ShapesTooLargeToCountExactlyAreRejected) {
  // Each dimension is allowed alone; together they would overflow the int64 counts.
  const InputError e = decode_error(R"(name: huge
layers: 1000000
hidden: 1000000
vocab: 10
attention: {kind: mha, heads: 1000}
ffn: {kind: swiglu}
moe: {layers: all, experts: 1000000, top_k: 1, expert_ffn: 1000000}
)");
  EXPECT_THAT(e.what(), HasSubstr("parameters"));
  EXPECT_EQ(e.line(), 1);
}

TEST(ModelSpecDecode, InlineMappingIsDecodedByLoadModel) {
  const ModelSpec m = load_model(ConfigNode::load_string(kTinyMoe, "scenario.yaml"));
  EXPECT_EQ(m.name, "tiny");
  EXPECT_EQ(m.total_params(), 4920);
}

}  // namespace
}  // namespace ckptlab
