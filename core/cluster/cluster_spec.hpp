// The cluster a scenario runs on: how many nodes, GPUs per node, racks (failure domains), the
// network's shape and the storage servers. Bandwidths live in the HardwareProfile.
#pragma once

#include <cstdint>
#include <string>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

// The fat-tree of the sim backend (sim/platform.hpp): racks are leaf switches; each leaf's
// uplink carries nodes_per_rack node links / oversubscription; with three levels, racks_per_pod
// leaves form a pod whose uplink carries their uplinks / pod_oversubscription. The top is
// non-blocking and the shared storage hangs off it.
struct FatTreeConfig {
  int levels = 2;                     // 2 (leaf + spine) or 3 (leaf + pod spine + core)
  double oversubscription = 1.0;      // >= 1
  int racks_per_pod = 1;              // levels 3 only
  double pod_oversubscription = 1.0;  // levels 3 only, >= 1
};

struct ClusterSpec {
  std::int64_t nodes = 1;
  int gpus_per_node = 8;
  int nodes_per_rack = 32;        // a rack (or leaf switch) is a correlated failure domain
  std::string topology = "star";  // platform shape for the sim backend: star | fat_tree
  int storage_servers = 1;        // sim backend: servers the shared storage stripes over
  FatTreeConfig fat_tree;         // sim backend, topology fat_tree

  std::int64_t gpus() const { return nodes * gpus_per_node; }
  std::int64_t racks() const { return (nodes + nodes_per_rack - 1) / nodes_per_rack; }
  std::int64_t rack_of(std::int64_t node) const { return node / nodes_per_rack; }
};

// Decodes the scenario's `cluster:` mapping: nodes, gpus_per_node, nodes_per_rack, topology,
// storage_servers, fat_tree {levels, oversubscription, racks_per_pod, pod_oversubscription}.
// Throws InputError (located) for unknown keys, out-of-range values, and keys that do not apply
// (fat_tree without topology fat_tree; pod keys without levels 3).
ClusterSpec decode_cluster(const ConfigNode& node);

}  // namespace ckptlab
