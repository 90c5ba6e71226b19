// libFuzzer target: the hardware-profile decoder (core/cluster/hardware_profile.hpp), the reader
// of scenarios/hardware/*.yaml and of calibration results written in that format. Input: the
// text of a profile. Any input either decodes into a profile with positive memories and
// bandwidths, or throws InputError; anything else is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cluster/hardware_profile.hpp"
#include "util/config_node.hpp"
#include "util/input_error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ckptlab::HardwareProfile h;
  try {
    h = ckptlab::decode_hardware(ckptlab::ConfigNode::load_string(text, "fuzz-hardware.yaml"));
  } catch (const ckptlab::InputError&) {
    return 0;
  }
  // The executors divide by these; the decoder promises they are positive and finite.
  for (const ckptlab::BytesPerSecond b :
       {h.pcie_d2h, h.pcie_h2d, h.nvlink, h.nic_bandwidth, h.local_disk_write, h.local_disk_read,
        h.storage_write, h.storage_read, h.storage_per_client}) {
    if (!(b.value > 0) || !std::isfinite(b.value)) std::abort();
  }
  if (h.gpu_memory.value <= 0 || h.host_memory.value <= 0 || h.nics_per_node < 1) std::abort();
  if (h.iteration_time ? !(h.iteration_time->value > 0)
                       : !(h.peak_flops_per_gpu > 0 && h.mfu > 0 && h.mfu <= 1)) {
    std::abort();
  }
  return 0;
}
