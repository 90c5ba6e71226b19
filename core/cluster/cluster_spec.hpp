// The cluster a scenario runs on: how many nodes, GPUs per node, racks (failure domains) and
// the memory each GPU and host offers. Bandwidths live in the HardwareProfile.
#pragma once

#include <cstdint>
#include <string>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct ClusterSpec {
  std::int64_t nodes = 1;
  int gpus_per_node = 8;
  int nodes_per_rack = 32;  // a rack (or leaf switch) is a correlated failure domain
  std::string topology = "star";  // platform shape for the sim backend: star | fat_tree

  std::int64_t gpus() const { return nodes * gpus_per_node; }
  std::int64_t racks() const { return (nodes + nodes_per_rack - 1) / nodes_per_rack; }
  std::int64_t rack_of(std::int64_t node) const { return node / nodes_per_rack; }
};

// Decodes the scenario's `cluster:` mapping: nodes, gpus_per_node, nodes_per_rack, topology.
ClusterSpec decode_cluster(const ConfigNode& node);

}  // namespace ckptlab
