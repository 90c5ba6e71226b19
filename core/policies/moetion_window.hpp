// MoEtion's operators and its sparse-checkpoint window (Gandhi & Kozyrakis, "MoEtion" arXiv
// 2412.15411 / "MoEvement: Sparse Checkpointing for Fast and Reliable MoE Training", NSDI '26).
//
// Operators of a rank, as in MoEvement's DeepSpeed code: one per local expert per MoE layer,
// one gate per MoE layer, and one for all other parameters of the stage. They are ordered by
// ascending activation count (experts first, least popular first), then gates, then the
// non-expert operator. In slot s of a window the s-th chunk is *active*: its fp32 master
// weights and Adam moments are snapshotted; operators not yet captured in the window are
// *frozen*: only their bf16 weights are copied. The chunk size n is the largest whose slot fits
// one iteration's PCIe time: state(A_max(n)) + weights(all - A_max(n)) <= t_iter * pcie_d2h,
// A_max(n) the heaviest chunk when the ordered list is cut into groups of n. W_sparse =
// ceil(operators / n), the maximum over ranks; if even n = 1 does not fit, W_sparse is the
// operator count and the snapshot cannot keep up with training (reported).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/shard_map.hpp"
#include "model/model_spec.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct MoetionOperator {
  enum class Kind { kExpert, kGate, kNonExpert };
  Kind kind = Kind::kNonExpert;
  std::int64_t layer = -1;   // MoE layer index within the stage (experts and gates)
  std::int64_t expert = -1;  // local expert index (experts)
  Bytes weights;             // bf16 weights held by the rank (copied while frozen)
  Bytes state;               // fp32 master + Adam moments held by the rank (copied when active)
};

// The ordered operators of one rank. `expert_order` lists local expert indices from least to
// most activated (empty: index order, as under uniform routing).
std::vector<MoetionOperator> moetion_operators(const ModelSpec& model, const RankShard& rank,
                                               const std::vector<std::int64_t>& expert_order);

struct MoetionWindow {
  std::int64_t w_sparse = 1;        // slots per window, the maximum over ranks
  std::int64_t operators = 0;       // operators of the rank that sets w_sparse
  bool keeps_up = true;             // false when even one operator per slot overflows PCIe time
  // slot_bytes[s][rank]: bytes rank copies GPU -> host in slot s (active state of chunk s plus
  // frozen weights of operators after it).
  std::vector<std::vector<Bytes>> slot_bytes;
  // Average cost of a sparse-to-dense replay iteration relative to a full one: frozen operators
  // run forward and input-gradient but skip weight gradients and the optimizer (2/3 of the cost).
  double conversion_cost_factor = 1.0;
};

// Computes the window for every rank of `shards`. `budget` is the bytes one iteration's PCIe
// time can copy (t_iter * pcie_d2h). `forced_w_sparse` > 0 sets W_sparse instead of the rule
// (every rank cuts its operators into chunks of ceil(operators / W)); keeps_up then says whether
// every slot fits the budget. REQUIRES: forced_w_sparse <= the largest rank's operator count.
MoetionWindow moetion_window(const ModelSpec& model, const ShardMap& shards, Bytes budget,
                             const std::vector<std::int64_t>& expert_order,
                             std::int64_t forced_w_sparse = 0);

// The most operators any rank of `shards` has: the largest window moetion_window accepts.
std::int64_t moetion_max_operators(const ModelSpec& model, const ShardMap& shards);

}  // namespace ckptlab
