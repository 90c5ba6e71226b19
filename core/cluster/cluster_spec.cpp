#include "cluster/cluster_spec.hpp"

#include <fmt/format.h>

namespace ckptlab {

ClusterSpec decode_cluster(const ConfigNode& node) {
  node.expect_keys({"nodes", "gpus_per_node", "nodes_per_rack", "topology"});
  ClusterSpec c;
  c.nodes = node["nodes"].as_positive_int();
  if (auto n = node.find("gpus_per_node")) c.gpus_per_node = static_cast<int>(n->as_positive_int());
  if (auto n = node.find("nodes_per_rack")) c.nodes_per_rack = static_cast<int>(n->as_positive_int());
  if (auto n = node.find("topology")) {
    c.topology = n->as_string();
    if (c.topology != "star" && c.topology != "fat_tree") {
      n->fail(fmt::format("unknown topology \"{}\"; expected star or fat_tree", c.topology));
    }
  }
  if (c.nodes > 1'000'000) node["nodes"].fail("more than 1,000,000 nodes is not a cluster ckptlab models");
  if (c.gpus_per_node > 64) node["gpus_per_node"].fail("more than 64 GPUs per node");
  return c;
}

}  // namespace ckptlab
