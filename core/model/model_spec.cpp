// Model shapes → parameter counts, and the models/*.yaml decoder.
//
// Schema of a model file (every mapping is checked with expect_keys, so a typo is an error):
//
//   name: mixtral-8x7b              # required; equals the file stem for catalog entries
//   source: "..."                   # optional; where the shape comes from
//   layers: 32                      # transformer blocks
//   hidden: 4096
//   vocab: 32000
//   tied_embeddings: false          # optional (false): LM head shares the token embedding
//   learned_positions: 0            # optional (0): rows of a GPT-2 style position table
//   norm: rmsnorm                   # optional: rmsnorm (scale only) | layernorm (scale + bias)
//   attention:                      # kind gqa | mha (kv_heads = heads) | mla
//     {kind: gqa, heads: 32, kv_heads: 8, head_dim: 128, qkv_bias: false, out_bias: false,
//      qk_norm: false}              # head_dim defaults to hidden / heads
//     {kind: mla, heads: 128, q_lora_rank: 1536, kv_lora_rank: 512, qk_nope_head_dim: 128,
//      qk_rope_head_dim: 64, v_head_dim: 128}   # q_lora_rank optional (0: direct q projection)
//   ffn: {kind: swiglu | gelu, dense: 14336}    # dense: required unless every layer is MoE
//   moe:                            # optional; absent for a dense model
//     layers: all | {first_dense: 3} | {every: 2, offset: 1} | [1, 3, 5]   # 0-based indices
//     experts: 8, top_k: 2, expert_ffn: 14336
//     shared_experts: 0, shared_expert_ffn: 0, shared_expert_gate: false   # optional
//   dtypes: {weight_bytes: 2, master_bytes: 4, optimizer_bytes: 8}         # optional
#include "model/model_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "util/data_files.hpp"

namespace ckptlab {

// ---------------------------------------------------------------------------------------------
// Parameter counts

bool ModelSpec::is_moe_layer(std::int64_t layer) const {
  return std::binary_search(moe_layer_indices.begin(), moe_layer_indices.end(), layer);
}

std::int64_t ModelSpec::attention_params_per_layer() const {
  const AttentionSpec& a = attention;
  if (a.kind == AttentionSpec::Kind::kMla) {
    // DeepSeek-V2/V3 MLA: q (optionally through a low-rank bottleneck with its own RMSNorm),
    // a joint kv down-projection that also yields the shared rope key, an RMSNorm on the kv
    // latent, the kv up-projection to per-head nope keys and values, and the output projection.
    const std::int64_t q_head = a.qk_nope_head_dim + a.qk_rope_head_dim;
    const std::int64_t q = a.q_lora_rank > 0 ? hidden * a.q_lora_rank + a.q_lora_rank +
                                                   a.q_lora_rank * a.heads * q_head
                                             : hidden * a.heads * q_head;
    const std::int64_t kv_down = hidden * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank;
    const std::int64_t kv_up = a.kv_lora_rank * a.heads * (a.qk_nope_head_dim + a.v_head_dim);
    const std::int64_t out = a.heads * a.v_head_dim * hidden;
    return q + kv_down + kv_up + out;
  }
  const std::int64_t q_width = a.heads * a.head_dim;
  const std::int64_t kv_width = a.kv_heads * a.head_dim;
  std::int64_t n = hidden * q_width + 2 * hidden * kv_width + q_width * hidden;
  if (a.qkv_bias) n += q_width + 2 * kv_width;
  if (a.out_bias) n += hidden;
  // OLMoE normalises the full q and k projections (not per head), one scale per channel.
  if (a.qk_norm) n += q_width + kv_width;
  return n;
}

std::int64_t ModelSpec::norm_params_per_layer() const {
  return 2 * hidden * (norm_bias ? 2 : 1);  // pre-attention and pre-FFN norms
}

std::int64_t ModelSpec::ffn_params(std::int64_t intermediate) const {
  if (ffn_kind == FfnKind::kSwiGlu) return 3 * hidden * intermediate;
  return 2 * hidden * intermediate + intermediate + hidden;  // GPT-2 MLP: fc and proj, with biases
}

std::int64_t ModelSpec::router_params_per_moe_layer() const {
  // Bias-free linear gate (Mixtral, DeepSeek, Qwen, OLMoE, DeepSpeed-MoE's TopKGate).
  return hidden * experts + (shared_expert_gate ? hidden : 0);
}

std::int64_t ModelSpec::block_dense_params(std::int64_t layer) const {
  std::int64_t n = attention_params_per_layer() + norm_params_per_layer();
  if (is_moe_layer(layer)) {
    n += router_params_per_moe_layer() + shared_experts * ffn_params(shared_expert_ffn);
  } else {
    n += ffn_params(dense_ffn);
  }
  return n;
}

std::int64_t ModelSpec::embedding_params() const { return (vocab + learned_positions) * hidden; }

std::int64_t ModelSpec::head_params() const {
  const std::int64_t final_norm = hidden * (norm_bias ? 2 : 1);
  return final_norm + (tied_embeddings ? 0 : vocab * hidden);
}

std::int64_t ModelSpec::expert_params() const {
  return moe_layers() * experts * params_per_expert();
}

std::int64_t ModelSpec::dense_params() const {
  std::int64_t n = embedding_params() + head_params();
  for (std::int64_t layer = 0; layer < layers; ++layer) n += block_dense_params(layer);
  return n;
}

std::int64_t ModelSpec::active_params() const {
  return dense_params() + moe_layers() * top_k * params_per_expert();
}

double ModelSpec::flops_per_token() const { return 6.0 * static_cast<double>(active_params()); }

// ---------------------------------------------------------------------------------------------
// Decoding

namespace {

// Any single dimension beyond this is a typo (an extra zero), not a model.
constexpr std::int64_t kMaxDimension = 1'000'000;
// The counts are exact int64 sums of products; a shape whose count could pass this (1000x
// DeepSeek-V3) is rejected before any of them is computed, so none can overflow.
constexpr double kMaxParams = 1e15;

// An upper bound on total_params(), term by term in double (each term at most four factors of
// <= 1e6, so no double overflow): every FFN counted as 3*h*i + i + h, both attention variants'
// projection terms, and generous norm/router terms.
double params_upper_bound(const ModelSpec& m) {
  const auto d = [](std::int64_t v) { return static_cast<double>(v); };
  const AttentionSpec& a = m.attention;
  const double h = d(m.hidden);
  const double qh = d(a.qk_nope_head_dim) + d(a.qk_rope_head_dim);
  const double attention =
      4 * h * d(a.heads) * d(a.head_dim) + 4 * d(a.heads) * d(a.head_dim) + h +
      (h + d(a.heads) * qh) * d(a.q_lora_rank) + h * d(a.heads) * qh +
      (h + 1) * (d(a.kv_lora_rank) + d(a.qk_rope_head_dim)) +
      d(a.kv_lora_rank) * d(a.heads) * (d(a.qk_nope_head_dim) + d(a.v_head_dim)) +
      d(a.heads) * d(a.v_head_dim) * h;
  const auto ffn = [&](std::int64_t i) { return 3 * h * d(i) + d(i) + h; };
  const double block = attention + 4 * h + ffn(m.dense_ffn) + h * (d(m.experts) + 1) +
                       d(m.shared_experts) * ffn(m.shared_expert_ffn);
  return d(m.layers) * block + d(m.moe_layers()) * d(m.experts) * ffn(m.expert_ffn) +
         (2 * d(m.vocab) + d(m.learned_positions) + 2) * h;
}

// An error at `parent.key` for a key that the rest of the model makes required.
[[noreturn]] void fail_missing(const ConfigNode& parent, std::string_view key,
                               const std::string& why) {
  const std::string path =
      parent.key_path().empty() ? std::string(key) : fmt::format("{}.{}", parent.key_path(), key);
  ConfigNode(parent.yaml(), parent.file(), path).fail(fmt::format("missing required key: {}", why));
}

std::int64_t dimension(const ConfigNode& n) {
  const std::int64_t v = n.as_positive_int();
  if (v > kMaxDimension)
    n.fail(fmt::format("{} is implausibly large (limit {})", v, kMaxDimension));
  return v;
}

std::int64_t dimension_or(const ConfigNode& parent, std::string_view key, std::int64_t fallback) {
  auto n = parent.find(key);
  return n ? dimension(*n) : fallback;
}

std::int64_t non_negative_or(const ConfigNode& parent, std::string_view key,
                             std::int64_t fallback) {
  auto n = parent.find(key);
  if (!n) return fallback;
  const std::int64_t v = n->as_int();
  if (v < 0) n->fail(fmt::format("expected a whole number >= 0, got {}", v));
  if (v > kMaxDimension)
    n->fail(fmt::format("{} is implausibly large (limit {})", v, kMaxDimension));
  return v;
}

AttentionSpec decode_attention(const ConfigNode& node, std::int64_t hidden) {
  AttentionSpec a;
  // All keys of every kind first, so a misspelt `kind` still gets a "did you mean"; the
  // kind-specific checks below then reject keys of the other kind.
  node.expect_keys({"kind", "heads", "kv_heads", "head_dim", "qkv_bias", "out_bias", "qk_norm",
                    "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                    "v_head_dim"});
  const ConfigNode kind_node = node["kind"];
  const std::string kind = kind_node.as_string();
  if (kind == "mla") {
    node.expect_keys({"kind", "heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                      "qk_rope_head_dim", "v_head_dim"});
    a.kind = AttentionSpec::Kind::kMla;
    a.heads = dimension(node["heads"]);
    a.q_lora_rank = non_negative_or(node, "q_lora_rank", 0);
    a.kv_lora_rank = dimension(node["kv_lora_rank"]);
    a.qk_nope_head_dim = dimension(node["qk_nope_head_dim"]);
    a.qk_rope_head_dim = dimension(node["qk_rope_head_dim"]);
    a.v_head_dim = dimension(node["v_head_dim"]);
    return a;
  }
  if (kind != "gqa" && kind != "mha") {
    kind_node.fail(fmt::format("unknown attention kind \"{}\"; expected gqa, mha or mla", kind));
  }
  if (kind == "mha") {
    node.expect_keys({"kind", "heads", "head_dim", "qkv_bias", "out_bias", "qk_norm"});
  } else {
    node.expect_keys({"kind", "heads", "kv_heads", "head_dim", "qkv_bias", "out_bias", "qk_norm"});
  }
  a.kind = AttentionSpec::Kind::kGqa;
  a.heads = dimension(node["heads"]);
  a.kv_heads = kind == "mha" ? a.heads : dimension(node["kv_heads"]);
  if (a.heads % a.kv_heads != 0) {
    node["kv_heads"].fail(
        fmt::format("heads ({}) must be a multiple of kv_heads ({})", a.heads, a.kv_heads));
  }
  if (auto hd = node.find("head_dim")) {
    a.head_dim = dimension(*hd);
  } else if (hidden % a.heads == 0) {
    a.head_dim = hidden / a.heads;
  } else {
    node["heads"].fail(fmt::format(
        "hidden ({}) is not a multiple of heads ({}); give head_dim explicitly", hidden, a.heads));
  }
  a.qkv_bias = node.bool_or("qkv_bias", false);
  a.out_bias = node.bool_or("out_bias", false);
  a.qk_norm = node.bool_or("qk_norm", false);
  return a;
}

// The `moe.layers` forms; returns sorted, unique, in-range 0-based indices.
std::vector<std::int64_t> decode_moe_layers(const ConfigNode& node, std::int64_t layers) {
  std::vector<std::int64_t> out;
  if (node.is_scalar()) {
    if (node.as_string() != "all") {
      node.fail(
          fmt::format("expected all, {{first_dense: N}}, {{every: K, offset: O}} or a list "
                      "of layer indices, got \"{}\"",
                      node.as_string()));
    }
    for (std::int64_t i = 0; i < layers; ++i) out.push_back(i);
  } else if (node.is_sequence()) {
    for (const ConfigNode& item : node.items()) {
      const std::int64_t i = item.as_int();
      if (i < 0 || i >= layers) {
        item.fail(
            fmt::format("layer index {} out of range: the model has layers 0..{}", i, layers - 1));
      }
      if (std::find(out.begin(), out.end(), i) != out.end()) item.fail("layer listed twice");
      out.push_back(i);
    }
    std::sort(out.begin(), out.end());
  } else if (node.is_map() && node.has("first_dense")) {
    node.expect_keys({"first_dense"});
    const ConfigNode n = node["first_dense"];
    const std::int64_t first_dense = n.as_int();
    if (first_dense < 0 || first_dense >= layers) {
      n.fail(fmt::format("first_dense must be in 0..{} (the model has {} layers)", layers - 1,
                         layers));
    }
    for (std::int64_t i = first_dense; i < layers; ++i) out.push_back(i);
  } else if (node.is_map()) {
    node.expect_keys({"every", "offset"});
    const std::int64_t every = node["every"].as_positive_int();
    const std::int64_t offset = node.int_or("offset", 0);
    if (offset < 0 || offset >= every || offset >= layers) {
      node["offset"].fail(fmt::format("offset must be in 0..{}", std::min(every, layers) - 1));
    }
    for (std::int64_t i = offset; i < layers; i += every) out.push_back(i);
  } else {
    node.fail("expected all, {first_dense: N}, {every: K, offset: O} or a list of layer indices");
  }
  if (out.empty()) node.fail("selects no MoE layer; omit `moe` for a dense model");
  return out;
}

void decode_moe(const ConfigNode& node, ModelSpec& m) {
  node.expect_keys({"layers", "experts", "top_k", "expert_ffn", "shared_experts",
                    "shared_expert_ffn", "shared_expert_gate"});
  m.moe_layer_indices = decode_moe_layers(node["layers"], m.layers);
  m.experts = dimension(node["experts"]);
  const ConfigNode top_k = node["top_k"];
  m.top_k = top_k.as_positive_int();
  if (m.top_k > m.experts) {
    top_k.fail(fmt::format("top_k ({}) exceeds the number of experts ({})", m.top_k, m.experts));
  }
  m.expert_ffn = dimension(node["expert_ffn"]);
  m.shared_experts = non_negative_or(node, "shared_experts", 0);
  if (m.shared_experts > 0) {
    if (!node.has("shared_expert_ffn"))
      fail_missing(node, "shared_expert_ffn", "shared_experts >= 1");
    m.shared_expert_ffn = dimension(node["shared_expert_ffn"]);
  } else if (auto n = node.find("shared_expert_ffn"); n && n->as_int() != 0) {
    n->fail("shared_expert_ffn given but shared_experts is 0");
  }
  if (auto n = node.find("shared_expert_gate")) {
    m.shared_expert_gate = n->as_bool();
    if (m.shared_expert_gate && m.shared_experts == 0) {
      n->fail("shared_expert_gate needs shared_experts >= 1");
    }
  }
}

int byte_width_or(const ConfigNode& parent, std::string_view key, int fallback, bool may_be_zero) {
  auto n = parent.find(key);
  if (!n) return fallback;
  const std::int64_t v = n->as_int();
  if (v < (may_be_zero ? 0 : 1) || v > 64) {
    n->fail(fmt::format("expected bytes per parameter in {}..64, got {}", may_be_zero ? 0 : 1, v));
  }
  return static_cast<int>(v);
}

}  // namespace

ModelSpec decode_model(const ConfigNode& node) {
  node.expect_keys({"name", "source", "layers", "hidden", "vocab", "tied_embeddings",
                    "learned_positions", "norm", "attention", "ffn", "moe", "dtypes"});
  ModelSpec m;
  m.name = node["name"].as_string();
  if (m.name.empty()) node["name"].fail("must not be empty");
  m.source = node.string_or("source", "");
  m.layers = dimension(node["layers"]);
  m.hidden = dimension(node["hidden"]);
  m.vocab = dimension(node["vocab"]);
  m.tied_embeddings = node.bool_or("tied_embeddings", false);
  m.learned_positions = non_negative_or(node, "learned_positions", 0);
  if (auto n = node.find("norm")) {
    const std::string norm = n->as_string();
    if (norm != "rmsnorm" && norm != "layernorm") {
      n->fail(fmt::format("unknown norm \"{}\"; expected rmsnorm or layernorm", norm));
    }
    m.norm_bias = norm == "layernorm";
  }
  m.attention = decode_attention(node["attention"], m.hidden);

  if (auto moe = node.find("moe")) decode_moe(*moe, m);

  const ConfigNode ffn = node["ffn"];
  ffn.expect_keys({"kind", "dense"});
  const ConfigNode kind = ffn["kind"];
  if (kind.as_string() == "swiglu") {
    m.ffn_kind = ModelSpec::FfnKind::kSwiGlu;
  } else if (kind.as_string() == "gelu") {
    m.ffn_kind = ModelSpec::FfnKind::kGelu;
  } else {
    kind.fail(fmt::format("unknown ffn kind \"{}\"; expected swiglu or gelu", kind.as_string()));
  }
  m.dense_ffn = dimension_or(ffn, "dense", 0);
  if (m.dense_ffn == 0 && m.moe_layers() < m.layers) {
    fail_missing(ffn, "dense",
                 fmt::format("{} of the {} layers are dense (not MoE)", m.layers - m.moe_layers(),
                             m.layers));
  }

  if (auto d = node.find("dtypes")) {
    d->expect_keys({"weight_bytes", "master_bytes", "optimizer_bytes"});
    m.weight_bytes = byte_width_or(*d, "weight_bytes", m.weight_bytes, false);
    m.master_bytes = byte_width_or(*d, "master_bytes", m.master_bytes, true);
    m.optimizer_bytes = byte_width_or(*d, "optimizer_bytes", m.optimizer_bytes, true);
  }
  if (const double bound = params_upper_bound(m); bound > kMaxParams) {
    node.fail(
        fmt::format("this shape has up to {:.3g} parameters, beyond the {:.0e} ckptlab counts",
                    bound, kMaxParams));
  }
  return m;
}

ModelSpec load_model(const ConfigNode& node) {
  if (node.is_map()) return decode_model(node);
  const std::string reference = node.as_string();
  std::string path;
  try {
    path = resolve_catalog_entry("models", reference, node.file());
  } catch (const std::invalid_argument& e) {
    node.fail(e.what());
  }
  const ConfigNode file = ConfigNode::load_file(path);
  ModelSpec m = decode_model(file);
  // A catalog entry is named by its file stem; a mismatched `name:` would make results name a
  // different model than the scenario asked for.
  const std::string stem = std::filesystem::path(path).stem().string();
  if (reference == stem && m.name != stem) {
    file["name"].fail(fmt::format("catalog entry {} must be named \"{}\"", path, stem));
  }
  return m;
}

}  // namespace ckptlab
