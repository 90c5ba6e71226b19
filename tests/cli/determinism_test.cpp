// Determinism beyond "same seed, same bytes" (cli_test.cpp checks that, across --out paths, and
// that seeds differ): results depend on what the scenario says, never on how or where it is said
// (--set of a key to its own value, comments and layout, the path spelling and working
// directory), never on which other policies run beside a policy or in which order, never on a
// concurrent run, and --force leaves nothing of the results it replaces.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDefaultScenario = fs::path(CKPTLAB_SOURCE_DIR) / "scenarios" / "default.yaml";
// Half a day at the default's 6.2 h job MTBF, one replication: a few failures and dozens of
// checkpoints per policy, so that every ledger category is exercised. On the analytic backend:
// these tests are about what changes a result (keys, paths, order, other runs), and under ASan
// the default's sim backend takes minutes here (SimBackend.* test the sim backend's determinism).
const std::string kShort = "--set horizon=12h --set replications=1 --backend analytic";
// ... and only the three dense policies, which take a fraction of a second even under ASan (the
// in-memory ones size their windows per run); one test below keeps the default's full list.
const std::string kLight = kShort +
                           " --set 'policies=[{name: sync_full, label: sync_full@30m, interval: "
                           "30m}, {name: sync_full, label: sync_full@daly, interval: daly}, "
                           "{name: async_two_level, interval: checkfreq}]'";

using ckptlab::cli_test::Result;
using ckptlab::cli_test::lines_of;
using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::run_in;

class DeterminismTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(CKPTLAB_BINARY_DIR) / "tests" / "determinism_test_tmp" /
           (std::string(info->name()) + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs a shell command line in `cwd` (default: the test's directory); returns its stdout and
  // fails the test unless it exits 0.
  std::string shell(const std::string& line, const fs::path& cwd = {}) {
    const Result r = run_in(cwd.empty() ? dir_ : cwd, "(" + line + ")");
    EXPECT_EQ(r.status, 0) << line << "\n" << r.err;
    return r.out;
  }

  static std::string exe() { return quoted(CKPTLAB_EXE); }

  // `ckptlab run <scenario> --out <out> <args>`, returning stdout.
  std::string run(const std::string& scenario, const std::string& out, const std::string& args,
                  const fs::path& cwd = {}) {
    return shell(
        exe() + " run " + scenario + " --out " + quoted((dir_ / out).string()) + " " + args, cwd);
  }

  std::string summary(const std::string& out) const {
    return read_file(dir_ / out / "summary.json");
  }
  std::string timeline(const std::string& out) const {
    return read_file(dir_ / out / "timeline.csv");
  }

  // The timeline rows of one policy (its label is the second column).
  std::vector<std::string> rows_of(const std::string& out, const std::string& label) const {
    std::vector<std::string> rows;
    std::istringstream in(timeline(out));
    for (std::string line; std::getline(in, line);) {
      if (line.find("," + label + ",") != std::string::npos) rows.push_back(line);
    }
    return rows;
  }

  fs::path dir_;
};

// A policy's entry without `vs_best`, which compares it with the best of the other policies and
// so depends on them by design.
json policy_named(const json& summary, const std::string& label) {
  for (json p : summary.at("policies")) {
    if (p.at("policy") != label) continue;
    p.erase("vs_best");
    return p;
  }
  ADD_FAILURE() << "no policy " << label << " in the summary";
  return {};
}

TEST_F(DeterminismTest, SettingKeysToTheirOwnValuesChangesNoByte) {
  const std::string scenario = quoted(kDefaultScenario.string());
  run(scenario, "plain", kShort);
  // Every value below is what default.yaml already says (seed 1 twice: --set and --seed).
  run(scenario, "set",
      kShort + " --set seed=1 --seed 1 --set failures.mtbf_node=264d " +
          "--set 'policies[0].interval=30m' --set cluster.nodes=1024 " +
          "--set hardware=h100-ib-ndr");
  ASSERT_FALSE(summary("plain").empty());
  EXPECT_EQ(summary("plain"), summary("set"));  // scenario_hash included
  EXPECT_EQ(timeline("plain"), timeline("set"));
  EXPECT_EQ(read_file(dir_ / "plain" / "scenario.yaml"), read_file(dir_ / "set" / "scenario.yaml"));
}

TEST_F(DeterminismTest, CommentsBlankLinesAndTheFileLocationDoNotChangeResults) {
  // The default scenario without its comments and blank lines, in another directory under
  // another file name.
  std::istringstream in(read_file(kDefaultScenario));
  std::string stripped;
  for (std::string line; std::getline(in, line);) {
    const size_t hash = line.find(" #");
    if (hash != std::string::npos) line.erase(hash);
    if (line.empty() || line[0] == '#') continue;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    stripped += line + "\n";
  }
  fs::create_directories(dir_ / "elsewhere");
  std::ofstream(dir_ / "elsewhere" / "renamed.yaml") << stripped;
  ASSERT_NE(stripped, read_file(kDefaultScenario));

  run(quoted(kDefaultScenario.string()), "original", kLight);
  run("elsewhere/renamed.yaml", "stripped", kLight);
  ASSERT_FALSE(summary("original").empty());
  EXPECT_EQ(summary("original"), summary("stripped"));
  EXPECT_EQ(timeline("original"), timeline("stripped"));
}

TEST_F(DeterminismTest, PathSpellingAndWorkingDirectoryDoNotChangeResults) {
  fs::create_directories(dir_ / "a" / "b");
  const fs::path relative = fs::relative(kDefaultScenario, dir_ / "a" / "b");
  run(quoted(kDefaultScenario.string()), "absolute", kLight);
  run(quoted(relative.string()), "relative", kLight, dir_ / "a" / "b");
  run(quoted((kDefaultScenario.parent_path() / "." / "hardware" / ".." / "default.yaml").string()),
      "dotted", kLight);
  ASSERT_FALSE(summary("absolute").empty());
  EXPECT_EQ(summary("absolute"), summary("relative"));
  EXPECT_EQ(summary("absolute"), summary("dotted"));
}

// Common random numbers: each policy sees the failures of the seed, whatever runs beside it. The
// default's whole list (dense and in-memory policies), three of them reversed, and one alone.
TEST_F(DeterminismTest, APolicysResultIsIndependentOfTheOtherPoliciesAndTheirOrder) {
  const std::string scenario = quoted(kDefaultScenario.string());
  run(scenario, "all", kShort);
  run(scenario, "reversed",
      kShort + " --set 'policies=[{name: async_two_level, interval: checkfreq}, " +
          "{name: sync_full, label: sync_full@daly, interval: daly}, " +
          "{name: sync_full, label: sync_full@30m, interval: 30m}]'");
  run(scenario, "alone",
      kShort + " --set 'policies=[{name: sync_full, label: sync_full@daly, interval: daly}]'");
  const json all = json::parse(summary("all"));
  const json reversed = json::parse(summary("reversed"));
  const json alone = json::parse(summary("alone"));
  for (const std::string label : {"sync_full@30m", "sync_full@daly", "async_two_level"}) {
    SCOPED_TRACE(label);
    EXPECT_EQ(policy_named(all, label), policy_named(reversed, label));
    EXPECT_EQ(rows_of("all", label), rows_of("reversed", label));
  }
  EXPECT_EQ(policy_named(all, "sync_full@daly"), policy_named(alone, "sync_full@daly"));
  EXPECT_EQ(rows_of("all", "sync_full@daly"), rows_of("alone", "sync_full@daly"));
  EXPECT_GT(policy_named(alone, "sync_full@daly").at("failures").get<int>(), 0)
      << "without failures this would compare nothing";
}

TEST_F(DeterminismTest, ConcurrentRunsGiveIdenticalResults) {
  const std::string one = exe() + " run " + quoted(kDefaultScenario.string()) + " " + kLight;
  shell(one + " --out x >/dev/null & " + one + " --out y >/dev/null & wait");
  run(quoted(kDefaultScenario.string()), "alone", kLight);
  ASSERT_FALSE(summary("alone").empty());
  EXPECT_EQ(summary("x"), summary("alone"));
  EXPECT_EQ(summary("y"), summary("alone"));
  EXPECT_EQ(timeline("x"), timeline("y"));
}

TEST_F(DeterminismTest, ForceLeavesNothingOfTheReplacedResults) {
  const std::string scenario = quoted(kDefaultScenario.string());
  run(scenario, "fresh", kLight);
  // A longer run with another seed first: a different summary and a longer timeline.
  run(scenario, "reused", kLight + " --set horizon=1d --seed 2");
  run(scenario, "reused", kLight + " --force");
  EXPECT_EQ(summary("reused"), summary("fresh"));
  EXPECT_EQ(timeline("reused"), timeline("fresh"));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_ / "reused")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre("summary.json", "timeline.csv", "scenario.yaml"));
}

TEST_F(DeterminismTest, NoWritePrintsTheTableOfAWritingRun) {
  const std::string scenario = quoted(kDefaultScenario.string());
  const std::string written = run(scenario, "out", kLight);
  const std::string printed = shell(exe() + " run " + scenario + " --no-write " + kLight);
  // A writing run adds one line naming the results after a blank line.
  const size_t results = written.rfind("\nresults: ");
  ASSERT_NE(results, std::string::npos) << written;
  EXPECT_EQ(written.substr(0, results), printed);
}

}  // namespace
