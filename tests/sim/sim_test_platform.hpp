// The one platform every test in sim_tests runs on. SimGrid 3.32 allows one engine (and so one
// platform) per process, and all tests of a GoogleTest binary share the process: every sim test
// must build exactly this spec. A test needing another platform belongs in another binary.
#pragma once

#include "sim/platform.hpp"

namespace ckptlab::sim::testing {

// A 10,240-node H100 cluster in the shape of DESIGN.md section 7: 8 x 400 Gb/s NICs per node
// (Llama 3), PCIe Gen5 copy rates measured with nvbandwidth, Gen5 NVMe (6.6 GB/s write,
// 13 GB/s read), a 2 TB/s storage tier (Llama 3's Tectonic) served by 16 servers, 1 us per link.
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
  spec.storage_aggregate = {2e12};
  spec.storage_servers = 16;
  spec.link_latency = {1e-6};
  return spec;
}

inline Simulation& test_simulation() { return Simulation::build(test_platform_spec()); }

}  // namespace ckptlab::sim::testing
