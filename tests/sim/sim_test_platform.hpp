// The one platform every test in sim_tests runs on. SimGrid 3.32 allows one engine (and so one
// platform) per process, and all tests of a GoogleTest binary share the process when the binary
// runs directly: every sim test must build exactly this spec, or run a smaller cluster on a
// prefix of it (SimGridExecutor's Simulation& constructor). A test that needs another platform
// (the fat-tree) runs in a child process of its own: see in_own_process() below.
#pragma once

#include <gtest/gtest.h>

#include "cluster/hardware_profile.hpp"
#include "sim/platform.hpp"

namespace ckptlab::sim::testing {

// A 10,240-node H100 cluster in the shape of DESIGN.md section 7: 8 x 400 Gb/s NICs per node
// (Llama 3), PCIe Gen5 copy rates measured with nvbandwidth, Gen5 NVMe (6.6 GB/s write,
// 13 GB/s read), a 2 TB/s storage tier (Llama 3's Tectonic) served by 16 servers with a 40 GB/s
// client cap per node (DGX SuperPOD), 1 us per link, 32 nodes per rack, star network.
inline PlatformSpec test_platform_spec() {
  PlatformSpec spec;
  spec.nodes = 10'240;
  spec.gpus_per_node = 8;
  spec.nics_per_node = 8;
  spec.nic_bandwidth = {50e9};
  spec.pcie_d2h = {52.8e9};
  spec.pcie_h2d = {35.2e9};
  spec.local_disk_write = {6.6e9};
  spec.local_disk_read = {13e9};
  spec.storage_write = {2e12};
  spec.storage_read = {2e12};
  spec.storage_per_client = {40e9};
  spec.storage_servers = 16;
  spec.link_latency = {1e-6};
  spec.nodes_per_rack = 32;
  return spec;
}

inline Simulation& test_simulation() { return Simulation::build(test_platform_spec()); }

// A hardware profile with the test platform's bandwidths, for the analytic executor that the sim
// results are compared with.
inline HardwareProfile test_hardware() {
  const PlatformSpec p = test_platform_spec();
  HardwareProfile h;
  h.name = "sim-test";
  h.gpu_memory = {80'000'000'000};
  h.host_memory = {2'000'000'000'000};
  h.pcie_d2h = p.pcie_d2h;
  h.pcie_h2d = p.pcie_h2d;
  h.nvlink = {380e9};
  h.nics_per_node = p.nics_per_node;
  h.nic_bandwidth = p.nic_bandwidth;
  h.local_disk_write = p.local_disk_write;
  h.local_disk_read = p.local_disk_read;
  h.storage_write = p.storage_write;
  h.storage_read = p.storage_read;
  h.storage_per_client = p.storage_per_client;
  h.background_slowdown = 0.03;
  h.iteration_time = Seconds{5.0};
  return h;
}

// Runs `body` in a fresh child process (GoogleTest's threadsafe death-test style re-executes
// the test binary for just this test), so that it can build a platform other than the shared
// one. `body` reports failure by returning false after printing why to stderr; the expectation
// fails in the parent with that output.
template <class Body>
void in_own_process(Body body) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(body() ? 0 : 1), ::testing::ExitedWithCode(0), "");
}

}  // namespace ckptlab::sim::testing
