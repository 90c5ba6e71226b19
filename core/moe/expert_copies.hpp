// The lost-token ledger of MoC-System's Partial Experts Checkpointing (arXiv 2408.04307): for
// every routed expert, how many token-expert assignments its live (GPU) state holds that its
// newest copy in host memory and its newest copy on storage lack, and the Proportion of Lost
// Tokens (PLT) that recoveries accumulate.
//
// A recovery restores each expert from one copy; the assignments routed to it since that copy
// was taken are lost (their updates are gone). MoC-System's metric:
//   PLT = (1 / N_moe) * sum over MoE layers i of (sum over faults j of L_ij) / (T_i * TopK_i)
// with L_ij the assignments lost in layer i at fault j and T_i * TopK_i all assignments of layer
// i over the training so far (the surviving progress: iterations that are not rolled back).
//
// Counts are kept relative to a reference iteration (the newest checkpoint start) and advanced
// lazily through the routing model, so the cost is per checkpoint and per recovery, never per
// iteration.
#pragma once

#include <cstdint>
#include <vector>

#include "moe/expert_selection.hpp"
#include "moe/routing_model.hpp"
#include "plan/plan.hpp"

namespace ckptlab {

class ExpertCopies {
 public:
  // Every copy starts as the initial state (version 0) on storage; host memory holds nothing.
  // Keeps a reference to `routing`, which must outlive this object.
  explicit ExpertCopies(const RoutingModel& routing);

  // The iteration the counts refer to.
  std::int64_t reference() const { return reference_; }
  // Training has reached `iteration`: every copy falls behind by what was routed since the
  // reference. REQUIRES: iteration >= reference().
  void advance_to(std::int64_t iteration);
  // Copies of the experts in `mask` taken at iteration `at` are now complete on `tier`
  // (Tier::kHost or Tier::kStorage): they lack only what was routed since `at`. `at` may be
  // before the reference when a newer checkpoint was already planned while this one was still
  // being written. REQUIRES: at <= reference().
  void saved(Tier tier, const ExpertMask& mask, std::int64_t at);
  // Assignments routed to each expert in iterations [from, reference()).
  std::vector<double> routed_since(std::int64_t from) const;
  // Assignments each expert's live state holds beyond its copy on `tier`, at the reference.
  const std::vector<double>& behind(Tier tier) const;
  // Whether expert `index`'s host-memory copy exists and was taken at or before `version` (a
  // copy taken later holds updates from after the version and cannot be combined with it).
  bool host_copy_usable(size_t index, std::int64_t version) const;

  struct Restore {
    std::vector<double> lost_per_layer;  // L_ij of this fault
    double lost = 0;                     // their sum
    std::int64_t from_host = 0;          // experts restored from host memory
  };
  // A recovery rolls the job back to `version` (REQUIRES: <= reference(), and no storage copy
  // is newer than it): experts set in `from_host` take their host copy (REQUIRES: usable), the
  // others their storage copy. Adds the lost assignments to the PLT. Afterwards the counts refer
  // to `version`, and host memory holds the restored state of every expert (a load from storage
  // passes through host memory on its way to the GPU).
  Restore restore(std::int64_t version, const ExpertMask& from_host);

  // Assignments lost so far in each MoE layer (sum over faults).
  const std::vector<double>& lost_per_layer() const { return lost_per_layer_; }
  // PLT with T_i * TopK_i taken over iterations [0, progress); 0 when nothing was trained.
  double lost_fraction(std::int64_t progress) const;

 private:
  const RoutingModel* routing_;  // a pointer, so that the ledger can be copied and assigned
  std::int64_t reference_ = 0;
  std::vector<double> behind_host_;
  std::vector<double> behind_storage_;
  std::vector<std::int64_t> host_iteration_;     // -1: no copy in host memory
  std::vector<std::int64_t> storage_iteration_;  // iteration of the storage copy
  std::vector<double> lost_per_layer_;
  std::vector<double> scratch_;
};

}  // namespace ckptlab
