// From a scenario's cluster section and hardware profile to the platform the sim builds.
#include "sim/scenario_platform.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sim_test_platform.hpp"
#include "util/input_error.hpp"

namespace ckptlab::sim {
namespace {

ClusterSpec cluster_from(const std::string& yaml) {
  return decode_cluster(ConfigNode::load_string(yaml, "cluster.yaml"));
}

TEST(ScenarioPlatform, AStarClusterTakesItsBandwidthsFromTheProfile) {
  const ClusterSpec c = cluster_from("{nodes: 64, nodes_per_rack: 16, storage_servers: 4}");
  const PlatformSpec p = platform_spec_for(c, testing::test_hardware());
  EXPECT_EQ(p.nodes, 64);
  EXPECT_EQ(p.nodes_per_rack, 16);
  EXPECT_EQ(p.storage_servers, 4);
  EXPECT_EQ(p.topology, Topology::kStar);
  EXPECT_EQ(p.link_latency.value, 0.0);
  // The profile's bandwidths are the test platform's, so only size, racks, servers, latency
  // differ from it.
  PlatformSpec expected = testing::test_platform_spec();
  expected.nodes = 64;
  expected.nodes_per_rack = 16;
  expected.storage_servers = 4;
  expected.link_latency = Seconds{0};
  EXPECT_EQ(p, expected);
}

TEST(ScenarioPlatform, FatTreeKeysBecomeThePlatformsShape) {
  const ClusterSpec c = cluster_from(
      "{nodes: 10240, topology: fat_tree, fat_tree: {levels: 3, oversubscription: 4, "
      "racks_per_pod: 16, pod_oversubscription: 2}}");
  const PlatformSpec p = platform_spec_for(c, testing::test_hardware());
  EXPECT_EQ(p.topology, Topology::kFatTree);
  EXPECT_EQ(p.fat_tree.levels, 3);
  EXPECT_EQ(p.fat_tree.oversubscription, 4);
  EXPECT_EQ(p.fat_tree.racks_per_pod, 16);
  EXPECT_EQ(p.fat_tree.pod_oversubscription, 2);
  // 32 nodes x 400 GB/s / 4 per rack; 16 such uplinks / 2 per pod.
  EXPECT_DOUBLE_EQ(p.rack_uplink_bandwidth().value, 3.2e12);
  EXPECT_DOUBLE_EQ(p.pod_uplink_bandwidth().value, 25.6e12);
  const ClusterSpec two = cluster_from("{nodes: 64, topology: fat_tree}");
  EXPECT_EQ(two.fat_tree.levels, 2);
  EXPECT_EQ(two.fat_tree.oversubscription, 1.0);
}

TEST(ScenarioPlatform, FatTreeKeysThatDoNotApplyAreErrors) {
  for (const char* bad : {
           "{nodes: 64, fat_tree: {oversubscription: 2}}",  // star
           "{nodes: 64, topology: fat_tree, fat_tree: {oversubscription: 0.5}}",
           "{nodes: 64, topology: fat_tree, fat_tree: {levels: 4}}",
           "{nodes: 64, topology: fat_tree, fat_tree: {racks_per_pod: 2}}",  // levels 2
           "{nodes: 64, topology: fat_tree, fat_tree: {levels: 3}}",  // racks_per_pod missing
           "{nodes: 64, topology: fat_tree, fat_tree: {oversubscriptoin: 2}}",
           "{nodes: 64, storage_servers: 0}",
       }) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(cluster_from(bad), InputError);
  }
}

}  // namespace
}  // namespace ckptlab::sim
