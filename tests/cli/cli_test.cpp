// The `ckptlab` program end to end: exit statuses (0 ok, 2 bad input), the comparison table,
// the results directory (summary.json fields, timeline.csv), --force, determinism per seed,
// --set, located error messages without a crash, and the model catalog commands.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
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
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kDefaultScenario = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/default.yaml";
const std::vector<std::string> kLabels = {"sync_full@30m", "sync_full@daly", "async_two_level",
                                          "in_memory",     "moetion",        "moc_pec"};
// run_default runs this many replications: wall times are totals over them.
constexpr double kReplications = 2;

using ckptlab::cli_test::Result;
using ckptlab::cli_test::lines_of;
using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::run_in;

class CliTest : public ckptlab::cli_test::CkptlabTest {
 protected:

  // `ckptlab run <default scenario> --out <dir>/<out> <extra>`; asserts success.
  json run_default(const std::string& out, const std::string& extra = "") {
    const Result r = ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out " + out + " " + extra);
    EXPECT_EQ(r.status, 0) << r.err;
    return json::parse(read_file(dir_ / out / "summary.json"));
  }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  static std::string default_with(const std::string& from, const std::string& to) {
    std::string text = read_file(kDefaultScenario);
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return text;
  }
};

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting_with(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

TEST_F(CliTest, VersionAndHelpExitZero) {
  const Result version = ckptlab("--version");
  EXPECT_EQ(version.status, 0);
  EXPECT_THAT(version.out, ::testing::MatchesRegex("ckptlab [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  const Result help = ckptlab("--help");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, AllOf(HasSubstr("usage"), HasSubstr("run <scenario.yaml>"),
                              HasSubstr("models list")));
  const Result run_help = ckptlab("run --help");
  EXPECT_EQ(run_help.status, 0);
  EXPECT_THAT(run_help.out, AllOf(HasSubstr("--out"), HasSubstr("--force"), HasSubstr("--seed"),
                                  HasSubstr("--set"), HasSubstr("--no-write")));
}

TEST_F(CliTest, NoArgumentsPrintsUsageAndExitsTwo) {
  const Result r = ckptlab("");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("usage"));
}

// The output's shape does not depend on the horizon: these tests simulate one day of the default
// scenario, not its week (under ASan a week takes 40 s per run).
TEST_F(CliTest, RunPrintsOneTableRowPerPolicyWithAnEttrColumn) {
  const Result r = ckptlab("run " + quoted(kDefaultScenario) +
                           " --backend analytic --replications 2 --set horizon=1d --out out");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto header = lines_starting_with(r.out, "policy ");
  ASSERT_EQ(header.size(), 1u) << r.out;
  EXPECT_THAT(header[0], HasSubstr("ETTR"));
  for (const std::string& label : kLabels) {
    const auto rows = lines_starting_with(r.out, label + " ");
    ASSERT_EQ(rows.size(), 1u) << label << "\n" << r.out;
    // The ETTR cell is the second column: a fraction printed with four decimals.
    std::istringstream cells(rows[0]);
    std::string name, ettr;
    cells >> name >> ettr;
    EXPECT_THAT(ettr, ::testing::MatchesRegex("[01]\\.[0-9]{4}")) << rows[0];
  }
  EXPECT_THAT(r.out, HasSubstr("out/summary.json"));
  EXPECT_THAT(r.err, Not(HasSubstr("error")));
}

TEST_F(CliTest, RunWritesSummaryAndTimeline) {
  ASSERT_EQ(ckptlab("run " + quoted(kDefaultScenario) +
                    " --backend analytic --replications 2 --set horizon=1d --out out")
                .status,
            0);
  EXPECT_TRUE(fs::is_regular_file(dir_ / "out" / "summary.json"));
  ASSERT_TRUE(fs::is_regular_file(dir_ / "out" / "timeline.csv"));
  const std::string timeline = read_file(dir_ / "out" / "timeline.csv");
  EXPECT_EQ(timeline.rfind("time_s,policy,event,iteration,detail\n", 0), 0u);
  for (const std::string& label : kLabels) {
    EXPECT_THAT(timeline, HasSubstr("," + label + ",")) << label;
  }
  // No temporary directories are left beside the results.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp-")));
  }
}

TEST_F(CliTest, SummaryHasTheDocumentedTopLevelAndPerPolicyFields) {
  const json s = run_default("out", "--set horizon=1d");
  EXPECT_EQ(s.at("scenario"), "default");
  EXPECT_EQ(s.at("seed"), 1);
  EXPECT_EQ(s.at("backend"), "analytic");
  EXPECT_TRUE(s.at("ckptlab_version").is_string());
  ASSERT_EQ(s.at("policies").size(), kLabels.size());
  for (size_t i = 0; i < kLabels.size(); ++i) {
    const json& p = s["policies"][i];
    SCOPED_TRACE(kLabels[i]);
    EXPECT_EQ(p.at("policy"), kLabels[i]);
    const double ettr = p.at("ettr").get<double>();
    EXPECT_GT(ettr, 0.0);
    EXPECT_LE(ettr, 1.0);
    for (const char* key :
         {"wall_s", "failures", "checkpoints", "checkpoint_bytes", "mean_checkpoint_stall_s",
          "mean_recovery_s", "checkpoint_interval_s", "job_mtbf_s", "lost_tokens_fraction"}) {
      ASSERT_TRUE(p.contains(key)) << key;
      EXPECT_TRUE(p[key].is_number()) << key;
    }
    EXPECT_GT(p["failures"].get<std::int64_t>(), 0);  // 2 x a day at a 6 h job MTBF
    EXPECT_GT(p["checkpoints"].get<std::int64_t>(), 0);
    EXPECT_GT(p["checkpoint_interval_s"].get<double>(), 0.0);
  }
}

TEST_F(CliTest, TimeCategoriesAreExactlyTheEightAndSumToWall) {
  const json s = run_default("out", "--set horizon=1d");
  const std::vector<std::string> categories = {
      "productive", "checkpoint_stall", "slowdown",   "lost_work",
      "detection",  "restart",          "state_load", "replay"};
  for (const json& p : s.at("policies")) {
    SCOPED_TRACE(p.at("policy").get<std::string>());
    const json& t = p.at("time_s");
    ASSERT_EQ(t.size(), categories.size()) << t.dump();
    double sum = 0;
    for (const std::string& c : categories) {
      ASSERT_TRUE(t.contains(c)) << c;
      EXPECT_GE(t[c].get<double>(), 0.0) << c;
      sum += t[c].get<double>();
    }
    const double wall = p.at("wall_s").get<double>();
    EXPECT_NEAR(sum, wall, 1e-6 * wall);
    // ETTR is the productive share of wall time.
    EXPECT_NEAR(p.at("ettr").get<double>(), t["productive"].get<double>() / wall, 1e-9);
  }
}

// The overwrite tests need results, not a whole simulated week: one day is enough.
TEST_F(CliTest, ExistingResultsWithoutForceExitTwoAndStayUntouched) {
  run_default("out", "--set horizon=1d");
  const std::string before = read_file(dir_ / "out" / "summary.json");
  // A different seed: had it been written, the summary would differ.
  const Result r = ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out out --seed 2");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("already exists"), HasSubstr("--force")));
  EXPECT_EQ(read_file(dir_ / "out" / "summary.json"), before);
}

TEST_F(CliTest, ForceReplacesExistingResults) {
  run_default("out", "--set horizon=1d");
  const std::string before = read_file(dir_ / "out" / "summary.json");
  const json after = run_default("out", "--set horizon=1d --seed 2 --force");
  EXPECT_EQ(after.at("seed"), 2);
  EXPECT_NE(read_file(dir_ / "out" / "summary.json"), before);
}

TEST_F(CliTest, SameSeedGivesByteIdenticalResults) {
  run_default("a", "--set horizon=1d");
  run_default("b", "--set horizon=1d");
  const std::string a = read_file(dir_ / "a" / "summary.json");
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, read_file(dir_ / "b" / "summary.json"));
  EXPECT_EQ(read_file(dir_ / "a" / "timeline.csv"), read_file(dir_ / "b" / "timeline.csv"));
}

TEST_F(CliTest, DifferentSeedGivesDifferentResults) {
  const json one = run_default("a", "--set horizon=1d");
  const json two = run_default("b", "--set horizon=1d --seed 2");
  EXPECT_EQ(one.at("seed"), 1);
  EXPECT_EQ(two.at("seed"), 2);
  // The outcomes differ, not only the recorded seed.
  EXPECT_NE(one.at("policies"), two.at("policies"));
}

TEST_F(CliTest, SetHorizonChangesWallTime) {
  const json two = run_default("two", "--set horizon=2d");
  const json day = run_default("day", "--set horizon=1d");
  EXPECT_DOUBLE_EQ(day.at("horizon_s").get<double>(), 86400.0);
  EXPECT_DOUBLE_EQ(two.at("horizon_s").get<double>(), 2 * 86400.0);
  for (size_t i = 0; i < kLabels.size(); ++i) {
    SCOPED_TRACE(kLabels[i]);
    const double day_wall = day["policies"][i].at("wall_s").get<double>();
    const double two_wall = two["policies"][i].at("wall_s").get<double>();
    EXPECT_NE(day_wall, two_wall);
    EXPECT_NEAR(day_wall, kReplications * 86400.0, 0.05 * 86400.0);
    EXPECT_NEAR(two_wall, kReplications * 2 * 86400.0, 0.05 * 86400.0);
  }
}

TEST_F(CliTest, BadScenarioExitsTwoWithALocatedMessageAndWritesNothing) {
  const std::string text = default_with("horizon: 7d", "horizn: 7d");
  write("bad.yaml", text);
  int line = 1;
  for (size_t i = 0; i < text.find("horizn:"); ++i) line += text[i] == '\n';
  const Result r = ckptlab("run bad.yaml");  // default results directory: results/default
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("bad.yaml:" + std::to_string(line) + ":"), HasSubstr("horizn"),
                           HasSubstr("did you mean 'horizon'")));
  EXPECT_THAT(r.err, Not(HasSubstr("terminate called")));
  EXPECT_THAT(r.err, Not(HasSubstr("Aborted")));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir_ / "results"));
  const Result with_out = ckptlab("run bad.yaml --out explicit");
  EXPECT_EQ(with_out.status, 2);
  EXPECT_FALSE(fs::exists(dir_ / "explicit"));
}

TEST_F(CliTest, BadPolicyExitsTwoAndWritesNothing) {
  write("bad.yaml", default_with("interval: checkfreq}", "interval: 30 parsecs}"));
  const Result r = ckptlab("run bad.yaml --out out");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("bad.yaml:"), HasSubstr("policies[2].interval")));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(CliTest, MissingScenarioFileExitsTwo) {
  const Result r = ckptlab("run does-not-exist.yaml --out out");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("does-not-exist.yaml"), HasSubstr("cannot open")));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(CliTest, UnknownOptionOrCommandExitsTwo) {
  const Result option = ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out out --frobnicate");
  EXPECT_EQ(option.status, 2);
  EXPECT_THAT(option.err, HasSubstr("frobnicate"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
  const Result command = ckptlab("frobnicate");
  EXPECT_EQ(command.status, 2);
  EXPECT_THAT(command.err, HasSubstr("unknown command"));
}

TEST_F(CliTest, BadOptionValuesExitTwo) {
  EXPECT_EQ(ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out out --seed -3").status, 2);
  EXPECT_EQ(ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out out --seed abc").status, 2);
  EXPECT_EQ(ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --replications 2 --out out --set nonsense").status, 2);
  EXPECT_EQ(ckptlab("run").status, 2);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// Also the default scenario as shipped: on the SimGrid backend, every policy of it (one
// simulated hour: a day takes minutes under ASan).
TEST_F(CliTest, NoWritePrintsTheTableOnly) {
  const Result r =
      ckptlab("run " + quoted(kDefaultScenario) + " --replications 1 --no-write --set horizon=1h");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("backend sim, seed 1"));
  for (const std::string& label : kLabels) {
    EXPECT_EQ(lines_starting_with(r.out, label + " ").size(), 1u) << label;
  }
  EXPECT_FALSE(fs::exists(dir_ / "results"));
}

TEST_F(CliTest, AnEventBudgetStopsEveryPolicyEarlyKeepsItsResultsAndExitsThree) {
  const Result r = ckptlab(
      "run " + quoted(kDefaultScenario) + " --backend analytic --replications 1 --out budget" +
      " --set limits.max_events=300 --set 'policies=[{name: sync_full, interval: 30m}, " +
      "{name: async_two_level, interval: checkfreq}]'");
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("sync_full stopped early, replication 1: event budget of 300 "
                               "steps"));
  EXPECT_THAT(r.err, HasSubstr("async_two_level stopped early"));
  EXPECT_THAT(r.out, HasSubstr("sync_full (stopped early)"));
  // The results of what was simulated are written, complete and consistent.
  const json summary = json::parse(read_file(dir_ / "budget" / "summary.json"));
  for (const json& p : summary.at("policies")) {
    EXPECT_THAT(p.at("stopped_early").get<std::string>(), HasSubstr("limits.max_events"));
    EXPECT_LT(p.at("wall_s").get<double>(), summary.at("horizon_s").get<double>());
    EXPECT_LE(p.at("iterations").get<std::int64_t>(), 300);
  }
}

TEST_F(CliTest, PrecisionAddsReplicationsUntilEveryHalfWidthIsBelowItsTarget) {
  // Two dense policies for two simulated days: one replication is far from 1%, and the cap
  // (64) is far above what the target needs, so the stop is the target's.
  const Result r = ckptlab("run " + quoted(kDefaultScenario) + " --backend analytic --out precise --precision 1%" +
                           " --set horizon=2d --set 'policies=[{name: sync_full, interval: "
                           "30m}, {name: async_two_level, interval: checkfreq}]'");
  ASSERT_EQ(r.status, 0) << r.err;
  const json summary = json::parse(read_file(dir_ / "precise" / "summary.json"));
  EXPECT_DOUBLE_EQ(summary.at("precision_target").get<double>(), 0.01);
  const auto replications = summary.at("replications").get<std::size_t>();
  EXPECT_GT(replications, 4u);  // more than the scenario's own 4
  EXPECT_LT(replications, 64u);
  for (const json& p : summary.at("policies")) {
    EXPECT_EQ(p.at("replications").get<std::size_t>(), replications);
    EXPECT_LE(p.at("ci95").at("ettr").get<double>(), 0.01) << p.at("policy");
  }
}

TEST_F(CliTest, ModelsListListsTheWholeCatalog) {
  const Result r = ckptlab("models list");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> models = {
      "deepseek-moe-16b", "deepseek-v3",     "gpt-moe-125m-8e", "gpt-moe-350m-16e", "gpt-moe-350m-32e",
      "gpt-moe-350m-64e", "gpt-moe-350m-8e", "llama-3-70b",      "mixtral-8x22b",
      "mixtral-8x7b",     "olmoe-1b-7b",     "qwen1.5-moe-a2.7b"};
  for (const std::string& m : models) {
    EXPECT_EQ(lines_starting_with(r.out, m + " ").size(), 1u) << m << "\n" << r.out;
  }
  // A header line plus one line per model.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1 + static_cast<long>(models.size()));
}

TEST_F(CliTest, ModelsShowPrintsTotalAndActiveParameters) {
  const Result r = ckptlab("models show deepseek-v3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out,
              AllOf(HasSubstr("deepseek-v3"), HasSubstr("total 671"), HasSubstr("active 37")));
}

TEST_F(CliTest, ModelsShowUnknownExitsTwoListingKnownNames) {
  const Result r = ckptlab("models show nope");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("\"nope\""), HasSubstr("deepseek-v3")));
  EXPECT_THAT(r.err, Not(HasSubstr("terminate called")));
}

TEST_F(CliTest, ValidateOnCudaRunsOnAGpuOrSaysWhyNot) {
  // Without a GPU (CI) the command says so and exits 1 without writing; with one (the device
  // machine) it runs the storage policies on the GPU and skips those that replicate to peers.
  const Result r = ckptlab(
      "validate --backend cuda " CKPTLAB_SOURCE_DIR
      "/tests/hw/data/tiny_validate.yaml "
      "--profile " CKPTLAB_SOURCE_DIR
      "/scenarios/hardware/host-amd-epyc-measured.yaml "
      "--iterations 6 --budget 8MiB --compute 5ms --repeats 1 --failures 1 -o v/validation.json");
  if (r.status == 1) {
    EXPECT_THAT(r.err, AnyOf(HasSubstr("no CUDA device present"),
                             HasSubstr("this build has no CUDA backend")));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "v" / "validation.json"));
    return;
  }
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("on the cuda backend"), HasSubstr("0 bit mismatches"),
                           HasSubstr("skipped: in_memory")));
}

}  // namespace
