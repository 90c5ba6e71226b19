#include "simgrid_executor.hpp"

#include <fmt/format.h>
#include <simgrid/version.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <simgrid/Exception.hpp>
#include <simgrid/s4u.hpp>
#include <stdexcept>

#include "exec/node_capacity.hpp"
#include "flow_timer.hpp"
#include "scenario_platform.hpp"

namespace ckptlab::sim {
namespace sg4 = simgrid::s4u;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Simulation& build_for(const ClusterSpec& cluster, const HardwareProfile& hardware) {
  return Simulation::build(platform_spec_for(cluster, hardware));
}

// One node's share of an op: its hops, run one after the other by one actor on the node.
struct Chain {
  std::int64_t node = 0;
  std::vector<Flow> flows;
};

// An op while its plan runs. Plain bookkeeping shared by the plan's actors: SimGrid runs actors
// one at a time (contexts/nthreads is 1), so no locking is needed.
struct OpRun {
  std::vector<Chain> chains;  // empty for time-only and no-byte ops
  double sleep_s = -1;        // >= 0 for recompute/replay
  std::vector<std::size_t> dependents;
  std::size_t deps_left = 0;
  std::size_t chains_left = 0;
  double start = kNaN;
  double end = kNaN;
};

// Runs a plan's ops as SimGrid actors in DAG order. Lives on the caller's stack for the duration
// of Simulation::run().
class PlanRun {
 public:
  PlanRun(std::vector<OpRun> ops, sg4::Host* clock_host, std::int64_t* flow_count)
      : ops_(std::move(ops)), clock_host_(clock_host), flow_count_(flow_count) {}

  // Starts the ops that wait on nothing. Called from maestro before the engine runs.
  void start_roots() {
    for (std::size_t i = 0; i < ops_.size(); ++i)
      if (ops_[i].deps_left == 0) start(i);
  }
  const std::vector<OpRun>& ops() const { return ops_; }

 private:
  void start(std::size_t i) {
    OpRun& op = ops_[i];
    op.start = sg4::Engine::get_clock();
    if (op.sleep_s >= 0) {
      sg4::Actor::create("compute", clock_host_, [this, i] {
        sg4::this_actor::sleep_for(ops_[i].sleep_s);
        finish(i);
      });
      return;
    }
    op.chains_left = op.chains.size();
    if (op.chains.empty()) {
      finish(i);
      return;
    }
    for (const Chain& chain : op.chains) {
      const Chain* c = &chain;
      // A node switched off before the op starts cannot run its part: the op never completes
      // (SimGrid refuses to start an actor on a failed host).
      if (!c->flows.front().hosts.front()->is_on()) continue;
      sg4::Actor::create("flow", c->flows.front().hosts.front(), [this, i, c] {
        try {
          for (const Flow& flow : c->flows) {
            ++*flow_count_;
            run_flow(flow);
          }
        } catch (const simgrid::Exception&) {
          return;  // a host it used failed: the op never completes
        }
        if (--ops_[i].chains_left == 0) finish(i);
      });
    }
  }

  void finish(std::size_t i) {
    ops_[i].end = sg4::Engine::get_clock();
    for (std::size_t d : ops_[i].dependents)
      if (--ops_[d].deps_left == 0) start(d);
  }

  std::vector<OpRun> ops_;
  sg4::Host* clock_host_;
  std::int64_t* flow_count_;
};

// The node capacities of the platform, as node_capacity() reads them from a hardware profile
// (platform_spec_for copies them), so that both backends compute the background share alike.
NodeCapacity capacity_of(const PlatformSpec& p) {
  return node_capacity(p.gpus_per_node, p.pcie_d2h, p.pcie_h2d, p.node_link_bandwidth(),
                       p.local_disk_write, p.local_disk_read, p.storage_per_client);
}

bool op_has_flows(const Op& op) {
  return op.kind != OpKind::kRecompute && op.kind != OpKind::kReplay &&
         op.kind != OpKind::kBarrier && (op.kind == OpKind::kTransfer || op.from != op.to);
}

}  // namespace

SimGridExecutor::SimGridExecutor(const ClusterSpec& cluster, const HardwareProfile& hardware,
                                 SimGridExecutorOptions options)
    : SimGridExecutor(build_for(cluster, hardware), cluster, [&] {
        SimGridExecutorOptions o = options;
        o.background_efficiency = hardware.background_efficiency;
        return o;
      }()) {}

SimGridExecutor::SimGridExecutor(Simulation& sim, const ClusterSpec& cluster,
                                 SimGridExecutorOptions options)
    : sim_(sim), cluster_(cluster), options_(options) {
  const PlatformSpec& p = sim.spec();
  if (cluster.nodes > p.nodes || cluster.gpus_per_node != p.gpus_per_node ||
      cluster.nodes_per_rack != p.nodes_per_rack)
    throw std::invalid_argument(fmt::format(
        "SimGridExecutor: a cluster of {} nodes x {} GPUs, {} per rack, cannot run on the "
        "platform built in this process ({}, {} GPUs per node)",
        cluster.nodes, cluster.gpus_per_node, cluster.nodes_per_rack, describe(p),
        p.gpus_per_node));
}

std::string SimGridExecutor::method() const {
  const PlatformSpec& p = sim_.spec();
  std::string shape = topology_name(p.topology);
  if (p.topology == Topology::kFatTree)
    shape = fmt::format("{}-level fat-tree, {}:1 leaf uplinks", p.fat_tree.levels,
                        p.fat_tree.oversubscription);
  return fmt::format(
      "SimGrid {}.{} (ptask_L07, fair sharing in bytes): each op's per-node hops are SimGrid "
      "activities on a {} platform (node links, storage servers striped, storage client cap, "
      "NVMe, PCIe per node at its busiest GPU's pace); ops of a plan overlap and contend in DAG "
      "order; memoized per (plan signature, platform state){}",
      SIMGRID_VERSION_MAJOR, SIMGRID_VERSION_MINOR, shape,
      options_.background_efficiency < 1
          ? fmt::format("; background ops carry their bytes over {:.3g} (background_efficiency)",
                        options_.background_efficiency)
          : std::string());
}

std::int64_t SimGridExecutor::peer_of(std::int64_t n) const {
  const std::int64_t nodes = cluster_.nodes;
  if (n < 0 || n >= nodes)
    throw std::out_of_range(fmt::format("node {} outside [0, {})", n, nodes));
  if (nodes < 2) throw std::invalid_argument("replication to a peer needs at least two nodes");
  const std::int64_t per_rack = cluster_.nodes_per_rack;
  if (options_.peers == PeerPlacement::kSameRack) {
    const std::int64_t base = n / per_rack * per_rack;
    const std::int64_t size = std::min<std::int64_t>(per_rack, nodes - base);
    if (size > 1) return base + (n - base + 1) % size;
  } else if (per_rack < nodes) {
    return (n + per_rack) % nodes;
  }
  return (n + 1) % nodes;
}

PlanTiming SimGridExecutor::execute(const Plan& plan) {
  std::string key;
  if (!plan.signature.empty()) {
    key = plan.signature;
    for (std::int64_t n : sim_.nodes_off()) key += fmt::format("|off:{}", n);
    if (auto it = memo_.find(key); it != memo_.end()) {
      ++stats_.memo_hits;
      return it->second;
    }
  }
  InterruptedPlanTiming run = simulate(plan, nullptr);
  for (std::size_t i = 0; i < run.completed.size(); ++i)
    if (!run.completed[i])
      throw std::logic_error(fmt::format(
          "SimGridExecutor: op {} ({}) of plan '{}' could not complete: a node it uses is off", i,
          plan.ops[i].label, plan.signature));
  run.timing.background_share =
      background_share(plan, run.timing, capacity_of(sim_.spec()), cluster_.nodes);
  if (!key.empty()) memo_.emplace(std::move(key), run.timing);
  return run.timing;
}

InterruptedPlanTiming SimGridExecutor::execute_with_failure(
    const Plan& plan, Seconds failure_at, const std::vector<std::int64_t>& failed_nodes) {
  if (!(failure_at.value >= 0))
    throw std::invalid_argument("execute_with_failure: the failure time must be >= 0");
  for (std::int64_t n : failed_nodes)
    if (n < 0 || n >= cluster_.nodes)
      throw std::out_of_range(fmt::format("failed node {} outside [0, {})", n, cluster_.nodes));
  const Failure failure{failure_at.value, failed_nodes};
  return simulate(plan, &failure);
}

namespace {

// Whether an op's per-node chain crosses anything another node also uses (NICs, links, storage).
bool op_uses_network(const Op& op) {
  return op.kind == OpKind::kTransfer || op.from == Tier::kPeerHost || op.to == Tier::kPeerHost ||
         op.from == Tier::kStorage || op.to == Tier::kStorage;
}

}  // namespace

// Nodes whose every hop in the plan is node-local (PCIe, NVMe) share nothing with any other
// node, and every node has the same local bandwidths, so two such nodes that move the same
// bytes in the same ops take exactly the same time: one of them stands for all (the op's end is
// the latest of its nodes' ends either way). This keeps a recovery in which every node reloads
// its own host memory and one node reads from a peer or storage at a handful of activities
// instead of one per node. Not used under a failure or with nodes off, where nodes differ.
std::vector<bool> SimGridExecutor::nodes_to_simulate(
    const Plan& plan, const std::vector<std::vector<Bytes>>& node_total,
    const std::vector<std::vector<Bytes>>& busiest_gpu, bool uniform) const {
  const auto nodes = static_cast<std::size_t>(cluster_.nodes);
  std::vector<bool> simulate(nodes, true);
  if (!uniform) return simulate;
  std::vector<std::vector<std::int64_t>> pattern(nodes);
  std::vector<bool> local(nodes, true);
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    if (node_total[i].empty()) continue;
    const bool network = op_uses_network(plan.ops[i]);
    for (std::size_t n = 0; n < nodes; ++n) {
      if (node_total[i][n].value == 0) continue;
      if (network) local[n] = false;
      pattern[n].insert(pattern[n].end(), {static_cast<std::int64_t>(i), node_total[i][n].value,
                                           busiest_gpu[i][n].value});
    }
  }
  std::map<std::vector<std::int64_t>, std::size_t> representative;
  for (std::size_t n = 0; n < nodes; ++n) {
    if (!local[n] || pattern[n].empty()) continue;
    simulate[n] = representative.emplace(std::move(pattern[n]), n).second;
  }
  return simulate;
}

InterruptedPlanTiming SimGridExecutor::simulate(const Plan& plan, const Failure* failure) {
  const auto gpus = static_cast<std::size_t>(cluster_.gpus_per_node);
  const auto nodes = static_cast<std::size_t>(cluster_.nodes);
  std::vector<OpRun> ops(plan.ops.size());
  // Bytes per node of each op with flows (empty for the others), and of its busiest GPU.
  std::vector<std::vector<Bytes>> node_totals(plan.ops.size());
  std::vector<std::vector<Bytes>> busiest_gpus(plan.ops.size());
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    if (!op_has_flows(op)) continue;
    if (op.rank_bytes.size() > nodes * gpus)
      throw std::logic_error(
          fmt::format("SimGridExecutor: op {} has bytes for {} ranks, the "
                      "cluster has {}",
                      i, op.rank_bytes.size(), nodes * gpus));
    node_totals[i].assign(nodes, Bytes{0});
    busiest_gpus[i].assign(nodes, Bytes{0});
    for (std::size_t r = 0; r < op.rank_bytes.size(); ++r) {
      node_totals[i][r / gpus] += op.rank_bytes[r];
      busiest_gpus[i][r / gpus] = std::max(busiest_gpus[i][r / gpus], op.rank_bytes[r]);
    }
  }
  const std::vector<bool> simulated = nodes_to_simulate(
      plan, node_totals, busiest_gpus, failure == nullptr && sim_.nodes_off().empty());
  for (std::size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    OpRun& run = ops[i];
    run.deps_left = op.after.size();
    for (std::size_t dep : op.after) {
      if (dep >= i) throw std::logic_error("SimGridExecutor: an op may only wait on earlier ops");
      ops[dep].dependents.push_back(i);
    }
    if (op.kind == OpKind::kRecompute || op.kind == OpKind::kReplay) {
      run.sleep_s = std::max(0.0, op.compute.value);
      continue;
    }
    if (!op_has_flows(op)) continue;
    const std::vector<Bytes>& node_total = node_totals[i];
    const std::vector<Bytes>& busiest_gpu = busiest_gpus[i];
    for (std::size_t n = 0; n < nodes; ++n) {
      if (node_total[n].value == 0 || !simulated[n]) continue;
      const auto node = static_cast<std::int64_t>(n);
      const Endpoint host = Endpoint::memory_of(node);
      // One hop between the host hub and `far` (the other end); `outward` when the bytes go
      // from the host to `far`.
      auto hop = [&](Tier far, bool outward) -> Transfer {
        switch (far) {
          case Tier::kGpu: {
            const Bytes volume = busiest_gpu[n] * static_cast<std::int64_t>(gpus);
            return outward ? Transfer{host, Endpoint::gpus_of(node), volume}
                           : Transfer{Endpoint::gpus_of(node), host, volume};
          }
          case Tier::kPeerHost: {
            const Endpoint peer = Endpoint::memory_of(peer_of(node));
            return outward ? Transfer{host, peer, node_total[n]}
                           : Transfer{peer, host, node_total[n]};
          }
          case Tier::kLocalDisk:
            return outward ? Transfer{host, Endpoint::disk_of(node), node_total[n]}
                           : Transfer{Endpoint::disk_of(node), host, node_total[n]};
          case Tier::kStorage:
            return outward ? Transfer{host, Endpoint::storage(), node_total[n]}
                           : Transfer{Endpoint::storage(), host, node_total[n]};
          case Tier::kHost:
            break;
        }
        throw std::logic_error("SimGridExecutor: a hop needs a tier other than host");
      };
      std::vector<Transfer> hops;
      if (op.kind == OpKind::kTransfer) {
        hops.push_back(hop(Tier::kPeerHost, true));
      } else {
        // From the source into the host hub, then out of the hub to the destination.
        if (op.from != Tier::kHost) hops.push_back(hop(op.from, false));
        if (op.to != Tier::kHost) hops.push_back(hop(op.to, true));
      }
      if (!op.blocking && options_.background_efficiency < 1) {
        for (Transfer& t : hops) {
          t.bytes = Bytes{static_cast<std::int64_t>(
              std::ceil(static_cast<double>(t.bytes.value) / options_.background_efficiency))};
        }
      }
      Chain chain{node, {}};
      for (const Transfer& t : hops) chain.flows.push_back(resolve(sim_, t));
      run.chains.push_back(std::move(chain));
    }
  }

  const double t0 = sim_.now().value;
  // Time-only ops sleep on a storage server, which no node failure turns off.
  PlanRun plan_run(std::move(ops), sim_.storage_hosts().front(), &stats_.flows_simulated);
  if (failure != nullptr) {
    // The injector runs on a storage server, which no node failure turns off.
    Simulation* sim = &sim_;
    sg4::Actor::create("failure", sim_.storage_hosts().front(), [sim, failure] {
      sg4::this_actor::sleep_for(failure->at);
      for (std::int64_t n : failure->nodes) sim->set_node_on(n, false);
    });
  }
  plan_run.start_roots();
  sim_.run();
  ++stats_.plans_simulated;
  if (failure != nullptr)
    for (std::int64_t n : failure->nodes) sim_.set_node_on(n, true);

  InterruptedPlanTiming out;
  const std::size_t count = plan.ops.size();
  out.timing.op_start.assign(count, Seconds{kNaN});
  out.timing.op_end.assign(count, Seconds{kNaN});
  out.completed.assign(count, false);
  for (std::size_t i = 0; i < count; ++i) {
    const OpRun& op = plan_run.ops()[i];
    if (std::isnan(op.end)) continue;
    out.completed[i] = true;
    out.timing.op_start[i] = Seconds{op.start - t0};
    out.timing.op_end[i] = Seconds{op.end - t0};
    out.timing.total = std::max(out.timing.total, out.timing.op_end[i]);
    if (plan.ops[i].blocking)
      out.timing.blocking = std::max(out.timing.blocking, out.timing.op_end[i]);
  }
  return out;
}

}  // namespace ckptlab::sim
