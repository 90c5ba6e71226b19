// Who writes what in a Partial Experts Checkpoint (MoC-System, arXiv 2408.04307), and where
// every routed expert lives: per-rank bytes of a checkpoint that saves a subset of experts in
// full, under Megatron's layout or MoC-System's fully sharded layout.
//
// State classes: bf16 weights, fp32 master weights, Adam moments (StateBytes). Under ZeRO >= 1
// the master weights and moments are sharded over the data-parallel group (every rank writes
// its own shard); under ZeRO 3 the weights too. What is replicated (the weights for ZeRO 1-2,
// everything for ZeRO 0) is written once:
//   megatron       by the first replica (dp_index 0 for non-expert state, expert-DP index 0 for
//                  experts), as in policies/full_state.hpp: those ranks write far more.
//   fully_sharded  MoC-System's layout: replicated non-expert state is split at module
//                  granularity (each transformer block's non-expert part, the embeddings, the
//                  head) and each replicated expert is one module; modules go, largest first, to
//                  the least-loaded eligible replica (greedy LPT; a rank's own sharded writes
//                  count as its starting load; an expert may only go to ranks holding it; ties to
//                  the lower dp_index). TP slices are balanced separately (each TP rank holds its
//                  own slice of every module).
// Experts not selected write only the state classes not in `skip` (bit set of StateClass).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/parallel_config.hpp"
#include "cluster/shard_map.hpp"
#include "model/model_spec.hpp"
#include "moe/expert_selection.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

enum StateClass : unsigned { kStateWeights = 1, kStateMaster = 2, kStateOptimizer = 4 };
constexpr unsigned kAllStateClasses = kStateWeights | kStateMaster | kStateOptimizer;

enum class CheckpointSharding { kMegatron, kFullySharded };

class PecLayout {
 public:
  // REQUIRES: `model` is an MoE model; `shards` was built from `model` and `parallel`. Keeps a
  // reference to `shards`, which must outlive the layout.
  PecLayout(const ModelSpec& model, const ParallelConfig& parallel, const ShardMap& shards);

  std::int64_t moe_layers() const { return moe_layers_; }
  std::int64_t experts() const { return experts_; }
  std::int64_t ep() const { return ep_; }
  const ShardMap& shards() const { return shards_; }

  // Bytes each rank writes (indexed by rank) when the experts in `selected` are saved in full,
  // every other expert writes only its classes not in `skip`, and all non-expert state is
  // written. With every expert selected and kMegatron it equals full_checkpoint_bytes exactly;
  // under either sharding the sum over ranks is the same.
  std::vector<Bytes> write_bytes(const ExpertMask& selected, unsigned skip,
                                 CheckpointSharding sharding) const;

  // Bytes each rank loads on recovery, by source: ranks on `failed_nodes` load everything
  // from storage; the others load their non-expert state from host memory when
  // `dense_from_host`, their experts set in `from_host` from host memory, the rest from storage.
  struct RecoveryLoads {
    std::vector<Bytes> from_storage;
    std::vector<Bytes> from_host;
  };
  RecoveryLoads recovery_loads(const std::vector<std::int64_t>& failed_nodes,
                               const ExpertMask& from_host, bool dense_from_host) const;

  // Every expert with a shard (any TP slice, any expert-DP replica) on one of `nodes`: its state
  // there is gone when those nodes fail.
  ExpertMask experts_on_nodes(const std::vector<std::int64_t>& nodes) const;
  // How many of rank `rank`'s local experts (all its MoE layers together) are set in `mask`.
  std::int64_t local_selected(std::int64_t rank, const ExpertMask& mask) const;
  // Rank `rank`'s state of `count` of its local experts (every local expert is the same size;
  // count == all local experts gives RankShard::expert exactly).
  StateBytes local_expert_state(std::int64_t rank, std::int64_t count) const;

 private:
  // MoE ordinals [first, last) of a pipeline stage.
  std::pair<std::int64_t, std::int64_t> stage_moe_range(std::int64_t stage) const;
  void add_fully_sharded_replicated(const ExpertMask& selected, unsigned skip,
                                    std::vector<Bytes>& writes) const;

  // What each rank writes per state class, precomputed so that write_bytes, called for every
  // checkpoint, is one pass of a few additions per rank.
  struct RankWrites {
    size_t stage_ep = 0;              // index into the (stage, EP rank) selection counts
    std::int64_t local_total = 0;     // local experts (all MoE layers of the stage)
    std::int64_t dense_megatron = 0;  // non-expert bytes written under each layout
    std::int64_t dense_sharded = 0;
    std::int64_t expert[3] = {0, 0, 0};               // bytes of all local experts, per class
    bool expert_megatron[3] = {false, false, false};  // written under Megatron's layout
  };

  const ShardMap& shards_;
  std::vector<RankWrites> rank_writes_;
  ModelSpec model_;
  std::int64_t tp_ = 1, pp_ = 1, dp_ = 1, ep_ = 1;
  unsigned sharded_ = 0;     // classes each rank writes its own shard of
  unsigned replicated_ = 0;  // classes one replica writes
  std::int64_t moe_layers_ = 0;
  std::int64_t experts_ = 0;
  std::int64_t local_experts_ = 0;             // per EP rank per MoE layer
  std::vector<std::int64_t> stage_first_moe_;  // MoE ordinal range per stage: [s], [s + 1]
};

// Decodes a set of state classes: `all` or a non-empty list of weights, master, optimizer
// (InputError located at the node or the offending item otherwise).
unsigned decode_state_classes(const ConfigNode& node);
// "weights+optimizer".
std::string state_class_names(unsigned classes);

// Bytes per parameter of the classes in `classes`.
std::int64_t bytes_per_param(const ModelSpec& model, unsigned classes);

}  // namespace ckptlab
