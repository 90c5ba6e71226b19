// The simulated cluster: a SimGrid platform built from a PlatformSpec, owned by the one
// process-wide Simulation.
//
// What a node is: one SimGrid host with
//  - a full-duplex link to its switch carrying all its NICs (nics_per_node * nic_bandwidth each
//    way);
//  - a node-local NVMe disk ("nvme");
//  - its GPUs' PCIe copy engines as a second SimGrid disk ("pcie"): a disk is the SimGrid resource
//    with independent read and write rates on a host, which is the shape of GPU->host (read,
//    gpus_per_node * pcie_d2h) and host->GPU (write, gpus_per_node * pcie_h2d) copies that run
//    concurrently; its read+write constraint is their sum, so the two directions never share;
//  - a CPU whose speed is the node's storage client cap (storage_per_client): the ptasks that
//    write to or read from the shared storage "compute" one flop per byte on it, so all storage
//    streams of a node share that cap, as they share one parallel-file-system client. Nothing
//    else computes on a node.
// The shared storage tier is `storage_servers` hosts, each with a write link (storage_write /
// servers) and a read link (storage_read / servers).
//
// Topologies (the network between nodes and storage):
//  - star: every node and storage server hangs off one non-blocking switch. Racks exist only as
//    failure domains.
//  - fat_tree: a hand-built leaf/spine tree. Each rack of nodes_per_rack nodes is a leaf switch
//    (a SimGrid zone "rack-<r>" with a router "rack-<r>-leaf") whose uplink carries
//    nodes_per_rack * node link / oversubscription each way; traffic between two nodes of one
//    rack stays below the leaf, traffic between racks crosses both racks' uplinks. With
//    levels = 3, racks_per_pod leaves form a pod (zone "pod-<p>") whose uplink carries
//    racks_per_pod * rack uplink / pod_oversubscription. The top (spine or core) is
//    non-blocking, and the storage servers hang off it. A tier that is not oversubscribed (ratio
//    1) is flattened: its uplink would carry the sum of the links below it and could never limit
//    a flow, so no zone is built for it (a 1:1 rack stays a failure domain). A Meta-style cluster
//    of 2-node racks under 1:1 top-of-rack switches then needs 27 pod zones instead of 5,147
//    zones, whose creation SimGrid 3.32 slows quadratically (every new link name is looked up
//    through all zones: 7.8 s for 5,120 racks).
//    Why hand-built rather than SimGrid's FatTreeZone: there a rack's uplinks are separate links
//    chosen per destination by static d-mod-k routing and every endpoint is a leaf, so storage
//    would sit in a rack behind its uplinks; one aggregated uplink per rack models adaptive
//    routing (the load spreads over all uplinks), costs one link per rack, and makes the rack,
//    the leaf switch and the failure domain one object.
//
// Why a singleton: SimGrid 3.32 allows one s4u::Engine per process and cannot unload a platform
// (nor add zones once the engine has run), so the engine and the platform live for the whole
// process. Every simulation (checkpoint traffic, recovery) runs on that one platform as a fresh
// set of actors: the engine can be run again after a run has finished, and its clock keeps
// advancing from where it stopped. A process that needs several cluster sizes builds the
// largest and runs the smaller clusters on a prefix of its nodes (see runs_on()).
#pragma once

#include <simgrid/forward.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/units.hpp"

namespace ckptlab::sim {

enum class Topology { kStar, kFatTree };
const char* topology_name(Topology t);

struct FatTreeSpec {
  int levels = 2;                     // 2: leaf + spine; 3: leaf + pod spine + core
  double oversubscription = 1.0;      // leaf: bandwidth of its nodes / bandwidth of its uplink
  int racks_per_pod = 1;              // levels == 3 only
  double pod_oversubscription = 1.0;  // levels == 3 only: racks' uplinks / pod uplink
  bool operator==(const FatTreeSpec&) const = default;
};

struct PlatformSpec {
  std::int64_t nodes = 1;
  int gpus_per_node = 8;
  int nics_per_node = 1;
  BytesPerSecond nic_bandwidth;     // per NIC, each direction
  BytesPerSecond pcie_d2h;          // per GPU
  BytesPerSecond pcie_h2d;          // per GPU
  BytesPerSecond local_disk_write;  // per node
  BytesPerSecond local_disk_read;
  BytesPerSecond storage_write;  // whole storage tier, all servers together
  BytesPerSecond storage_read;
  BytesPerSecond storage_per_client;  // cap on one node's storage streams together
  int storage_servers = 1;
  Seconds link_latency;  // per link: a star route crosses two links
  int nodes_per_rack = 32;
  Topology topology = Topology::kStar;
  FatTreeSpec fat_tree;  // used when topology == kFatTree

  BytesPerSecond node_link_bandwidth() const {
    return {nic_bandwidth.value * static_cast<double>(nics_per_node)};
  }
  BytesPerSecond storage_server_write() const {
    return {storage_write.value / static_cast<double>(storage_servers)};
  }
  BytesPerSecond storage_server_read() const {
    return {storage_read.value / static_cast<double>(storage_servers)};
  }
  std::int64_t racks() const { return (nodes + nodes_per_rack - 1) / nodes_per_rack; }
  std::int64_t rack_of(std::int64_t node) const { return node / nodes_per_rack; }
  // Fat-tree only: each direction of a rack's (pod's) uplink.
  BytesPerSecond rack_uplink_bandwidth() const;
  BytesPerSecond pod_uplink_bandwidth() const;
  bool operator==(const PlatformSpec&) const = default;
};

// Throws std::invalid_argument naming the offending field unless: nodes, gpus_per_node,
// nics_per_node, storage_servers, nodes_per_rack >= 1; every bandwidth finite and > 0; latency
// finite and >= 0; for a fat-tree: levels 2 or 3, oversubscriptions finite and >= 1,
// racks_per_pod >= 1.
void validate(const PlatformSpec& spec);

// Whether a cluster described by `wanted` can run on the platform `built`: the same spec except
// that `built` may have more nodes. The first wanted.nodes nodes of `built` then form exactly
// the platform `wanted` describes (same racks, pods, links and storage), because the nodes past
// them carry no traffic.
bool runs_on(const PlatformSpec& built, const PlatformSpec& wanted);

// One line for messages: "10240 nodes (fat_tree, 32/rack, 4:1) x 8 NICs of ... B/s, ...".
std::string describe(const PlatformSpec& spec);

// The process-wide SimGrid engine and the platform built in it. Not thread-safe (SimGrid is not):
// use it from one thread. Never destroyed before process exit.
class Simulation {
 public:
  // Returns the simulation, creating the engine and building `spec` on the first call (a
  // 10,240-node star or fat-tree takes about a second). Later calls with a spec that runs_on()
  // the built one return the same object. Throws std::invalid_argument if `spec` is invalid,
  // std::logic_error if a platform that `spec` cannot run on was already built in this process
  // (SimGrid cannot build a second one).
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
  simgrid::s4u::Disk* node_disk(std::int64_t node) const;  // the NVMe
  simgrid::s4u::Disk* node_pcie(std::int64_t node) const;  // the GPUs' copy engines
  std::span<simgrid::s4u::Host* const> storage_hosts() const { return storage_hosts_; }

  // Simulated time since the engine started; it only moves forward, across runs.
  Seconds now() const;

  // Runs the engine until every actor created since the last run has finished.
  // REQUIRES: called from outside the simulation (not from an actor): checked, std::logic_error.
  void run();

  // Platform state: nodes whose host is off (failed and not replaced). Turning a node off kills
  // the actors on it and fails every activity that uses its host (transfers to, from or through
  // it); turning it on makes it usable again. Callable from inside or outside an actor.
  // REQUIRES: 0 <= node < spec().nodes (checked: std::out_of_range).
  void set_node_on(std::int64_t node, bool on);
  // Sorted; empty when every node is up.
  const std::vector<std::int64_t>& nodes_off() const { return nodes_off_; }

 private:
  explicit Simulation(const PlatformSpec& spec);

  PlatformSpec spec_;
  simgrid::s4u::Engine* engine_ = nullptr;
  std::vector<simgrid::s4u::Host*> node_hosts_;
  std::vector<simgrid::s4u::Disk*> node_disks_;
  std::vector<simgrid::s4u::Disk*> node_pcies_;
  std::vector<simgrid::s4u::Host*> storage_hosts_;
  std::vector<std::int64_t> nodes_off_;
};

}  // namespace ckptlab::sim
