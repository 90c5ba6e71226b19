// validate on a tiny scenario: every policy runs on the host harness with injected failures,
// every recovery is bit-exact, and each metric gets a measured value, a prediction and an error.
#include "hw/validate/validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "hw_test_util.hpp"

namespace ckptlab::hw {
namespace {

// A profile of plausible host figures: the test checks the plumbing, not this machine's speed
// (calibrate_test covers measuring it).
HardwareProfile host_like_profile() {
  const std::string yaml = R"(
name: test-host
gpu_memory: 16 GB
host_memory: 16 GB
pcie_d2h: 4 GB/s
pcie_h2d: 4 GB/s
nvlink: 4 GB/s
nics_per_node: 1
nic_bandwidth: 1 GB/s
local_disk_write: 300 MB/s
local_disk_read: 500 MB/s
storage_write: 300 MB/s
storage_read: 500 MB/s
storage_per_client: 300 MB/s
background_slowdown: 0.1
iteration_time: 10ms
)";
  return decode_hardware(ConfigNode::load_string(yaml, "test profile"));
}

// Six iterations of two 512 KiB ranks, one failure: the shortest run that checkpoints, fails
// and recovers, for the tests of what validate does with its runs.
ValidationOptions two_rank_run(const testing::TestDir& dir) {
  ValidationOptions o;
  o.iterations = 6;
  o.failures = 1;
  o.interval = 3;
  o.harness = {2, Bytes{1 << 20}, 4, 4};
  o.compute = Seconds{0.002};
  o.work_dir = dir.path();
  return o;
}

TEST(Validation, TinyScenarioGivesAnErrorPerMetricAndBitExactRecoveries) {
  testing::TestDir dir;
  const Scenario s =
      load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/tests/hw/data/tiny_validate.yaml", {});
  ValidationOptions o = two_rank_run(dir);  // longer, with four ranks and two failures
  o.iterations = 12;
  o.failures = 2;
  o.harness = {4, Bytes{2 << 20}, 16, 4};  // one expert group per expert, as moc_pec needs
  o.compute = Seconds{0.005};
  const Validation v = validate_on_host(s, host_like_profile(), o);

  ASSERT_EQ(v.policies.size(), 5u);
  EXPECT_NE(v.setup.find("4 of 4 ranks"), std::string::npos) << v.setup;
  EXPECT_EQ(v.bit_mismatches(), 0);
  for (const PolicyValidation& p : v.policies) {
    ASSERT_FALSE(p.skipped.has_value()) << p.label << ": " << *p.skipped;
    ASSERT_EQ(p.runs.size(), 1u) << p.label;
    const HarnessJobResult& measured = p.runs[0].measured;
    EXPECT_TRUE(measured.final_bit_exact) << p.label;
    EXPECT_EQ(measured.iterations, 12) << p.label;
    EXPECT_EQ(measured.recoveries.size(), 2u) << p.label;
    for (const RecoveryRecord& r : measured.recoveries) {
      EXPECT_TRUE(r.bit_exact) << p.label;
      EXPECT_EQ(r.lossy, p.label == "moc_pec") << "partial checkpoints restore older experts";
    }
    std::vector<std::string> names;
    for (const MetricError& m : p.metrics) names.push_back(m.metric);
    EXPECT_EQ(names, (std::vector<std::string>{"checkpoint_stall_s", "background_s",
                                               "recovery_load_s", "background_slowdown", "ettr"}));
    for (const MetricError& m : p.metrics) {
      EXPECT_GE(m.predicted, 0) << p.label << " " << m.metric;
      // in_memory's, moetion's and moc_pec's predicted stall is 0 (their snapshots run beside
      // training) and the measured one is 0 or a timing-dependent wait, so its relative error
      // may be undefined.
      const bool beside = p.label == "in_memory" || p.label == "moetion" || p.label == "moc_pec";
      const bool stall = m.metric == "checkpoint_stall_s" && !beside;
      if (stall || m.metric == "recovery_load_s" || m.metric == "ettr") {
        ASSERT_TRUE(m.error.has_value()) << p.label << " " << m.metric;
        EXPECT_GT(m.measured, 0) << p.label << " " << m.metric;
      }
      // in_memory's snapshot runs beside training (predicted stall 0); the loads always take time.
      if (m.metric == "recovery_load_s" || m.metric == "ettr") {
        EXPECT_GT(m.predicted, 0) << p.label;
      }
    }
    EXPECT_EQ(p.runs[0].predicted.failures, 2)
        << p.label << ": the simulator replays the same failures";
  }
  const auto j = validation_json(v);
  EXPECT_EQ(j["policies"].size(), 5u);
  EXPECT_TRUE(j["policies"][0]["metrics"][0].contains("error"));
  const std::string table = format_validation(v);
  EXPECT_NE(table.find("recovery_load_s"), std::string::npos);
  EXPECT_NE(table.find("bit-exact"), std::string::npos);
  EXPECT_NE(table.find("2 lossy recoveries restored"), std::string::npos) << table;
}

// Repeats: every run is kept, each metric compares the medians over the runs, and every run's
// recoveries count in the bit-mismatch total.
TEST(Validation, RepeatsKeepEveryRunAndCompareMedians) {
  testing::TestDir dir;
  const Scenario s = load_scenario(
      std::string(CKPTLAB_SOURCE_DIR) + "/tests/hw/data/tiny_validate.yaml",
      {"policies=[{name: sync_full, interval_iterations: 3}]"});
  ValidationOptions o = two_rank_run(dir);
  o.repeats = 3;
  int calls = 0;
  const Validation v = validate_on_host(s, ProfileSource([&calls] {
                                          ++calls;
                                          return host_like_profile();
                                        }),
                                        o);
  ASSERT_EQ(v.policies.size(), 1u);
  const PolicyValidation& p = v.policies[0];
  ASSERT_EQ(p.runs.size(), 3u);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(p.bit_mismatches(), 0);
  for (size_t k = 0; k < p.metrics.size(); ++k) {
    std::vector<double> measured;
    for (const PolicyRun& r : p.runs) {
      ASSERT_EQ(r.metrics.size(), p.metrics.size());
      EXPECT_EQ(r.measured.recoveries.size(), 1u);
      if (r.metrics[k].error) measured.push_back(r.metrics[k].measured);
    }
    if (measured.size() != 3) continue;
    std::sort(measured.begin(), measured.end());
    EXPECT_EQ(p.metrics[k].measured, measured[1]) << p.metrics[k].metric;
  }
  EXPECT_EQ(validation_json(v)["policies"][0]["runs"].size(), 3u);
  EXPECT_NE(format_validation(v).find("3 run(s): 3 recoveries (3 bit-exact)"), std::string::npos)
      << format_validation(v);
}

// Without --profile, `ckptlab validate` calibrates just before each policy's run: the source is
// asked once per policy the harness runs, and each policy is predicted with its own profile.
TEST(Validation, AProfileSourceIsAskedOncePerPolicyJustBeforeItsRun) {
  testing::TestDir dir;
  const Scenario s =
      load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/tests/hw/data/tiny_validate.yaml", {});
  ValidationOptions o = two_rank_run(dir);
  int calls = 0;
  const ProfileSource source = [&calls] {
    HardwareProfile p = host_like_profile();
    p.name = "calibration-" + std::to_string(++calls);
    // A slower disk at every call: the predictions must follow the profile of their policy.
    p.storage_write.value /= calls;
    p.storage_per_client.value /= calls;
    return p;
  };
  const Validation v = validate_on_host(s, source, o);
  ASSERT_EQ(v.policies.size(), 5u);
  EXPECT_EQ(calls, 4) << "moc_pec is skipped: 4 expert groups fold its experts";
  ASSERT_TRUE(v.policies[4].skipped.has_value());
  EXPECT_NE(v.policies[4].skipped->find("folds"), std::string::npos) << *v.policies[4].skipped;
  EXPECT_EQ(v.policies[0].runs.at(0).profile, "calibration-1");
  EXPECT_EQ(v.policies[1].runs.at(0).profile, "calibration-2");
  EXPECT_EQ(v.policies[2].runs.at(0).profile, "calibration-3");
  EXPECT_EQ(v.policies[3].runs.at(0).profile, "calibration-4");
  EXPECT_EQ(v.profile, "calibration-1, calibration-2, calibration-3, calibration-4");
  EXPECT_EQ(validation_json(v)["policies"][2]["runs"][0]["profile"], "calibration-3");
  // Each prediction used its own policy's profile: sync_full's persist, predicted again with
  // calibration 3's disk (three times slower), takes longer.
  const Validation slow = validate_on_host(
      s,
      ProfileSource([] {
        HardwareProfile p = host_like_profile();
        p.storage_write.value /= 3;
        p.storage_per_client.value /= 3;
        return p;
      }),
      o);
  ASSERT_EQ(v.policies[0].metrics[0].metric, "checkpoint_stall_s");
  EXPECT_GT(slow.policies[0].metrics[0].predicted, v.policies[0].metrics[0].predicted * 1.5);
}

}  // namespace
}  // namespace ckptlab::hw
