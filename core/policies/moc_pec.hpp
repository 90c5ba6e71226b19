// moc_pec: MoC-System (Cai, Qin, Huang, "MoC-System: Efficient Fault Tolerance for Sparse
// Mixture-of-Experts Model Training", arXiv 2408.04307, ASPLOS '25; built on Megatron-DeepSpeed
// with ZeRO-2 + expert parallelism). Its mechanisms, as DESIGN.md §4 summarises the paper:
// - Partial Experts Checkpointing (PEC): a checkpoint saves all non-expert state plus k_pec of
//   the E routed experts of every MoE layer, chosen `sequential` (round-robin staggered across
//   layers and EP ranks: for K = 1 checkpoint t saves expert (layer_index + t) mod E) or
//   `load_aware` (the K experts with the most unsaved token updates).
// - Fully sharded checkpointing: replicated state is split at module granularity over the
//   data-parallel replicas (greedy: largest module to the least-loaded rank) instead of rank 0
//   and EP group 0 writing it all (moe/pec_layout.hpp).
// - Two-level management: a GPU -> host snapshot of k_snapshot experts (plus all non-expert
//   state) that overlaps the next forward+backward, so its cost to training is
//   max(0, T_snapshot - T_F&B); then an asynchronous persist of the PEC checkpoint (k_pec of
//   those experts) to storage. On recovery failed nodes load from storage while healthy nodes
//   use their newer in-memory snapshots.
// - Proportion of Lost Tokens (PLT): an expert not in the restored version comes back from the
//   checkpoint where it was last saved, and the token-expert assignments routed to it since are
//   lost; PLT = (1/N_moe) sum_layers sum_faults L_ij / (T_i TopK_i) (moe/expert_copies.hpp),
//   reported as lost_tokens_fraction, with token counts from a routing model
//   (moe/routing_model.hpp).
// - Dynamic K: after a recovery, if the accumulated PLT exceeds plt_bound (3.75% in the paper),
//   k_pec doubles, up to E.
// The paper's own text could not be read here beyond its abstract; everything below follows
// DESIGN.md §4's account of it, and the choices where that account is silent are listed.
//
// Parameters (scenario policy entry):
//   k_pec: 1..E (default 1)             experts per MoE layer in each persisted checkpoint
//                                       (the paper's K_pec, which is also its K_persist)
//   selection: sequential | load_aware  (default sequential)
//   skip: [weights, master, optimizer] or all   state classes an unsaved expert does not write
//                                       (default [weights, optimizer]: see below)
//   sharding: fully_sharded | megatron  (default fully_sharded)
//   two_level: true | false             persist beside training (default true) or blocking
//   snapshot: overlapped | blocking     (default overlapped with the next forward+backward)
//   k_snapshot: k_pec..E | auto         experts per layer in host memory (default auto)
//   fb_fraction: (0, 1]                 forward+backward share of an iteration (default 0.9)
//   recover_from_host: true | false     healthy nodes restore from host memory (default:
//                                       two_level)
//   dynamic_k: true | false (default true), plt_bound: fraction (default 0.0375)
//   routing: {distribution: uniform | zipf | trace, ...} (moe/routing_model.hpp; default uniform)
//   interval ("30m" | daly | young; default daly) or interval_iterations
//
// Choices where the account of the paper is silent, and why:
// - skip default [weights, optimizer]: unsaved experts still write fp32 master weights and skip
//   bf16 weights and Adam moments. It is the reading that reproduces the paper's reported sizes
//   for GPT-350M-16E (PEC on weights only 0.88 of full, on the optimizer only 0.54, on both
//   0.42); `skip: all` (unsaved experts write nothing) is the size formula's reading (0.20).
//   PLT counts every expert outside the PEC set as unsaved under either reading, as the paper
//   defines it; under the default reading the fp32 weights of those experts are in fact
//   current, so PLT then overstates what is lost (only bf16 copies and moments are stale).
// - Recovery mapping: the version restored is the newest one complete on storage (what the
//   failed nodes can load); RecoveryPlan::source is storage and restore_iteration that version.
//   Healthy nodes load their non-expert state from host memory when host memory holds that same
//   version, and each expert without a shard on a failed node from its host snapshot when that
//   snapshot was taken at or before the version (a newer one would mix in updates from after
//   it). Every other expert loads its newest storage copy. The load plan has one storage -> GPU
//   op and one host -> GPU op, per rank, in parallel. A healthy rank's replicated state that a
//   peer snapshotted is charged as a host -> GPU load (the peer copy is not modelled).
// - After a recovery host memory holds the restored state of every expert (a storage load
//   passes through it), so the next recovery can use it.
// - Snapshot overlap: the plan's snapshot op runs beside training, and a blocking fixed-time op
//   of max(0, T_snapshot - fb_fraction * t_iter) stands for the optimizer step waiting on it
//   (the Plan DAG has no "wait beyond a window" op); T_snapshot is the executor's time for the
//   snapshot op alone. k_snapshot: auto is the largest count in [k_pec, E] whose snapshot,
//   max over ranks of bytes / hardware.pcie_d2h, fits in fb_fraction * t_iter (k_pec if none
//   does; k_pec with `snapshot: blocking`). fb_fraction default 0.9: training compute is 6N
//   FLOPs per token, 2N forward and 4N backward (Kaplan et al. 2020, arXiv 2001.08361), all in
//   the forward+backward; 10% of the iteration is assumed for the optimizer step and the
//   gradient-reduction tail, which the snapshot must not overlap.
// - The snapshot set contains the persist set: sequential takes the next k_snapshot positions
//   of the rotation (the first k_pec are persisted), load_aware adds the experts furthest
//   behind their host copy.
// - Sequential positions advance only when a checkpoint is complete on storage, so a checkpoint
//   aborted by a failure is redone with the same experts, and a change of K continues the
//   rotation where it stood. A checkpoint planned while the previous one is still persisting
//   counts the previous one's experts as saved (sequential: it takes the next positions;
//   load-aware: their unsaved count is what was routed since the previous version).
// - PLT denominators T_i TopK_i are the assignments of the surviving progress (iterations not
//   rolled back) so far; the dynamic-K check after a recovery uses the progress at the restored
//   version. The interval is fixed when the policy is built (not re-derived after K doubles).
// - An `interval` (daly, young or a duration; not interval_iterations) is at least the persist
//   time when two_level, so a persist never waits for the previous one (as CheckFreq does).
// - The routing seed is routing.seed (default 1), not the scenario seed: PolicyContext does
//   not carry the scenario seed.
#pragma once

#include <map>
#include <vector>

#include "moe/expert_copies.hpp"
#include "moe/expert_selection.hpp"
#include "moe/pec_layout.hpp"
#include "moe/pec_writes_cache.hpp"
#include "moe/routing_model.hpp"
#include "policy/checkpoint_interval.hpp"
#include "policy/policy.hpp"

namespace ckptlab {

class MocPecPolicy final : public Policy {
 public:
  // Throws InputError for a dense model and for bad parameters. Keeps references to
  // context.shards (through its PecLayout) and context.executor (to time the snapshots of new
  // plans), which must outlive the policy.
  MocPecPolicy(const ConfigNode& node, const PolicyContext& context);

  std::string kind() const override { return "moc_pec"; }
  const Plan* checkpoint_plan(std::int64_t iteration) override;
  Tier durable_tier() const override { return Tier::kStorage; }
  RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                             std::int64_t iteration) override;
  void on_tier_complete(std::int64_t version, Tier tier) override;
  // Applies dynamic K: once per completed recovery (a failure during a recovery plans it again).
  void on_recovered() override;
  double lost_tokens_fraction() const override;
  // The checkpoint at the first interval and the recovery after node 0 fails once it is
  // persisted; the policy's state is left as it was.
  std::vector<std::pair<std::string, const Plan*>> explain_plans() override;
  // The persisted size at the current k_pec (every selection of k experts per layer has it).
  Bytes checkpoint_bytes() const override;
  std::int64_t interval_iterations() const override { return interval_.iterations; }
  std::string describe() const override;
  std::map<std::string, std::string> sources() const override;

  // For tests and reports.
  std::int64_t k_pec() const { return state_.k_pec; }
  std::int64_t k_snapshot() const { return state_.k_snapshot; }
  double lost_assignments() const { return state_.lost_assignments; }
  const PecLayout& layout() const { return layout_; }
  const RoutingModel& routing() const { return routing_; }
  // Largest per-rank write of the first checkpoint under Megatron's layout and under the
  // configured one.
  Bytes largest_write_megatron() const { return largest_megatron_; }
  Bytes largest_write() const { return largest_; }

 private:
  struct Pending {
    std::int64_t version = 0;
    ExpertMask snapshot;
    ExpertMask persist;
    std::int64_t k = 0;  // k_pec of this checkpoint (sequential cursor advance)
    bool host_done = false;
    bool storage_done = false;
  };
  // Everything a run changes, in one place so that explain_plans can put it back.
  struct State {
    explicit State(const RoutingModel& routing) : copies(routing) {}
    ExpertCopies copies;
    std::int64_t k_pec = 1;
    std::int64_t k_snapshot = 1;
    std::int64_t cursor = 0;  // sequential positions covered by persisted checkpoints
    // Checkpoints planned and not yet complete on both tiers, oldest first. The job asks for
    // the next plan before it waits for the previous persist, so there may be two.
    std::vector<Pending> in_flight;
    std::int64_t durable_version = 0;
    std::int64_t host_dense_version = -1;  // version of the non-expert state in host memory
    std::int64_t progress = 0;             // iterations of surviving progress seen
    std::int64_t recoveries = 0;
    std::int64_t doublings = 0;
    bool double_on_resume = false;  // the last planned recovery left PLT above the bound
    std::int64_t experts_from_host = 0;
    std::int64_t experts_from_storage = 0;
    double lost_assignments = 0;
  };

  ExpertMask select(std::int64_t k, Tier behind_tier, const ExpertMask* base) const;
  // `signature`: checkpoint_signature(snapshot, persist), which the caller has already computed
  // to look the plan up.
  Plan build_checkpoint(const ExpertMask& snapshot, const ExpertMask& persist,
                        std::string signature);
  // Which state an op moves when the experts set in `full` move in full and the others move
  // `others` (Op::state, for executors that hold the state for real).
  std::shared_ptr<StateSelection> selection(const ExpertMask& full, unsigned others,
                                            unsigned dense) const;
  std::string checkpoint_signature(const ExpertMask& snapshot, const ExpertMask& persist);
  Seconds snapshot_time(const std::vector<Bytes>& bytes);
  std::int64_t auto_k_snapshot() const;

  // Configuration.
  ExpertSelection selection_ = ExpertSelection::kSequential;
  unsigned skip_ = kStateWeights | kStateOptimizer;
  CheckpointSharding sharding_ = CheckpointSharding::kFullySharded;
  bool two_level_ = true;
  bool overlap_ = true;
  bool auto_snapshot_ = true;
  bool recover_from_host_ = true;
  bool dynamic_k_ = true;
  double plt_bound_ = 0.0375;
  double fb_fraction_ = 0.9;
  Seconds iteration_time_;
  double background_slowdown_ = 0;
  BytesPerSecond pcie_d2h_;

  Executor& executor_;
  std::string executor_method_;
  RoutingModel routing_;
  PecLayout layout_;
  PecWritesCache writes_;
  State state_;

  // Figures of the first checkpoint (k_pec as configured), for the interval and the report.
  Seconds blocking_, background_, overhead_, first_snapshot_;
  std::int64_t k_pec_configured_ = 1;
  Bytes full_bytes_, largest_megatron_, largest_;
  IntervalChoice interval_;

  static constexpr size_t kPlansKept = 64;
  std::map<std::string, Plan> plans_;  // recent checkpoint plans by signature
  Plan load_;
  Plan explain_checkpoint_;
  Plan explain_load_;
};

}  // namespace ckptlab
