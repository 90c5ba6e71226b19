#include "scenario_platform.hpp"

namespace ckptlab::sim {

PlatformSpec platform_spec_for(const ClusterSpec& cluster, const HardwareProfile& hardware) {
  PlatformSpec spec;
  spec.nodes = cluster.nodes;
  spec.gpus_per_node = cluster.gpus_per_node;
  spec.nodes_per_rack = cluster.nodes_per_rack;
  spec.storage_servers = cluster.storage_servers;
  spec.topology = cluster.topology == "fat_tree" ? Topology::kFatTree : Topology::kStar;
  if (spec.topology == Topology::kFatTree) {
    spec.fat_tree.levels = cluster.fat_tree.levels;
    spec.fat_tree.oversubscription = cluster.fat_tree.oversubscription;
    spec.fat_tree.racks_per_pod = cluster.fat_tree.racks_per_pod;
    spec.fat_tree.pod_oversubscription = cluster.fat_tree.pod_oversubscription;
  }
  spec.nics_per_node = hardware.nics_per_node;
  spec.nic_bandwidth = hardware.nic_bandwidth;
  spec.pcie_d2h = hardware.pcie_d2h;
  spec.pcie_h2d = hardware.pcie_h2d;
  spec.local_disk_write = hardware.local_disk_write;
  spec.local_disk_read = hardware.local_disk_read;
  spec.storage_write = hardware.storage_write;
  spec.storage_read = hardware.storage_read;
  spec.storage_per_client = hardware.storage_per_client;
  spec.link_latency = Seconds{0};
  validate(spec);
  return spec;
}

}  // namespace ckptlab::sim
