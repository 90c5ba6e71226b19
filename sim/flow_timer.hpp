// Times a set of concurrent data movements on the simulated cluster: every transfer starts at
// the same instant, they share links, disks and the storage tier by max-min fairness, and the
// simulation reports when each one finished.
#pragma once

#include <cstdint>
#include <vector>

#include "platform.hpp"
#include "util/units.hpp"

namespace ckptlab::sim {

// Where bytes live: a node's host memory, a node's local NVMe disk, or the shared storage tier.
struct Endpoint {
  enum class Kind { host_memory, local_disk, shared_storage };
  Kind kind = Kind::host_memory;
  std::int64_t node = 0;  // ignored for shared_storage

  static constexpr Endpoint memory_of(std::int64_t node) { return {Kind::host_memory, node}; }
  static constexpr Endpoint disk_of(std::int64_t node) { return {Kind::local_disk, node}; }
  static constexpr Endpoint storage() { return {Kind::shared_storage, 0}; }
  constexpr bool operator==(const Endpoint&) const = default;
};

// One movement of `bytes` from `from` to `to`. Supported pairs:
//  memory_of(a) -> memory_of(b), a != b   one flow over both nodes' links
//  memory_of(a) <-> storage()             striped evenly over every storage server, as a
//                                         parallel file system stripes a large file, so one
//                                         client can reach min(node link, aggregate); the
//                                         stripes finish together (the slowest sets the pace)
//  memory_of(a) <-> disk_of(a)            a write (read) on the node's own disk
// Anything else (another node's disk, disk to storage, storage to storage) is not modelled yet.
struct Transfer {
  Endpoint from;
  Endpoint to;
  Bytes bytes;
};

// Simulates all `transfers` starting together at the current simulated time and returns the
// duration of each (same order). A network transfer's duration includes its route latency
// (two links in the star); a transfer of 0 bytes takes no time.
// Cost: linear when transfers finish together; the solver re-solves all transfers that share
// a resource at every completion, so n transfers finishing at n distinct times through the
// storage tier cost O(n^2 * storage_servers) (10,240 of them: minutes). Group equal transfers.
// Checks every transfer before simulating any: throws std::invalid_argument for an unsupported
// pair or bytes < 0, std::out_of_range for a node index outside the platform.
// REQUIRES: called from outside the simulation (not from an actor).
std::vector<Seconds> simulate_transfer_durations(Simulation& sim,
                                                 const std::vector<Transfer>& transfers);

// The makespan of simulate_transfer_durations: the time until the last transfer finished;
// Seconds{0} for no transfers.
Seconds simulate_transfers(Simulation& sim, const std::vector<Transfer>& transfers);

}  // namespace ckptlab::sim
