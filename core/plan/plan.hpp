// A Plan is what a policy asks the executor to do: a small DAG of operations over the ranks
// (DESIGN.md §3 "Plan"). Ops carry bytes per rank so that every backend (analytic formulas,
// SimGrid flows, real copies) can execute the same plan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/units.hpp"

namespace ckptlab {

// Where a version of a shard lives. Ordered from fastest to slowest to reach.
enum class Tier { kGpu, kHost, kPeerHost, kLocalDisk, kStorage };
const char* tier_name(Tier t);

enum class OpKind {
  kSnapshot,   // GPU -> own host memory (PCIe)
  kReplicate,  // host memory -> a peer node's host memory (NICs)
  kPersist,    // host memory -> local disk or shared storage
  kLoad,       // storage/disk/peer/host -> GPU (reverse path of the tiers)
  kTransfer,   // generic node-to-node transfer (e.g. state for a replacement node)
  kRecompute,  // redo iterations on some ranks: a fixed time
  kReplay,     // log-based replay on some ranks: a fixed time
  kBarrier,    // synchronisation point: no time of its own
};
const char* op_kind_name(OpKind k);

// Which parts of each rank's state an op moves, for executors that hold the state for real (the
// hardware harness maps it onto its shards; the analytic and sim executors need only
// rank_bytes, which the policy computes from the same selection). Without one, an op moves
// rank_bytes of each rank's state. Classes are bit sets: 1 bf16 weights, 2 fp32 master weights,
// 4 optimizer moments (moe/pec_layout.hpp's StateClass).
struct StateSelection {
  unsigned dense_classes = 0;  // of the non-expert state
  // Per routed expert, indexed MoE ordinal * experts_per_layer + expert (moe/expert_selection's
  // ExpertMask order): the classes moved for it.
  std::vector<std::uint8_t> expert_classes;
  std::int64_t experts_per_layer = 0;
  // Ranks on these nodes move their whole state, whatever the above says (they lost it all).
  std::vector<std::int64_t> whole_state_nodes;
};

struct Op {
  OpKind kind = OpKind::kBarrier;
  Tier from = Tier::kGpu;
  Tier to = Tier::kGpu;
  // Bytes each rank moves (indexed by rank; empty for time-only ops). Ranks with 0 move nothing.
  std::vector<Bytes> rank_bytes;
  Seconds compute;              // kRecompute / kReplay: the time the op takes
  std::vector<size_t> after;    // indices of ops that must finish first
  // Training waits for this op (checkpoint stall / downtime) or runs beside it.
  bool blocking = true;
  std::string label;
  // Whether this op's write makes the plan's version complete on its tier when it ends. False
  // for one step of a checkpoint spread over several plans (a MoEtion window slot): the version
  // completes with the last step.
  bool completes_version = true;
  // The parts of the state moved (nullptr: the leading rank_bytes of each rank's state). Shared:
  // plans are copied often, selections never change once built. Not covered by the plan's
  // signature (a timing depends on bytes only): a policy may reuse one plan, and its signature,
  // for checkpoints that move the same bytes of different experts.
  std::shared_ptr<const StateSelection> state = nullptr;

  Bytes total_bytes() const;
};

struct Plan {
  // Identifies the plan's content: two plans with the same signature have identical ops, so an
  // executor may reuse a timing (REQUIRES of whoever builds plans).
  std::string signature;
  std::vector<Op> ops;

  Bytes total_bytes() const;
  bool empty() const { return ops.empty(); }
  // Appends an op and returns its index.
  size_t add(Op op);
};

// Times of one plan execution, relative to its start.
struct PlanTiming {
  std::vector<Seconds> op_start;
  std::vector<Seconds> op_end;
  Seconds blocking;  // when the last blocking op ends: how long training waits
  Seconds total;     // when the last op ends
  // Share of a node's copy and network resources the background ops take between `blocking`
  // and `total` (exec/node_capacity.hpp); training slows by hardware.background_slowdown times
  // this. The analytic and sim executors compute it; an executor that cannot (real hardware,
  // whose own measurement is the slow-down) leaves 1: the background takes the whole node.
  double background_share = 1.0;
};

}  // namespace ckptlab
