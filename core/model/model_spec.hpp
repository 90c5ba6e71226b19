// A transformer (dense or Mixture-of-Experts) described by its shape, as in models/*.yaml,
// and the parameter counts derived from that shape.
//
// Counting convention (the one model cards use): every weight matrix and bias, every norm's
// scale (and bias where the model has one), embeddings, and the LM head unless tied. Routers
// (gates) count as dense parameters. Multi-token-prediction heads are not counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/config_node.hpp"

namespace ckptlab {

struct AttentionSpec {
  enum class Kind { kGqa, kMla };  // grouped-query (MHA when kv_heads == heads) | multi-head latent
  Kind kind = Kind::kGqa;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  // GQA only
  std::int64_t head_dim = 0;  // GQA only
  bool qkv_bias = false;      // biases on q, k, v (Qwen1.5, GPT-2)
  bool out_bias = false;      // bias on the output projection (GPT-2)
  bool qk_norm = false;       // per-layer RMSNorm on q and k (OLMoE): (heads + kv_heads)*head_dim
  // MLA (DeepSeek-V2/V3) only:
  std::int64_t q_lora_rank = 0;  // 0: q is projected directly
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;
};

struct ModelSpec {
  std::string name;    // catalog name, e.g. "deepseek-v3"
  std::string source;  // where the shape comes from (model card, config.json, paper)
  std::int64_t layers = 0;
  std::int64_t hidden = 0;
  std::int64_t vocab = 0;
  bool tied_embeddings = false;
  std::int64_t learned_positions = 0;  // GPT-2 style position table rows; 0 for RoPE models
  bool norm_bias = false;              // LayerNorm with bias (GPT-2) instead of RMSNorm
  AttentionSpec attention;

  enum class FfnKind { kSwiGlu, kGelu };  // 3 matrices (gate, up, down) | 2 matrices (+ biases)
  FfnKind ffn_kind = FfnKind::kSwiGlu;
  std::int64_t dense_ffn = 0;  // intermediate size of dense (non-MoE) layers

  // MoE. moe_layer_indices is sorted, 0-based; empty for a dense model.
  std::vector<std::int64_t> moe_layer_indices;
  std::int64_t experts = 0;  // routed experts per MoE layer
  std::int64_t top_k = 0;
  std::int64_t expert_ffn = 0;
  std::int64_t shared_experts = 0;
  std::int64_t shared_expert_ffn = 0;  // per shared expert
  bool shared_expert_gate = false;     // Qwen1.5-MoE: a sigmoid gate (hidden x 1) on the shared expert

  // Bytes per parameter of each persistent state class (mixed-precision Adam by default).
  int weight_bytes = 2;     // bf16 model weights
  int master_bytes = 4;     // fp32 master weights
  int optimizer_bytes = 8;  // Adam first and second moments, fp32

  // Shape-derived counts (parameters, not bytes).
  bool is_moe() const { return !moe_layer_indices.empty(); }
  bool is_moe_layer(std::int64_t layer) const;
  std::int64_t moe_layers() const { return static_cast<std::int64_t>(moe_layer_indices.size()); }
  std::int64_t attention_params_per_layer() const;  // projections, biases, qk/lora norms
  std::int64_t norm_params_per_layer() const;       // the two block norms
  std::int64_t ffn_params(std::int64_t intermediate) const;  // one FFN (or expert) of that size
  std::int64_t params_per_expert() const { return ffn_params(expert_ffn); }
  std::int64_t router_params_per_moe_layer() const;  // gate; plus the shared-expert gate
  // Non-expert parameters of one transformer block: attention, norms, and either the dense FFN
  // or (MoE layer) router + shared experts. Routed experts excluded.
  std::int64_t block_dense_params(std::int64_t layer) const;
  std::int64_t embedding_params() const;  // token (+ position) embeddings
  std::int64_t head_params() const;       // final norm + LM head (head is 0 when tied)

  std::int64_t expert_params() const;  // all routed experts of all MoE layers
  std::int64_t dense_params() const;   // everything else
  std::int64_t total_params() const { return dense_params() + expert_params(); }
  std::int64_t active_params() const;  // per token: dense + top_k routed experts per MoE layer
  double flops_per_token() const;      // training: 6 * active parameters (forward + backward)

  // Bytes of one full checkpoint of the model (weights + master + optimizer for every parameter).
  std::int64_t state_bytes_per_param() const { return weight_bytes + master_bytes + optimizer_bytes; }
};

// Decodes one model mapping (the content of a models/*.yaml file). Unknown keys, missing
// required keys and inconsistent shapes (top_k > experts, MoE layer index out of range, MLA
// without kv_lora_rank, ...) are InputErrors located at the offending key.
ModelSpec decode_model(const ConfigNode& node);

// Loads a catalog model by name ("mixtral-8x7b") or a model file by path, relative to
// `referring_file` (see resolve_catalog_entry). When `node` is a mapping it is decoded inline.
ModelSpec load_model(const ConfigNode& node);

}  // namespace ckptlab
