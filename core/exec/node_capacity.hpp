// What one node can move on its own resources, and how much of that a plan's background ops
// take: the input to the training slow-down while checkpoint traffic runs beside it.
//
// A background op (a persist, a replica, a hidden snapshot) competes with training for the
// node's PCIe links, NICs, local disk and storage client. An op that runs at the node's full
// rate on a resource takes all of it; one throttled by something shared (the storage tier's
// aggregate bandwidth divided among 1,024 writers, an oversubscribed rack uplink, another op of
// the plan) takes only the fraction it actually moves. The job slows training by
//   hardware.background_slowdown x background_share
// where background_slowdown is the slow-down beside traffic at a node's full rate (what
// `ckptlab calibrate` measures and the profiles cite) and background_share is computed here,
// by the same formula for every backend, from the plan and its timing.
#pragma once

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "plan/plan.hpp"

namespace ckptlab {

// A node's own copy and network capacities (none of them shared with other nodes).
struct NodeCapacity {
  int gpus_per_node = 8;
  BytesPerSecond pcie_d2h;        // per GPU: each GPU has its own link
  BytesPerSecond pcie_h2d;
  BytesPerSecond network;         // all of the node's NICs, one direction
  BytesPerSecond disk_write;      // node-local NVMe
  BytesPerSecond disk_read;
  BytesPerSecond storage_client;  // min(network, storage_per_client)
};

NodeCapacity node_capacity(const ClusterSpec& cluster, const HardwareProfile& hardware);
// The same from the raw figures (the sim backend's platform holds them): the storage client
// runs at min(network, storage_per_client).
NodeCapacity node_capacity(int gpus_per_node, BytesPerSecond pcie_d2h, BytesPerSecond pcie_h2d,
                           BytesPerSecond network, BytesPerSecond disk_write,
                           BytesPerSecond disk_read, BytesPerSecond storage_per_client);

// Bytes each node moves in an op (ranks summed per node).
std::vector<Bytes> bytes_per_node(const std::vector<Bytes>& rank_bytes, int gpus_per_node,
                                  std::int64_t nodes);

// One hop between host memory and `far` at the nodes' own capacity: the busiest GPU's bytes over
// its PCIe link, or the busiest node's over its NICs, NVMe or storage client. `outward` when the
// bytes leave host memory. REQUIRES: far != kHost.
Seconds full_rate_hop(Tier far, bool outward, const std::vector<Bytes>& rank_bytes,
                      const NodeCapacity& capacity, std::int64_t nodes);

// How long `op` would take if every hop ran at its node's full capacity (nothing shared: the
// storage hop at the client cap, not the tier's fair share). Hops are store-and-forward through
// host memory, as in AnalyticExecutor; time-only ops (recompute, replay, barrier) move nothing: 0.
Seconds full_rate_duration(const Op& op, const NodeCapacity& capacity, std::int64_t nodes);

// The share of a node's copy and network resources that the plan's background (non-blocking)
// ops take while training runs beside them, averaged over that time: from the end of the
// blocking part (timing.blocking) to the end of the plan (timing.total). Each background op
// holds the node for its full-rate duration, spread evenly over its actual [start, end]; the
// share is the held time inside that window over the window's length, capped at 1 (ops that
// overlap on different resources cannot take more than the whole node). 0 when nothing runs in
// the background. Since the job's slow-down is linear in the share, the extra training time is
// background_slowdown x (full-rate seconds of background traffic) whatever its pace.
double background_share(const Plan& plan, const PlanTiming& timing, const NodeCapacity& capacity,
                        std::int64_t nodes);

// The training time a checkpoint with this timing costs beside its stall, when training runs
// throughout its background part: iterations then advance at 1 / (1 + s) of their pace, with
// s = background_slowdown x share, so W = total - blocking seconds lose W s / (1 + s) seconds of
// progress (the job state machine's `slowdown` charge).
Seconds background_overhead(const PlanTiming& timing, double background_slowdown);

}  // namespace ckptlab
