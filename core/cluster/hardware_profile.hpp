// The hardware a scenario runs on, as numbers the executors turn into durations: memories,
// copy and network bandwidths, storage, and how fast training iterates.
//
// Every value comes from a profile file (scenarios/hardware/*.yaml) whose `sources:` mapping
// cites where each number comes from (datasheet, paper, or a measured calibration with GPU,
// driver and date); summary.json repeats those citations next to the figures they produce.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct HardwareProfile {
  std::string name;
  Bytes gpu_memory;
  Bytes host_memory;              // per node
  BytesPerSecond pcie_d2h;        // GPU -> pinned host memory, per GPU
  BytesPerSecond pcie_h2d;        // pinned host memory -> GPU, per GPU
  BytesPerSecond nvlink;          // GPU <-> GPU inside a node, one direction
  int nics_per_node = 8;
  BytesPerSecond nic_bandwidth;   // per NIC, one direction
  BytesPerSecond local_disk_write;
  BytesPerSecond local_disk_read;
  BytesPerSecond storage_write;   // shared storage, aggregate over all clients
  BytesPerSecond storage_read;
  BytesPerSecond storage_per_client;  // cap for one node's stream to shared storage
  double background_slowdown = 0.0;   // fractional slow-down of training while checkpoint
                                      // traffic runs beside it (0.03 = iterations 3% longer)
  // The other side of that interference: background checkpoint ops (those training does not
  // wait for) run at this fraction of their speed alone while training computes beside them
  // (1: no interference, what profiles without a measurement assume; `ckptlab calibrate`
  // measures it on the host).
  double background_efficiency = 1.0;
  // Iteration time: either given (measured) or derived from FLOPs:
  //   t_iter = tokens_per_iteration * flops_per_token / (gpus * peak_flops * mfu)
  std::optional<Seconds> iteration_time;
  double peak_flops_per_gpu = 0;  // dense bf16 FLOP/s
  double mfu = 0;                 // model FLOPs utilisation, (0, 1]

  std::map<std::string, std::string> sources;  // key -> citation, in file order is not kept

  BytesPerSecond node_network() const { return {nic_bandwidth.value * nics_per_node}; }
  // The citation for `key`, or "not cited" so that a missing source is visible, not hidden.
  std::string source_of(const std::string& key) const;
};

// Decodes a hardware mapping (the content of scenarios/hardware/*.yaml).
HardwareProfile decode_hardware(const ConfigNode& node);
// A catalog name (looked up in scenarios/hardware/), a path, or an inline mapping.
HardwareProfile load_hardware(const ConfigNode& node);

}  // namespace ckptlab
