// Data movements on the simulated cluster. A Transfer names where bytes go; resolve() turns it
// into a Flow (SimGrid hosts, disks and byte amounts), which run_flow() executes inside an actor.
// simulate_transfer_durations() times a set of transfers that start together; the
// SimGridExecutor chains flows along a plan's DAG instead.
#pragma once

#include <simgrid/forward.h>

#include <cstdint>
#include <vector>

#include "platform.hpp"
#include "util/units.hpp"

namespace ckptlab::sim {

// Where bytes live: a node's GPUs, its host memory, its local NVMe disk, or the shared storage.
struct Endpoint {
  enum class Kind { gpu_memory, host_memory, local_disk, shared_storage };
  Kind kind = Kind::host_memory;
  std::int64_t node = 0;  // ignored for shared_storage

  static constexpr Endpoint gpus_of(std::int64_t node) { return {Kind::gpu_memory, node}; }
  static constexpr Endpoint memory_of(std::int64_t node) { return {Kind::host_memory, node}; }
  static constexpr Endpoint disk_of(std::int64_t node) { return {Kind::local_disk, node}; }
  static constexpr Endpoint storage() { return {Kind::shared_storage, 0}; }
  constexpr bool operator==(const Endpoint&) const = default;
};

// One movement of `bytes` from `from` to `to`. Supported pairs:
//  memory_of(a) -> memory_of(b), a != b   one flow over both nodes' links (and, in a fat-tree,
//                                         both racks' uplinks when a and b are in different
//                                         racks)
//  memory_of(a) <-> storage()             striped evenly over every storage server, as a
//                                         parallel file system stripes a large file, so one
//                                         client can reach min(node link, client cap,
//                                         aggregate); the stripes finish together (the slowest
//                                         sets the pace)
//  memory_of(a) <-> disk_of(a)            a write (read) on the node's own disk
//  gpus_of(a) <-> memory_of(a)            a copy over the node's PCIe: `bytes` is the node's
//                                         volume at the pace of its busiest GPU, i.e.
//                                         gpus_per_node * (bytes of that GPU), because the
//                                         node's PCIe resource carries gpus_per_node GPUs' links
// Anything else (another node's disk, disk to storage, storage to storage) is not modelled.
struct Transfer {
  Endpoint from;
  Endpoint to;
  Bytes bytes;
};

// A transfer resolved to SimGrid resources. Plain data: built before the simulation runs, so
// that the actor executing it (on a 16 KiB stack) only creates and waits for one activity.
struct Flow {
  struct Stripe {
    std::size_t from;  // indices into hosts
    std::size_t to;
    double bytes;
  };
  std::vector<simgrid::s4u::Host*> hosts;  // hosts[0] is the node the flow belongs to
  std::vector<Stripe> stripes;             // network part (a ptask)
  double client_flops = 0;                 // storage client work on hosts[0] (1 per byte)
  simgrid::s4u::Disk* disk = nullptr;      // disk part (an Io), instead of stripes
  bool disk_write = false;
  double disk_bytes = 0;

  bool empty() const { return stripes.empty() && (disk == nullptr || disk_bytes <= 0); }
};

// Checks and resolves `t`. Throws std::invalid_argument for an unsupported pair or bytes < 0,
// std::out_of_range for a node index outside the platform. A 0-byte transfer gives an empty
// Flow (it takes no time).
Flow resolve(const Simulation& sim, const Transfer& t);

// Executes `flow` from inside an actor and returns when it is done. An empty flow returns at
// once. Throws the SimGrid exception (simgrid::Exception) when a host it uses is turned off.
// REQUIRES: called from an actor.
void run_flow(const Flow& flow);

// Simulates all `transfers` starting together at the current simulated time and returns the
// duration of each (same order). A network transfer's duration includes its route latency
// (two links in the star); a transfer of 0 bytes takes no time.
// Cost: linear when transfers finish together; the solver re-solves all transfers that share
// a resource at every completion, so n transfers finishing at n distinct times through the
// storage tier cost O(n^2 * storage_servers) (10,240 of them: minutes). Group equal transfers.
// Checks every transfer before simulating any (same exceptions as resolve()).
// REQUIRES: called from outside the simulation (not from an actor).
std::vector<Seconds> simulate_transfer_durations(Simulation& sim,
                                                 const std::vector<Transfer>& transfers);

// The makespan of simulate_transfer_durations: the time until the last transfer finished;
// Seconds{0} for no transfers.
Seconds simulate_transfers(Simulation& sim, const std::vector<Transfer>& transfers);

}  // namespace ckptlab::sim
