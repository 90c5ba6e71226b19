// Builds the SimGrid zones of a PlatformSpec (star or fat-tree, see platform.hpp for the shapes
// and why). Internal to sim/: Simulation calls it once, right after creating the engine.
#pragma once

#include <simgrid/forward.h>

#include <vector>

#include "platform.hpp"

namespace ckptlab::sim {

struct BuiltPlatform {
  std::vector<simgrid::s4u::Host*> node_hosts;  // index = node
  std::vector<simgrid::s4u::Disk*> node_disks;  // NVMe, index = node
  std::vector<simgrid::s4u::Disk*> node_pcies;  // PCIe copy engines, index = node
  std::vector<simgrid::s4u::Host*> storage_hosts;
};

// Creates and seals the platform's zones in the current engine. REQUIRES: validate(spec)
// passed; the engine exists, its model options are set and no zone was created yet.
BuiltPlatform build_platform(const PlatformSpec& spec);

}  // namespace ckptlab::sim
