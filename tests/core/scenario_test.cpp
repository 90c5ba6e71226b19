// load_scenario: the shipped default scenario loads with the documented figures, --set
// overrides change its hash, and every kind of bad scenario is an InputError naming the file,
// the line and the key, before anything runs.
#include "scenario/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "exec/analytic_executor.hpp"
#include "run/run_scenario.hpp"
#include "util/input_error.hpp"

namespace ckptlab {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const std::string kDefaultScenario = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/default.yaml";
const std::string kHardwareProfile =
    std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/hardware/h100-ib-ndr.yaml";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 1-based line of the first occurrence of `needle` in `text`; 0 when absent.
int line_of(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return 0;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ckptlab_scenario_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    default_text_ = read_file(kDefaultScenario);
    ASSERT_FALSE(default_text_.empty());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `text` to <temp dir>/<name> and returns the path.
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // The default scenario with `from` replaced by `to` (which must occur).
  std::string default_with(const std::string& from, const std::string& to) {
    std::string text = default_text_;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "default.yaml has no \"" << from << "\"";
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }

  // Loads the scenario and builds its policies (as `ckptlab run` does before anything runs);
  // returns the InputError, failing the test when none is thrown.
  InputError load_error(const std::string& path) {
    try {
      const Scenario s = load_scenario(path, {});
      AnalyticExecutor executor(s.cluster, s.hardware);
      build_policies(s, executor);
    } catch (const InputError& e) {
      return e;
    }
    ADD_FAILURE() << "scenario " << path << " was accepted";
    return InputError("", 0, 0, "", "");
  }

  fs::path dir_;
  std::string default_text_;
};

TEST_F(ScenarioTest, DefaultScenarioLoadsWithItsDocumentedShape) {
  const Scenario s = load_scenario(kDefaultScenario, {});
  EXPECT_EQ(s.name, "default");
  EXPECT_EQ(s.file, kDefaultScenario);
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.backend, "sim");
  EXPECT_EQ(s.model.name, "deepseek-v3");
  EXPECT_EQ(s.cluster.nodes, 1024);
  EXPECT_EQ(s.cluster.gpus(), 8192);
  EXPECT_EQ(s.parallel.pp, 16);
  EXPECT_EQ(s.parallel.ep, 64);
  EXPECT_EQ(s.parallel.dp, 512);
  EXPECT_EQ(s.hardware.name, "h100-ib-ndr");
  ASSERT_EQ(s.policies.size(), 6u);
  EXPECT_EQ(s.policies[0].label, "sync_full@30m");
  EXPECT_EQ(s.policies[1].label, "sync_full@daly");
  EXPECT_EQ(s.policies[2].label, "async_two_level");  // no label: the name
  EXPECT_DOUBLE_EQ(s.horizon.value, 7 * 86400.0);
  ASSERT_NE(s.shards, nullptr);
  EXPECT_EQ(s.shards->world(), 8192);
}

TEST_F(ScenarioTest, DefaultIterationTimeComesFromTheFlopsFormula) {
  const Scenario s = load_scenario(kDefaultScenario, {});
  ASSERT_FALSE(s.hardware.iteration_time.has_value());
  const double expected = 62914560.0 * s.model.flops_per_token() / (8192 * 989e12 * 0.40);
  EXPECT_DOUBLE_EQ(s.iteration_time.value, expected);
  EXPECT_NEAR(s.iteration_time.value, 4.374, 0.001);
  EXPECT_THAT(s.iteration_time_source, HasSubstr("formula"));
}

TEST_F(ScenarioTest, GivenIterationTimeIsUsedAsIs) {
  const Scenario s = load_scenario(kDefaultScenario, {"hardware=" + kHardwareProfile});
  EXPECT_DOUBLE_EQ(s.iteration_time.value,
                   load_scenario(kDefaultScenario, {}).iteration_time.value);
  write("hw.yaml", read_file(kHardwareProfile) + "iteration_time: 3.5s\n");
  const Scenario given = load_scenario(
      write("s.yaml", default_with("hardware: h100-ib-ndr", "hardware: hw.yaml")), {});
  EXPECT_DOUBLE_EQ(given.iteration_time.value, 3.5);
  EXPECT_THAT(given.iteration_time_source, HasSubstr("iteration_time"));
}

TEST_F(ScenarioTest, HashIsSixteenHexDigitsStableAndChangesWithAnOverride) {
  const Scenario a = load_scenario(kDefaultScenario, {});
  const Scenario b = load_scenario(kDefaultScenario, {});
  const Scenario c = load_scenario(kDefaultScenario, {"horizon=1d"});
  EXPECT_THAT(a.hash, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.canonical_yaml, b.canonical_yaml);
  EXPECT_NE(a.hash, c.hash);
  EXPECT_DOUBLE_EQ(c.horizon.value, 86400.0);
  EXPECT_THAT(c.canonical_yaml, HasSubstr("horizon: 1d"));
}

TEST_F(ScenarioTest, OverridesReachNestedKeysAndListElements) {
  const Scenario s = load_scenario(
      kDefaultScenario, {"seed=7", "cluster.nodes_per_rack=16", "policies[0].label=fixed"});
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.cluster.nodes_per_rack, 16);
  EXPECT_EQ(s.policies[0].label, "fixed");
}

TEST_F(ScenarioTest, DefaultPoliciesBuild) {
  const Scenario s = load_scenario(kDefaultScenario, {});
  AnalyticExecutor executor(s.cluster, s.hardware);
  const auto policies = build_policies(s, executor);
  ASSERT_EQ(policies.size(), 6u);
  EXPECT_EQ(policies[0]->kind(), "sync_full");
  EXPECT_EQ(policies[2]->kind(), "async_two_level");
  EXPECT_EQ(policies[3]->kind(), "in_memory");
  EXPECT_EQ(policies[4]->kind(), "moetion");
  EXPECT_EQ(policies[5]->kind(), "moc_pec");
  EXPECT_EQ(policies[0]->checkpoint_bytes().value, s.model.total_params() * 14);
}

// A Scenario is movable; its ShardMap must describe the moved scenario's model, not the one it
// was moved from.
TEST_F(ScenarioTest, MovedScenarioShardMapStillDescribesItsModel) {
  Scenario original = load_scenario(kDefaultScenario, {});
  const std::int64_t total = original.model.total_params();
  Scenario moved = std::move(original);
  EXPECT_EQ(moved.model.total_params(), total);
  EXPECT_EQ(moved.shards->unique_state().weights.value, moved.model.total_params() * 2);
}

TEST_F(ScenarioTest, UnknownTopLevelKeySuggestsTheClosest) {
  const std::string text = default_with("horizon: 7d", "horizn: 7d");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), line_of(text, "horizn:"));
  EXPECT_EQ(e.column(), 1);
  EXPECT_EQ(e.key_path(), "horizn");
  EXPECT_THAT(e.message(), HasSubstr("did you mean 'horizon'?"));
}

TEST_F(ScenarioTest, UnknownKeyFromAnOverrideSaysItCameFromSet) {
  try {
    load_scenario(kDefaultScenario, {"horizn=1d"});
    FAIL() << "unknown key accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key_path(), "horizn");
    EXPECT_THAT(e.message(), AllOf(HasSubstr("did you mean 'horizon'?"), HasSubstr("--set")));
  }
}

TEST_F(ScenarioTest, UnknownPolicyNameSuggestsTheClosest) {
  const std::string text = default_with("{name: sync_full, label: sync_full@daly",
                                        "{name: sync_ful, label: sync_full@daly");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), line_of(text, "sync_ful,"));
  EXPECT_EQ(e.key_path(), "policies[1].name");
  EXPECT_THAT(e.message(), AllOf(HasSubstr("unknown policy \"sync_ful\""),
                                 HasSubstr("did you mean 'sync_full'?")));
}

TEST_F(ScenarioTest, UnknownPolicyParameterSuggestsTheClosest) {
  const std::string text = default_with("interval: checkfreq}", "intervl: checkfreq}");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), line_of(text, "intervl"));
  EXPECT_EQ(e.key_path(), "policies[2].intervl");
  EXPECT_THAT(e.message(), HasSubstr("did you mean 'interval'?"));
}

TEST_F(ScenarioTest, DuplicatePolicyLabelsAreRejectedAtTheSecondPolicy) {
  const std::string text = default_with("label: sync_full@daly", "label: sync_full@30m");
  const std::string path = write("s.yaml", text);
  try {
    load_scenario(path, {});
    FAIL() << "duplicate labels accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(),
              line_of(text, "  - {name: sync_full, label: sync_full@30m, interval: daly"));
    EXPECT_EQ(e.key_path(), "policies[1]");
    EXPECT_THAT(e.message(), HasSubstr("two policies are labelled \"sync_full@30m\""));
  }
}

TEST_F(ScenarioTest, MissingHorizonNamesTheKey) {
  const std::string path = write("s.yaml", default_with("horizon: 7d\n", ""));
  try {
    load_scenario(path, {});
    FAIL() << "scenario without horizon accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.key_path(), "horizon");
    EXPECT_GT(e.line(), 0);  // the scenario mapping that lacks it
    EXPECT_THAT(e.message(), HasSubstr("missing required key"));
  }
}

TEST_F(ScenarioTest, UnknownUnitIsLocatedAtItsValue) {
  const std::string text = default_with("spare_swap: 5m", "spare_swap: 30 parsecs");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), line_of(text, "30 parsecs"));
  EXPECT_EQ(e.column(), 15);
  EXPECT_EQ(e.key_path(), "restart.spare_swap");
  EXPECT_THAT(e.message(),
              AllOf(HasSubstr("unknown unit \"parsecs\""), HasSubstr("expected a duration")));
}

TEST_F(ScenarioTest, ModelThatDoesNotFitGpuMemoryIsRejected) {
  const std::string text = default_with("  ep: 64\n", "  ep: 1\n");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.key_path(), "parallel");
  EXPECT_GT(e.line(), line_of(text, "parallel:"));
  EXPECT_LT(e.line(), line_of(text, "cluster:"));
  EXPECT_THAT(e.message(), AllOf(HasSubstr("exceeds GPU memory"), HasSubstr("80.00 GB")));
}

TEST_F(ScenarioTest, ParallelDegreesThatDoNotDivideTheClusterAreRejected) {
  const std::string text = default_with("  pp: 16\n", "  pp: 7\n");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.key_path(), "parallel");
  EXPECT_GT(e.line(), line_of(text, "parallel:"));
  EXPECT_THAT(e.message(), AllOf(HasSubstr("= 7"), HasSubstr("8192 GPUs")));
}

TEST_F(ScenarioTest, DpThatDisagreesWithTheClusterIsLocatedAtDp) {
  const std::string text = default_with("  ep: 64\n", "  ep: 64\n  dp: 256\n");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.key_path(), "parallel.dp");
  EXPECT_EQ(e.line(), line_of(text, "  dp: 256"));
  EXPECT_THAT(e.message(), AllOf(HasSubstr("256"), HasSubstr("dp must be 512")));
}

TEST_F(ScenarioTest, UnknownCatalogModelListsTheKnownNames) {
  const std::string text = default_with("model: deepseek-v3", "model: deepseek-v4");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), line_of(text, "model: deepseek-v4"));
  EXPECT_EQ(e.key_path(), "model");
  EXPECT_THAT(e.message(),
              AllOf(HasSubstr("\"deepseek-v4\""), HasSubstr("known:"), HasSubstr("deepseek-v3"),
                    HasSubstr("mixtral-8x7b"), HasSubstr("llama-3-70b")));
}

TEST_F(ScenarioTest, HardwareProfileMissingAKeyIsReportedInTheHardwareFile) {
  std::string hw = read_file(kHardwareProfile);
  const size_t at = hw.find("nvlink: 380 GB/s\n");
  ASSERT_NE(at, std::string::npos);
  hw.erase(at, std::string("nvlink: 380 GB/s\n").size());
  const std::string hw_path = write("hw.yaml", hw);
  const std::string path =
      write("s.yaml", default_with("hardware: h100-ib-ndr", "hardware: hw.yaml"));
  const InputError e = load_error(path);
  ASSERT_FALSE(e.file().empty());
  EXPECT_TRUE(fs::equivalent(e.file(), hw_path)) << e.file();
  EXPECT_EQ(e.key_path(), "nvlink");
  EXPECT_GT(e.line(), 0);
  EXPECT_THAT(e.message(), HasSubstr("missing required key"));
}

TEST_F(ScenarioTest, MissingHardwareFileIsReportedAtTheScenarioKey) {
  const std::string text = default_with("hardware: h100-ib-ndr", "hardware: nope/hw.yaml");
  const std::string path = write("s.yaml", text);
  const InputError e = load_error(path);
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.key_path(), "hardware");
  EXPECT_EQ(e.line(), line_of(text, "hardware: nope"));
  EXPECT_THAT(e.message(), HasSubstr("does not exist"));
}

TEST_F(ScenarioTest, HorizonShorterThanAnIterationIsRejected) {
  try {
    load_scenario(kDefaultScenario, {"horizon=1s"});
    FAIL() << "1 s horizon accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key_path(), "horizon");
    EXPECT_THAT(e.message(), HasSubstr("shorter than one iteration"));
  }
}

TEST_F(ScenarioTest, MissingScenarioFileIsAnInputError) {
  const std::string path = (dir_ / "absent.yaml").string();
  try {
    load_scenario(path, {});
    FAIL() << "missing file accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_THAT(e.message(), HasSubstr("cannot open"));
  }
}

}  // namespace
}  // namespace ckptlab

namespace ckptlab {
namespace {

// Daly's restart time R (policies size intervals with it): the replacement the first failures
// get is a hot spare, else a warm standby, else a reschedule.
TEST(ExpectedRestart, TakesTheSpareSwapThenTheStandbySwapThenTheRescheduleWait) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  const std::string path = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/default.yaml";
  const Scenario spares = load_scenario(path, {});
  const Scenario standbys = load_scenario(
      path, {"restart.spares=0", "restart.warm_standbys=4", "restart.standby_swap=20m"});
  const Scenario neither = load_scenario(path, {"restart.spares=0"});
  const double with_spares = expected_restart_time(spares).value;
  EXPECT_DOUBLE_EQ(expected_restart_time(standbys).value - with_spares,
                   20 * 60 - spares.restart.spare_swap.value);
  EXPECT_DOUBLE_EQ(expected_restart_time(neither).value - with_spares,
                   spares.restart.reschedule_wait.value - spares.restart.spare_swap.value);
}

}  // namespace
}  // namespace ckptlab
