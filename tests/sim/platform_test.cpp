// The star platform: what SimGrid holds after Simulation::build, and the one-engine rule.
#include "sim/platform.hpp"

#include <gtest/gtest.h>

#include <simgrid/s4u.hpp>
#include <stdexcept>
#include <vector>

#include "sim_test_platform.hpp"

namespace ckptlab::sim {
namespace {

namespace sg4 = simgrid::s4u;
using testing::test_platform_spec;
using testing::test_simulation;

TEST(Platform, BuildsOneHostPerNodePlusStorageServers) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  EXPECT_EQ(sim.engine().get_host_count(),
            static_cast<std::size_t>(spec.nodes + spec.storage_servers));
  EXPECT_EQ(sim.node_host(0)->get_name(), "node-0");
  EXPECT_EQ(sim.node_host(spec.nodes - 1)->get_name(), "node-10239");
  ASSERT_EQ(sim.storage_hosts().size(), static_cast<std::size_t>(spec.storage_servers));
  EXPECT_EQ(sim.storage_hosts()[0]->get_name(), "storage-0");
  EXPECT_THROW(sim.node_host(spec.nodes), std::out_of_range);
  EXPECT_THROW(sim.node_disk(-1), std::out_of_range);
}

TEST(Platform, EveryNodeHasALocalDiskAndItsGpusPcie) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  for (std::int64_t node : {std::int64_t{0}, std::int64_t{5'000}, spec.nodes - 1}) {
    const std::vector<sg4::Disk*> disks = sim.node_host(node)->get_disks();
    ASSERT_EQ(disks.size(), 2u);
    EXPECT_EQ(disks[0], sim.node_disk(node));
    EXPECT_EQ(disks[1], sim.node_pcie(node));
    EXPECT_DOUBLE_EQ(disks[0]->get_write_bandwidth(), spec.local_disk_write.value);
    EXPECT_DOUBLE_EQ(disks[0]->get_read_bandwidth(), spec.local_disk_read.value);
    // GPU -> host reads the PCIe resource, host -> GPU writes it; all GPUs of the node together.
    EXPECT_DOUBLE_EQ(disks[1]->get_read_bandwidth(), spec.gpus_per_node * spec.pcie_d2h.value);
    EXPECT_DOUBLE_EQ(disks[1]->get_write_bandwidth(), spec.gpus_per_node * spec.pcie_h2d.value);
  }
}

TEST(Platform, ANodesCpuIsItsStorageClientCap) {
  Simulation& sim = test_simulation();
  EXPECT_DOUBLE_EQ(sim.node_host(17)->get_speed(), test_platform_spec().storage_per_client.value);
  EXPECT_EQ(sim.node_host(17)->get_core_count(), 1);
}

TEST(Platform, RoutesCrossTheTwoEndpointLinks) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  std::vector<sg4::Link*> links;
  double latency = 0.0;
  sim.node_host(3)->route_to(sim.storage_hosts()[7], links, &latency);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_DOUBLE_EQ(links[0]->get_bandwidth(), spec.node_link_bandwidth().value);
  EXPECT_EQ(links[1]->get_name(), "storage-7-write");
  EXPECT_DOUBLE_EQ(links[1]->get_bandwidth(), spec.storage_server_write().value);
  EXPECT_DOUBLE_EQ(latency, 2 * spec.link_latency.value);
  // Reads come back over the server's read link.
  links.clear();
  sim.storage_hosts()[7]->route_to(sim.node_host(3), links, &latency);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0]->get_name(), "storage-7-read");
}

TEST(Platform, StorageServerLinksAddUpToTheAggregate) {
  Simulation& sim = test_simulation();
  double total = 0.0;
  for (sg4::Host* server : sim.storage_hosts()) {
    std::vector<sg4::Link*> links;
    double latency = 0.0;
    sim.node_host(0)->route_to(server, links, &latency);
    total += links.back()->get_bandwidth();
  }
  EXPECT_NEAR(total, test_platform_spec().storage_write.value, 1e-9 * total);
}

TEST(Platform, BuildingTheSameSpecAgainReturnsTheSameSimulation) {
  Simulation& first = test_simulation();
  EXPECT_EQ(&Simulation::build(test_platform_spec()), &first);
  EXPECT_EQ(&Simulation::get(), &first);
  EXPECT_TRUE(Simulation::is_built());
}

TEST(Platform, ASmallerClusterOfTheSameShapeRunsOnTheBuiltPlatform) {
  Simulation& built = test_simulation();
  PlatformSpec smaller = test_platform_spec();
  smaller.nodes = 16;
  EXPECT_TRUE(runs_on(built.spec(), smaller));
  EXPECT_FALSE(runs_on(smaller, built.spec()));
  EXPECT_EQ(&Simulation::build(smaller), &built);
}

TEST(Platform, ASecondDifferentPlatformIsRefused) {
  test_simulation();
  PlatformSpec other = test_platform_spec();
  other.nodes_per_rack = 16;
  EXPECT_THROW(Simulation::build(other), std::logic_error);
  other = test_platform_spec();
  other.topology = Topology::kFatTree;
  EXPECT_THROW(Simulation::build(other), std::logic_error);
  // The refusal leaves the existing platform intact.
  EXPECT_EQ(Simulation::get().spec(), test_platform_spec());
}

TEST(Platform, InvalidSpecsAreRejectedBeforeBuilding) {
  PlatformSpec bad = test_platform_spec();
  bad.nodes = 0;
  EXPECT_THROW(validate(bad), std::invalid_argument);
  bad = test_platform_spec();
  bad.storage_read = {0.0};
  EXPECT_THROW(Simulation::build(bad), std::invalid_argument);
  bad = test_platform_spec();
  bad.link_latency = {-1e-6};
  EXPECT_THROW(validate(bad), std::invalid_argument);
  bad = test_platform_spec();
  bad.topology = Topology::kFatTree;
  bad.fat_tree.oversubscription = 0.5;
  EXPECT_THROW(validate(bad), std::invalid_argument);
  bad.fat_tree.oversubscription = 4;
  bad.fat_tree.levels = 4;
  EXPECT_THROW(validate(bad), std::invalid_argument);
  EXPECT_NO_THROW(validate(test_platform_spec()));
}

}  // namespace
}  // namespace ckptlab::sim
