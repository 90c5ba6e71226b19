// Transfer timing on the star platform: bottlenecks, fair sharing and sequential runs.
#include "sim/flow_timer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "sim_test_platform.hpp"

namespace ckptlab::sim {
namespace {

using testing::test_platform_spec;
using testing::test_simulation;

constexpr double kRelTolerance = 1e-6;
constexpr Bytes kTenGB{10'000'000'000};

// Every network route of the star crosses two links (source's and destination's).
double route_latency() { return 2 * test_platform_spec().link_latency.value; }

void expect_close(Seconds actual, double expected) {
  EXPECT_NEAR(actual.value, expected, kRelTolerance * expected);
}

std::vector<Transfer> nodes_to_storage(std::int64_t first, std::int64_t count, Bytes bytes) {
  std::vector<Transfer> transfers;
  for (std::int64_t n = first; n < first + count; ++n)
    transfers.push_back({Endpoint::memory_of(n), Endpoint::storage(), bytes});
  return transfers;
}

TEST(FlowTimer, OneNodeToStorageRunsAtTheSlowestOfNodeLinkClientCapAndAggregate) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  const double bottleneck = std::min(
      {spec.node_link_bandwidth().value, spec.storage_per_client.value, spec.storage_write.value});
  expect_close(simulate_transfers(sim, nodes_to_storage(42, 1, kTenGB)),
               static_cast<double>(kTenGB.value) / bottleneck + route_latency());
}

TEST(FlowTimer, RestoreFromStorageIsAsFastAsPersist) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  const Seconds t =
      simulate_transfers(sim, {{Endpoint::storage(), Endpoint::memory_of(7), kTenGB}});
  expect_close(t,
               static_cast<double>(kTenGB.value) / spec.storage_per_client.value + route_latency());
}

TEST(FlowTimer, ManyWritersShareTheStorageAggregate) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  const std::int64_t writers = spec.nodes;  // a whole-cluster checkpoint
  const Bytes per_node{1'000'000'000};
  const std::vector<Seconds> durations =
      simulate_transfer_durations(sim, nodes_to_storage(0, writers, per_node));
  const double expected =
      static_cast<double>(writers * per_node.value) / spec.storage_write.value + route_latency();
  ASSERT_EQ(durations.size(), static_cast<std::size_t>(writers));
  // Max-min fairness gives every writer the same share, so all finish together.
  for (Seconds d : {durations.front(), durations[writers / 2], durations.back()})
    expect_close(d, expected);
}

TEST(FlowTimer, FewWritersAreLimitedByTheirClientCap) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  // 2 x 40 GB/s is below the 2 TB/s aggregate and the node links: storage is not the
  // bottleneck yet, each client is.
  ASSERT_LT(2 * spec.storage_per_client.value, spec.storage_write.value);
  expect_close(simulate_transfers(sim, nodes_to_storage(100, 2, kTenGB)),
               static_cast<double>(kTenGB.value) / spec.storage_per_client.value + route_latency());
}

TEST(FlowTimer, ANodesStorageStreamsShareItsClientCap) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  // A write and a read of one node at once: both go through its storage client.
  expect_close(
      simulate_transfers(sim, {{Endpoint::memory_of(5), Endpoint::storage(), kTenGB},
                               {Endpoint::storage(), Endpoint::memory_of(5), kTenGB}}),
      2 * static_cast<double>(kTenGB.value) / spec.storage_per_client.value + route_latency());
}

TEST(FlowTimer, PcieCopiesRunAtTheNodesGpuRatesBothWaysAtOnce) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  const double gpus = spec.gpus_per_node;
  // kTenGB is the node's volume: gpus_per_node GPUs of kTenGB / gpus each.
  const std::vector<Seconds> d =
      simulate_transfer_durations(sim, {{Endpoint::gpus_of(2), Endpoint::memory_of(2), kTenGB},
                                        {Endpoint::memory_of(2), Endpoint::gpus_of(2), kTenGB}});
  expect_close(d[0], static_cast<double>(kTenGB.value) / (gpus * spec.pcie_d2h.value));
  expect_close(d[1], static_cast<double>(kTenGB.value) / (gpus * spec.pcie_h2d.value));
}

TEST(FlowTimer, LocalDiskWritesAndReadsAtItsBandwidths) {
  Simulation& sim = test_simulation();
  const PlatformSpec spec = test_platform_spec();
  // Two nodes at once: each disk is its own resource.
  expect_close(simulate_transfers(sim, {{Endpoint::memory_of(0), Endpoint::disk_of(0), kTenGB},
                                        {Endpoint::memory_of(1), Endpoint::disk_of(1), kTenGB}}),
               static_cast<double>(kTenGB.value) / spec.local_disk_write.value);
  expect_close(simulate_transfers(sim, {{Endpoint::disk_of(3), Endpoint::memory_of(3), kTenGB}}),
               static_cast<double>(kTenGB.value) / spec.local_disk_read.value);
}

TEST(FlowTimer, NodeLinksAreFullDuplex) {
  Simulation& sim = test_simulation();
  const double one_way =
      static_cast<double>(kTenGB.value) / test_platform_spec().node_link_bandwidth().value;
  expect_close(simulate_transfers(sim, {{Endpoint::memory_of(0), Endpoint::memory_of(1), kTenGB},
                                        {Endpoint::memory_of(1), Endpoint::memory_of(0), kTenGB}}),
               one_way + route_latency());
  // Two sends out of the same node share its uplink.
  expect_close(simulate_transfers(sim, {{Endpoint::memory_of(0), Endpoint::memory_of(1), kTenGB},
                                        {Endpoint::memory_of(0), Endpoint::memory_of(2), kTenGB}}),
               2 * one_way + route_latency());
}

TEST(FlowTimer, ASharedLinkIsSharedFairlyInBytes) {
  Simulation& sim = test_simulation();
  const double link = test_platform_spec().node_link_bandwidth().value;
  const Bytes small{1'000'000'000};
  // Both leave node 0: the small one gets half the uplink until it is done, then the big one
  // has it all. (Per-task fairness would make both finish at 11 GB / link.)
  const std::vector<Seconds> d =
      simulate_transfer_durations(sim, {{Endpoint::memory_of(0), Endpoint::memory_of(1), small},
                                        {Endpoint::memory_of(0), Endpoint::memory_of(2), kTenGB}});
  ASSERT_EQ(d.size(), 2u);
  expect_close(d[0], 2 * static_cast<double>(small.value) / link + route_latency());
  expect_close(d[1], static_cast<double>(small.value + kTenGB.value) / link + route_latency());
}

TEST(FlowTimer, TheEngineRunsOneSimulationAfterAnother) {
  Simulation& sim = test_simulation();
  const std::vector<Transfer> replica = {{Endpoint::memory_of(9), Endpoint::memory_of(10), kTenGB}};
  const Seconds before = sim.now();
  const Seconds first = simulate_transfers(sim, replica);
  const Seconds second = simulate_transfers(sim, replica);
  EXPECT_DOUBLE_EQ(first.value, second.value);
  EXPECT_NEAR(sim.now().value - before.value, first.value + second.value, 1e-9);
}

TEST(FlowTimer, EmptyAndZeroByteTransfers) {
  Simulation& sim = test_simulation();
  EXPECT_EQ(simulate_transfers(sim, {}).value, 0.0);
  EXPECT_EQ(simulate_transfers(sim, {{Endpoint::memory_of(0), Endpoint::storage(), Bytes{0}},
                                     {Endpoint::memory_of(0), Endpoint::memory_of(1), Bytes{0}},
                                     {Endpoint::memory_of(0), Endpoint::disk_of(0), Bytes{0}}})
                .value,
            0.0);
}

TEST(FlowTimer, UnsupportedTransfersAreRejectedBeforeSimulating) {
  Simulation& sim = test_simulation();
  const Seconds before = sim.now();
  const Transfer ok{Endpoint::memory_of(0), Endpoint::memory_of(1), kTenGB};
  for (const Transfer& bad : {Transfer{Endpoint::disk_of(0), Endpoint::storage(), kTenGB},
                              Transfer{Endpoint::memory_of(0), Endpoint::disk_of(1), kTenGB},
                              Transfer{Endpoint::memory_of(4), Endpoint::memory_of(4), kTenGB},
                              Transfer{Endpoint::storage(), Endpoint::storage(), kTenGB},
                              Transfer{Endpoint::memory_of(0), Endpoint::storage(), Bytes{-1}}})
    EXPECT_THROW(simulate_transfers(sim, {ok, bad}), std::invalid_argument);
  EXPECT_THROW(
      simulate_transfers(sim, {{Endpoint::memory_of(10'240), Endpoint::storage(), kTenGB}}),
      std::out_of_range);
  // Nothing ran, and nothing was left behind to disturb the next simulation.
  EXPECT_EQ(sim.now(), before);
  expect_close(
      simulate_transfers(sim, {ok}),
      static_cast<double>(kTenGB.value) / test_platform_spec().node_link_bandwidth().value +
          route_latency());
}

}  // namespace
}  // namespace ckptlab::sim
