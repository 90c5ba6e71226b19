#include "cluster/hardware_profile.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "util/data_files.hpp"

namespace ckptlab {

std::string HardwareProfile::source_of(const std::string& key) const {
  auto it = sources.find(key);
  return it == sources.end() ? "not cited" : it->second;
}

HardwareProfile decode_hardware(const ConfigNode& node) {
  node.expect_keys({"name", "gpu_memory", "host_memory", "pcie_d2h", "pcie_h2d", "nvlink",
                    "nics_per_node", "nic_bandwidth", "local_disk_write", "local_disk_read",
                    "storage_write", "storage_read", "storage_per_client", "background_slowdown",
                    "background_efficiency", "iteration_time", "peak_flops_per_gpu", "mfu",
                    "sources"});
  HardwareProfile h;
  h.name = node.string_or("name", "inline");
  h.gpu_memory = node["gpu_memory"].as_size();
  h.host_memory = node["host_memory"].as_size();
  h.pcie_d2h = node["pcie_d2h"].as_bandwidth();
  h.pcie_h2d = node["pcie_h2d"].as_bandwidth();
  h.nvlink = node["nvlink"].as_bandwidth();
  h.nics_per_node = static_cast<int>(node["nics_per_node"].as_positive_int());
  h.nic_bandwidth = node["nic_bandwidth"].as_bandwidth();
  h.local_disk_write = node["local_disk_write"].as_bandwidth();
  h.local_disk_read = node["local_disk_read"].as_bandwidth();
  h.storage_write = node["storage_write"].as_bandwidth();
  h.storage_read = node["storage_read"].as_bandwidth();
  h.storage_per_client = node["storage_per_client"].as_bandwidth();
  if (auto n = node.find("background_slowdown")) {
    h.background_slowdown = n->as_double();
    if (h.background_slowdown < 0 || h.background_slowdown > 10) {
      n->fail("expected a fractional slow-down between 0 and 10 (0.03 = 3% longer iterations)");
    }
  }
  if (auto n = node.find("background_efficiency")) {
    h.background_efficiency = n->as_fraction();
    if (h.background_efficiency <= 0) {
      n->fail(
          "expected a fraction in (0, 1]: the speed of background ops beside training over "
          "their speed alone");
    }
  }
  if (h.gpu_memory.value <= 0) node["gpu_memory"].fail("GPU memory must be positive");
  if (h.host_memory.value <= 0) node["host_memory"].fail("host memory must be positive");
  if (auto n = node.find("iteration_time")) {
    h.iteration_time = n->as_duration();
    if (h.iteration_time->value <= 0) n->fail("iteration time must be positive");
  }
  if (auto n = node.find("peak_flops_per_gpu")) {
    try {
      h.peak_flops_per_gpu = static_cast<double>(parse_count(n->as_string()));
    } catch (const std::invalid_argument& e) {
      n->fail(fmt::format("{} (write FLOP/s as a count such as \"989T\")", e.what()));
    }
    if (h.peak_flops_per_gpu <= 0) n->fail("peak FLOP/s must be positive");
  }
  if (auto n = node.find("mfu")) {
    h.mfu = n->as_fraction();
    if (h.mfu <= 0) n->fail("MFU must be above 0");
  }
  if (!h.iteration_time && (h.peak_flops_per_gpu <= 0 || h.mfu <= 0)) {
    node.fail("give either iteration_time, or peak_flops_per_gpu and mfu to derive it");
  }
  if (auto s = node.find("sources")) {
    for (const auto& key : s->keys()) h.sources[key] = (*s)[key].as_string();
  }
  return h;
}

HardwareProfile load_hardware(const ConfigNode& node) {
  if (node.is_map()) return decode_hardware(node);
  std::string path;
  try {
    path = resolve_catalog_entry("scenarios/hardware", node.as_string(), node.file());
  } catch (const std::invalid_argument& e) {
    node.fail(e.what());
  }
  HardwareProfile h = decode_hardware(ConfigNode::load_file(path));
  if (h.name == "inline") h.name = node.as_string();
  return h;
}

}  // namespace ckptlab
