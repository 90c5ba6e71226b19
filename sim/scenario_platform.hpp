// The platform a scenario describes: its `cluster` section (shape, racks, storage servers) and
// its hardware profile (bandwidths) become one PlatformSpec.
#pragma once

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "platform.hpp"

namespace ckptlab::sim {

// Field by field: nodes, gpus_per_node, nodes_per_rack, storage_servers and the fat-tree from
// `cluster`; NICs, PCIe, local disk and storage bandwidths (aggregate write/read and the
// per-client cap) from `hardware`. Link latency is 0: the profile has no latency (the analytic
// backend has none either), and checkpoint transfers of megabytes to terabytes are
// bandwidth-bound. Throws std::invalid_argument naming the field when the result is invalid
// (validate()), e.g. a profile without storage bandwidth.
PlatformSpec platform_spec_for(const ClusterSpec& cluster, const HardwareProfile& hardware);

}  // namespace ckptlab::sim
