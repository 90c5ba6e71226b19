// Calibration: every path checks its data (no wrong words), the tables have the nccl-tests
// shape, and the profile it writes is one core's decode_hardware accepts, with its sources.
#include "hw/calibrate/calibrate.hpp"

#include <gtest/gtest.h>

#include "cluster/hardware_profile.hpp"
#include "hw_test_util.hpp"
#include "util/config_node.hpp"

namespace ckptlab::hw {
namespace {

TEST(Calibrate, WritesAProfileThatDecodeHardwareAccepts) {
  testing::TestDir dir;
  CalibrationOptions o;
  o.sizes = {64 << 10, 1 << 20};
  o.ranks = 2;
  o.iterations = 2;
  o.dir = dir.path() / "bench";
  o.compute = Seconds{0.01};
  o.slowdown_repeats = 3;
  const Calibration c = calibrate_host(o);

  ASSERT_EQ(c.tables.size(), 5u);
  for (const PathTable& t : c.tables) {
    ASSERT_EQ(t.rows.size(), 2u) << t.name;
    for (const BenchRow& r : t.rows) {
      EXPECT_EQ(r.wrong, 0) << t.name << " at " << r.bytes;
      EXPECT_GT(r.algbw, 0) << t.name;
      EXPECT_DOUBLE_EQ(r.busbw, 2 * r.algbw) << t.name << ": busbw = ranks * algbw";
    }
  }
  ASSERT_EQ(c.slowdown.size(), 2u);
  for (const SlowdownRow& r : c.slowdown) {
    EXPECT_EQ(r.wrong, 0);
    EXPECT_GE(r.cycles, 2);
  }
  const std::string report = c.report();
  EXPECT_NE(report.find("algbw(GB/s)"), std::string::npos);
  EXPECT_NE(report.find("#wrong"), std::string::npos);

  const std::string name = measured_profile_name("host", c.machine);
  EXPECT_EQ(name.rfind("host-", 0), 0u);
  EXPECT_EQ(name.substr(name.size() - 9), "-measured");
  const std::string yaml = profile_yaml(c, name);
  const HardwareProfile h = decode_hardware(ConfigNode::load_string(yaml, "calibration"));
  EXPECT_EQ(h.name, name);
  EXPECT_NEAR(h.pcie_d2h.value, c.table("host_memcpy").largest().algbw, 0.001 * h.pcie_d2h.value);
  EXPECT_NEAR(h.storage_write.value, c.table("storage_write").largest().busbw,
              0.001 * h.storage_write.value);
  ASSERT_TRUE(h.iteration_time.has_value());
  EXPECT_NEAR(h.iteration_time->value, c.compute.value, 1e-5);
  EXPECT_GE(h.background_slowdown, 0);
  // The other side of the interference: the same cycles timed alone and beside the compute.
  ASSERT_FALSE(c.slowdown.empty());
  const SlowdownRow& slow = c.slowdown.back();
  EXPECT_GT(h.background_efficiency, 0);
  EXPECT_LE(h.background_efficiency, 1);
  if (slow.cycle_busy_s > 0) {
    EXPECT_NEAR(h.background_efficiency, slow.efficiency, 1e-4);
  }
  for (const char* key : {"pcie_d2h", "nic_bandwidth", "storage_write", "background_slowdown",
                          "background_efficiency", "iteration_time", "gpu_memory"}) {
    EXPECT_NE(h.source_of(key).find("measured by ckptlab calibrate on " + c.machine),
              std::string::npos)
        << key << ": " << h.source_of(key);
  }
}

TEST(Calibrate, ProfileNamesAreFileNameSafe) {
  EXPECT_EQ(measured_profile_name("host", "AMD EPYC 7B13 64-Core Processor"),
            "host-amd-epyc-7b13-64-core-processor-measured");
  EXPECT_EQ(measured_profile_name("cuda", "NVIDIA H200"), "cuda-nvidia-h200-measured");
  EXPECT_EQ(measured_profile_name("host", "(?)"), "host-unknown-measured");
}

}  // namespace
}  // namespace ckptlab::hw
