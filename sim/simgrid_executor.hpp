// SimGridExecutor: plan timings from SimGrid activities on the simulated cluster (DESIGN.md §5
// "sim"). The job state machine stays in core; this executor only times plans, as the analytic
// one does, but every byte of a plan is a SimGrid flow on the platform of platform.hpp, so the
// ops of one plan contend for NICs, rack uplinks, storage servers, client caps, NVMe and PCIe.
//
// How an op is simulated. An op moves each rank's bytes along the tiers between its source and
// destination through the host-memory hub, one hop after the other per node (store-and-forward:
// a node starts its storage write when its own snapshot is done), with the same hops as
// AnalyticExecutor:
//   GPU <-> host      the node's PCIe resource, at the pace of its busiest GPU
//   host <-> peer     a flow between the node and its peer (placement below)
//   host <-> disk     the node's NVMe
//   host <-> storage  a ptask striped over every storage server, capped by the client
//   transfer          host -> peer, like replicate
//   recompute/replay  a SimGrid sleep of op.compute
//   barrier           nothing: ends when the ops it waits on end
// An op starts when every op in op.after has ended (its last node's last hop), so independent
// ops of a plan overlap and share whatever they both use. With nothing overlapping, every op
// takes exactly the analytic time plus the route latencies (tests/sim/executor_test.cpp).
//
// Aggregation, which bounds the cost at 10,240 nodes x 8 GPUs: ranks are aggregated per node.
//  - NIC, storage and disk hops carry the node's total bytes: those resources are per node, so
//    this is exact.
//  - A node's 8 PCIe links are independent of each other and of every other resource, and one
//    ptask-like resource per node stands for them: it moves gpus_per_node * (bytes of the
//    busiest GPU) at gpus_per_node * pcie rate, which takes exactly the time of the independent
//    links when alone, and shares fairly between overlapping ops when each spreads its bytes
//    evenly over the node's GPUs (TP/EP inside a node do); otherwise the node runs at its
//    slowest GPU's pace, a conservative approximation.
//  So a plan op costs one actor and one or two activities per node with bytes: a 10,240-node
//  checkpoint (snapshot + persist) is about 20,000 activities, simulated once.
//
// Memoization: timings are kept per (plan signature, platform state); the state is the set of
// nodes that are off. The job state machine replaces failed nodes (spare or reschedule) before it
// loads state, so every plan it asks for runs on a healthy platform and steady-state checkpoints
// and recoveries are memo hits: a month of 10,240 nodes simulates each distinct plan once.
//
// Failures (the hybrid model, DESIGN.md §5): the job state machine (core/job) decides when a
// failure interrupts a checkpoint or a recovery and keeps the previous version in force; this
// executor times the plans on the healthy platform. execute_with_failure() shows the same thing
// inside SimGrid: the failed nodes' hosts turn off mid-plan, which kills their actors and fails
// every activity that uses them, so the interrupted ops never complete.
//
// Peers: Plan ops do not name the peer a node replicates to (core/plan/plan.hpp), so the
// executor places node n's peer by rule: kNextRack (default) sends to n + nodes_per_rack, i.e. to
// the next failure domain, as Gemini places replicas; kSameRack to the next node of n's rack.
//
// One engine per process (platform.hpp): every SimGridExecutor of a process runs on the one
// Simulation, so they share its clock and its platform; a scenario whose platform differs from
// the one built cannot run in that process (std::logic_error), and a cluster smaller than the
// built platform runs on a prefix of it. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "exec/executor.hpp"
#include "platform.hpp"

namespace ckptlab::sim {

enum class PeerPlacement { kNextRack, kSameRack };

struct SimGridExecutorOptions {
  PeerPlacement peers = PeerPlacement::kNextRack;
  // HardwareProfile::background_efficiency: the flows of byte-moving ops training does not wait
  // for carry their bytes over this fraction (a lone op takes 1 / efficiency as long, as on the
  // analytic executor). The profile constructor takes it from the profile.
  double background_efficiency = 1.0;
};

// What execute_with_failure() reports: op_start/op_end for the ops that completed (NaN for the
// others), blocking/total over the completed ops, and which ops completed.
struct InterruptedPlanTiming {
  PlanTiming timing;
  std::vector<bool> completed;
};

class SimGridExecutor final : public Executor {
 public:
  // Builds the scenario's platform (platform_spec_for), or reuses the process's one when the
  // scenario runs_on() it. Throws std::invalid_argument for an invalid platform (e.g. no storage
  // bandwidth in the profile), std::logic_error when another platform was built in this process.
  SimGridExecutor(const ClusterSpec& cluster, const HardwareProfile& hardware,
                  SimGridExecutorOptions options = {});
  // Runs `cluster` on the first cluster.nodes nodes of `sim`, with sim's bandwidths. Throws
  // std::invalid_argument unless cluster.nodes <= sim.spec().nodes and gpus_per_node and
  // nodes_per_rack equal the platform's.
  SimGridExecutor(Simulation& sim, const ClusterSpec& cluster, SimGridExecutorOptions options = {});

  // Executor contract (executor.hpp). Runs the SimGrid engine unless the (signature, platform
  // state) pair was simulated before (plans with an empty signature are never memoized).
  // Throws std::logic_error when rank_bytes is longer than the cluster's GPU count, or when an op
  // cannot complete because a node it uses is off; std::invalid_argument for a replication on a
  // one-node cluster. REQUIRES: called from outside the simulation.
  PlanTiming execute(const Plan& plan) override;
  std::string backend_name() const override { return "sim"; }
  std::string method() const override;

  // Simulates `plan` (never memoized) with `failed_nodes` turning off `failure_at` after the
  // plan's start, and turns them on again afterwards (a replacement takes their place).
  // REQUIRES: failure_at >= 0; failed nodes within the cluster (std::out_of_range).
  InterruptedPlanTiming execute_with_failure(const Plan& plan, Seconds failure_at,
                                             const std::vector<std::int64_t>& failed_nodes);

  // The node that node `n` replicates to. REQUIRES: 0 <= n < nodes.
  std::int64_t peer_of(std::int64_t n) const;

  struct Stats {
    std::int64_t plans_simulated = 0;  // engine runs
    std::int64_t memo_hits = 0;
    std::int64_t flows_simulated = 0;  // SimGrid activities (ptasks, disk I/O) started
  };
  const Stats& stats() const { return stats_; }
  const Simulation& simulation() const { return sim_; }

 private:
  struct Failure {
    double at = 0;
    std::vector<std::int64_t> nodes;
  };
  InterruptedPlanTiming simulate(const Plan& plan, const Failure* failure);
  // Which nodes get activities: all, or (when `uniform`: no failure, no node off) one node per
  // group of nodes with only node-local hops and the same bytes (simgrid_executor.cpp says why).
  std::vector<bool> nodes_to_simulate(const Plan& plan,
                                      const std::vector<std::vector<Bytes>>& node_total,
                                      const std::vector<std::vector<Bytes>>& busiest_gpu,
                                      bool uniform) const;

  Simulation& sim_;
  ClusterSpec cluster_;
  SimGridExecutorOptions options_;
  std::map<std::string, PlanTiming> memo_;
  Stats stats_;
};

}  // namespace ckptlab::sim
