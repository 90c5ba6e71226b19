// The simulated cluster: a SimGrid platform built from a PlatformSpec, owned by the one
// process-wide Simulation.
//
// Shape (star): every node is a host with one full-duplex link to a central, non-blocking switch;
// the link carries all of the node's NICs (nics_per_node * nic_bandwidth each way). Each node owns
// a node-local NVMe disk. The shared storage tier is `storage_servers` hosts behind the same
// switch whose links add up to `storage_aggregate`. Oversubscribed fabrics come with the fat-tree
// builder; here the switch itself never limits a flow.
//
// Why a singleton: SimGrid 3.32 allows one s4u::Engine per process and cannot unload a platform,
// so the engine and the platform live for the whole process. Every later simulation (checkpoint
// traffic, recovery) runs on that one platform as a fresh set of actors: the engine can be run
// again after a run has finished, and its clock keeps advancing from where it stopped.
#pragma once

#include <simgrid/forward.h>

#include <cstdint>
#include <span>
#include <vector>

#include "util/units.hpp"

namespace ckptlab::sim {

struct PlatformSpec {
  std::int64_t nodes = 1;
  int gpus_per_node = 8;  // carried for the executor; GPUs are not SimGrid resources yet
  int nics_per_node = 1;
  BytesPerSecond nic_bandwidth;  // per NIC, each direction
  // GPU<->host copies are not simulated by the platform (they never leave the node); the fields
  // travel with the spec so that the executor built on it has one source of truth.
  BytesPerSecond pcie_d2h, pcie_h2d;
  BytesPerSecond local_disk_write, local_disk_read;
  BytesPerSecond storage_aggregate;  // whole storage tier, all servers together
  int storage_servers = 1;
  Seconds link_latency;  // per link: a node-to-node or node-to-storage route crosses two links

  BytesPerSecond node_link_bandwidth() const {
    return {nic_bandwidth.value * static_cast<double>(nics_per_node)};
  }
  BytesPerSecond storage_server_bandwidth() const {
    return {storage_aggregate.value / static_cast<double>(storage_servers)};
  }
  bool operator==(const PlatformSpec&) const = default;
};

// Throws std::invalid_argument naming the offending field unless: nodes >= 1, gpus_per_node >= 1,
// nics_per_node >= 1, storage_servers >= 1, every bandwidth finite and > 0, latency finite, >= 0.
void validate(const PlatformSpec& spec);

// The process-wide SimGrid engine and the platform built in it. Not thread-safe (SimGrid is not):
// use it from one thread. Never destroyed before process exit.
class Simulation {
 public:
  // Returns the simulation, creating the engine and building `spec` on the first call (a
  // 10,240-node star takes well under a second). Later calls with an equal spec return the same
  // object. Throws std::invalid_argument if `spec` is invalid, std::logic_error if a platform with
  // a different spec was already built in this process (SimGrid cannot build a second one).
  static Simulation& build(const PlatformSpec& spec);

  // The simulation built earlier. Throws std::logic_error if build() has not succeeded yet.
  static Simulation& get();
  static bool is_built();

  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const PlatformSpec& spec() const { return spec_; }
  simgrid::s4u::Engine& engine() const { return *engine_; }

  // REQUIRES: 0 <= node < spec().nodes (checked: std::out_of_range).
  simgrid::s4u::Host* node_host(std::int64_t node) const;
  simgrid::s4u::Disk* node_disk(std::int64_t node) const;
  std::span<simgrid::s4u::Host* const> storage_hosts() const { return storage_hosts_; }

  // Simulated time since the engine started; it only moves forward, across runs.
  Seconds now() const;

  // Runs the engine until every actor created since the last run has finished.
  // REQUIRES: called from outside the simulation (not from an actor): asserted.
  void run();

 private:
  explicit Simulation(const PlatformSpec& spec);

  PlatformSpec spec_;
  simgrid::s4u::Engine* engine_ = nullptr;
  std::vector<simgrid::s4u::Host*> node_hosts_;
  std::vector<simgrid::s4u::Disk*> node_disks_;
  std::vector<simgrid::s4u::Host*> storage_hosts_;
};

}  // namespace ckptlab::sim
