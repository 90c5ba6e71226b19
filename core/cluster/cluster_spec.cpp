#include "cluster/cluster_spec.hpp"

#include <fmt/format.h>

#include <cmath>

namespace ckptlab {

namespace {

double decode_ratio(const ConfigNode& n) {
  const double r = n.as_double();
  if (!std::isfinite(r) || r < 1.0)
    n.fail(fmt::format("expected an oversubscription ratio >= 1 (4 means 4:1), got {}", r));
  return r;
}

FatTreeConfig decode_fat_tree(const ConfigNode& node) {
  node.expect_keys({"levels", "oversubscription", "racks_per_pod", "pod_oversubscription"});
  FatTreeConfig f;
  if (auto n = node.find("levels")) {
    f.levels = static_cast<int>(n->as_int());
    if (f.levels != 2 && f.levels != 3)
      n->fail(fmt::format("expected 2 (leaf + spine) or 3 (leaf + pod spine + core), got {}",
                          f.levels));
  }
  if (auto n = node.find("oversubscription")) f.oversubscription = decode_ratio(*n);
  if (f.levels == 3) {
    f.racks_per_pod = static_cast<int>(node["racks_per_pod"].as_positive_int());
    if (auto n = node.find("pod_oversubscription")) f.pod_oversubscription = decode_ratio(*n);
  } else {
    for (const char* key : {"racks_per_pod", "pod_oversubscription"})
      if (auto n = node.find(key)) n->fail("applies to a fat-tree with levels: 3 only");
  }
  return f;
}

}  // namespace

ClusterSpec decode_cluster(const ConfigNode& node) {
  node.expect_keys(
      {"nodes", "gpus_per_node", "nodes_per_rack", "topology", "storage_servers", "fat_tree"});
  ClusterSpec c;
  c.nodes = node["nodes"].as_positive_int();
  if (auto n = node.find("gpus_per_node")) c.gpus_per_node = static_cast<int>(n->as_positive_int());
  if (auto n = node.find("nodes_per_rack"))
    c.nodes_per_rack = static_cast<int>(n->as_positive_int());
  if (auto n = node.find("topology")) {
    c.topology = n->as_string();
    if (c.topology != "star" && c.topology != "fat_tree") {
      n->fail(fmt::format("unknown topology \"{}\"; expected star or fat_tree", c.topology));
    }
  }
  if (auto n = node.find("storage_servers")) {
    c.storage_servers = static_cast<int>(n->as_positive_int());
    if (c.storage_servers > 4096) n->fail("more than 4,096 storage servers");
  }
  if (auto n = node.find("fat_tree")) {
    if (c.topology != "fat_tree") n->fail("applies to topology: fat_tree only");
    c.fat_tree = decode_fat_tree(*n);
  }
  if (c.nodes > 1'000'000)
    node["nodes"].fail("more than 1,000,000 nodes is not a cluster ckptlab models");
  if (c.gpus_per_node > 64) node["gpus_per_node"].fail("more than 64 GPUs per node");
  return c;
}

}  // namespace ckptlab
