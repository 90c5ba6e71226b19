// `ckptlab sweep` end to end: sweep.csv is the same whatever ran the points (--jobs, shards,
// mpirun ranks, a crash and a rerun), finished points are skipped, a bad point exits 2 naming
// it before anything runs, and the shipped scenarios/mtbf-sweep.yaml validates and runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using ckptlab::cli_test::Result;
using ckptlab::cli_test::lines_of;
using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::run_in;


// Cheap points (Mixtral on 128 or 256 nodes for 12 simulated hours, two policies): six of them
// run in about a second, so each test can afford whole sweeps.
constexpr const char* kSweepScenario = R"(name: tiny-sweep
model: mixtral-8x7b
parallel: {tp: 1, pp: 4, ep: 8, zero_stage: 1, micro_batches: 16, global_batch_tokens: 62914560}
cluster: {nodes: 256, gpus_per_node: 8}
hardware: h100-ib-ndr
failures: {model: exponential, mtbf_job: 6h}
restart: {spares: 4, spare_swap: 5m, reschedule_wait: 30m, process_restart: 10m, repair_time: 3d}
policies:
  - {name: sync_full, label: sync_full@daly, interval: daly}
  - {name: async_two_level}
horizon: 12h
sweep:
  axes:
    failures.mtbf_job: [30m, 2h, 8h]
    cluster.nodes: [128, 256]
)";

class SweepTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_dir_ = fs::current_path() / "cli_test_tmp" / ("SweepSuite-" + std::to_string(::getpid()));
    fs::remove_all(suite_dir_);
    fs::create_directories(suite_dir_);
    std::ofstream(suite_dir_ / "tiny.yaml") << kSweepScenario;
    // The reference every other way of running the sweep is compared with: serial, one process.
    const Result r = ckptlab_in(suite_dir_, "sweep tiny.yaml --out serial --jobs 1");
    ASSERT_EQ(r.status, 0) << r.err;
    serial_csv_ = read_file(suite_dir_ / "serial" / "sweep.csv");
  }
  static void TearDownTestSuite() { fs::remove_all(suite_dir_); }

  void SetUp() override {
    setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = suite_dir_ / info->name();
    fs::create_directories(dir_);
    fs::copy_file(suite_dir_ / "tiny.yaml", dir_ / "tiny.yaml");
  }

  // Runs `<env> ckptlab <args>` (or `<prefix> ckptlab <args>`) in `dir`.
  static Result ckptlab_in(const fs::path& dir, const std::string& args,
                           const std::string& env = "", const std::string& prefix = "") {
    return run_in(dir, env + " " + prefix + " " + quoted(CKPTLAB_EXE) + " " + args);
  }
  Result ckptlab(const std::string& args, const std::string& env = "") {
    return ckptlab_in(dir_, args, env);
  }
  std::string csv(const std::string& out) { return read_file(dir_ / out / "sweep.csv"); }
  size_t point_dirs(const std::string& out) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_ / out / "points")) {
      n += e.is_directory() && e.path().filename().string()[0] != '.' ? 1 : 0;
    }
    return n;
  }

  static inline fs::path suite_dir_;
  static inline std::string serial_csv_;
  fs::path dir_;
};

TEST_F(SweepTest, CsvHasOneRowPerPointAndPolicyInSweepOrder) {
  const auto lines = lines_of(serial_csv_);
  ASSERT_EQ(lines.size(), 1u + 6 * 2);
  EXPECT_EQ(lines[0].rfind("point,hash,failures.mtbf_job,cluster.nodes,model_name,", 0), 0u)
      << lines[0];
  for (const char* column : {",policy,", ",ettr,", ",checkpoint_stall_s,", ",failures,",
                             ",checkpoint_bytes,", ",mean_checkpoint_stall_s,"}) {
    EXPECT_THAT(lines[0], HasSubstr(column));
  }
  // Points in sweep order (the last axis fastest), policies in scenario order within a point.
  const std::vector<std::string> settings = {"30m,128", "30m,256", "2h,128",
                                             "2h,256",  "8h,128",  "8h,256"};
  for (size_t p = 0; p < settings.size(); ++p) {
    for (size_t k = 0; k < 2; ++k) {
      const std::string& row = lines[1 + 2 * p + k];
      EXPECT_EQ(row.rfind(std::to_string(p) + ",", 0), 0u) << row;
      EXPECT_THAT(row, HasSubstr("," + settings[p] + ",mixtral-8x7b,"));
      EXPECT_THAT(row, HasSubstr(k == 0 ? ",sync_full@daly," : ",async_two_level,"));
    }
  }
  const fs::path points = suite_dir_ / "serial" / "points";
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(points)) {
    ++n;
    for (const char* file : {"summary.json", "timeline.csv", "scenario.yaml"}) {
      EXPECT_TRUE(fs::is_regular_file(e.path() / file)) << e.path() << " " << file;
    }
  }
  EXPECT_EQ(n, 6u);
}

// The CSV's cells, row by row (no quoted commas in these sweeps' cells).
std::vector<std::vector<std::string>> cells_of(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  for (const std::string& line : lines_of(csv)) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

size_t column_of(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  EXPECT_NE(it, header.end()) << name;
  return static_cast<size_t>(it - header.begin());
}

// On the sim backend every point runs in a process of its own (its cluster size is a different
// SimGrid platform), with --jobs 1 too; far from saturation SimGrid's timings equal the
// analytic ones, so every ETTR matches the analytic sweep's.
TEST_F(SweepTest, SimBackendRunsEveryPointInItsOwnProcessAndAgreesWithAnalytic) {
  const Result r = ckptlab("sweep tiny.yaml --out sim --jobs 1 --backend sim");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto sim = cells_of(csv("sim"));
  const auto analytic = cells_of(serial_csv_);
  ASSERT_EQ(sim.size(), analytic.size());
  const size_t backend = column_of(sim[0], "backend_name");
  const size_t ettr = column_of(sim[0], "ettr");
  EXPECT_EQ(column_of(analytic[0], "ettr"), ettr);
  for (size_t i = 1; i < sim.size(); ++i) {
    EXPECT_EQ(sim[i][backend], "sim") << i;
    EXPECT_EQ(analytic[i][backend], "analytic") << i;
    EXPECT_NEAR(std::stod(sim[i][ettr]), std::stod(analytic[i][ettr]), 1e-9) << i;
  }
  // A sweep over the backend itself: both in one sweep.csv, one row per backend and policy.
  const Result both = ckptlab(
      "sweep tiny.yaml --out both --set 'sweep={axes: {backend: [analytic, sim]}}' "
      "--set cluster.nodes=128 --set failures.mtbf_job=2h");
  ASSERT_EQ(both.status, 0) << both.err;
  const auto rows = cells_of(csv("both"));
  ASSERT_EQ(rows.size(), 1u + 2 * 2);
  EXPECT_EQ(rows[0][2], "backend");
  EXPECT_EQ(rows[1][2], "analytic");
  EXPECT_EQ(rows[3][2], "sim");
  EXPECT_NEAR(std::stod(rows[1][ettr]), std::stod(rows[3][ettr]), 1e-9);
}

TEST_F(SweepTest, ThreeWorkersGiveTheSameCsvAsOne) {
  const Result r = ckptlab("sweep tiny.yaml --out parallel --jobs 3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(csv("parallel"), serial_csv_);
  EXPECT_THAT(r.out, HasSubstr("best"));  // the ETTR table on stdout
}

TEST_F(SweepTest, ReplicationsGiveTheSameCsvWhateverTheNumberOfWorkers) {
  const Result one = ckptlab("sweep tiny.yaml --out r1 --jobs 1 --set replications=3");
  ASSERT_EQ(one.status, 0) << one.err;
  const Result three = ckptlab("sweep tiny.yaml --out r3 --jobs 3 --set replications=3");
  ASSERT_EQ(three.status, 0) << three.err;
  EXPECT_EQ(csv("r1"), csv("r3"));
  EXPECT_NE(csv("r1"), serial_csv_);  // three replications pooled, not the one of the base
}

TEST_F(SweepTest, KilledSweepResumesAndEndsWithTheSameCsv) {
  // The fault injection SIGKILLs the sweep and its workers after two points, as `kill -9` would.
  const Result killed = ckptlab("sweep tiny.yaml --out out --jobs 2", "CKPTLAB_SWEEP_KILL_AFTER=2");
  EXPECT_EQ(killed.status, -1) << killed.err;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "sweep.csv"));
  const size_t finished = point_dirs("out");
  EXPECT_GE(finished, 2u);
  EXPECT_LT(finished, 6u);

  const Result resumed = ckptlab("sweep tiny.yaml --out out --jobs 2");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr(std::to_string(finished) + " of 6 points already finished"));
  EXPECT_EQ(csv("out"), serial_csv_);
  // A third run has nothing left to do and rewrites the same file.
  const Result again = ckptlab("sweep tiny.yaml --out out");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("6 of 6 points already finished; running 0"));
  EXPECT_EQ(csv("out"), serial_csv_);
}

TEST_F(SweepTest, AddingAxisValuesKeepsFinishedPoints) {
  // A point's directory is the hash of its resolved scenario without the sweep section, so
  // widening an axis reruns only the new points.
  ASSERT_EQ(ckptlab("sweep tiny.yaml --out out --set 'sweep.axes={failures.mtbf_job: [30m, 2h], "
                    "cluster.nodes: [128, 256]}'")
                .status,
            0);
  const Result wider = ckptlab("sweep tiny.yaml --out out");
  ASSERT_EQ(wider.status, 0) << wider.err;
  EXPECT_THAT(wider.err, HasSubstr("4 of 6 points already finished; running 2"));
  EXPECT_EQ(csv("out"), serial_csv_);
}

TEST_F(SweepTest, ShardsThenCollectEqualTheSerialSweep) {
  // Two job-array tasks with no shared file system: each writes its half; collecting the union
  // of the points gives the serial sweep.csv.
  const Result a = ckptlab("sweep tiny.yaml --out a --shard 0/2");
  ASSERT_EQ(a.status, 0) << a.err;
  const Result b = ckptlab("sweep tiny.yaml --out b --shard 1/2");
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(point_dirs("a"), 3u);
  EXPECT_EQ(point_dirs("b"), 3u);
  EXPECT_FALSE(fs::exists(dir_ / "a" / "sweep.csv"));
  EXPECT_THAT(a.err, HasSubstr("--collect"));

  const Result early = ckptlab("sweep tiny.yaml --out a --collect");
  EXPECT_EQ(early.status, 1) << early.err;
  EXPECT_THAT(early.err, HasSubstr("3 of 6 points finished"));
  for (const auto& e : fs::directory_iterator(dir_ / "b" / "points")) {
    fs::copy(e.path(), dir_ / "a" / "points" / e.path().filename(), fs::copy_options::recursive);
  }
  const Result merged = ckptlab("sweep tiny.yaml --out a --collect");
  ASSERT_EQ(merged.status, 0) << merged.err;
  EXPECT_EQ(csv("a"), serial_csv_);
}

TEST_F(SweepTest, MpirunWithTwoRanksEqualsTheSerialSweep) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "mpirun not found (Debian: openmpi-bin); the MPI sweep is not tested";
  }
  // Root needs Open MPI's explicit consent; --oversubscribe lets two ranks share one core; the
  // TCP transport avoids shared-memory segments that containers often cap. Open MPI's own
  // allocations are not freed at exit, so LeakSanitizer is off for the ranks.
  const std::string env =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,tcp "
      "OMPI_MCA_rmaps_base_oversubscribe=1 ASAN_OPTIONS=detect_leaks=0";
  const Result r = ckptlab_in(dir_, "sweep tiny.yaml --out mpi", env, "mpirun -n 2");
  if (r.err.find("built without MPI") != std::string::npos) {
    GTEST_SKIP() << "this ckptlab was built without MPI (libopenmpi-dev)";
  }
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("2 MPI ranks"));
  EXPECT_EQ(csv("mpi"), serial_csv_);
  EXPECT_EQ(point_dirs("mpi"), 6u);  // rank 0 holds every point, sent by the other rank
}

TEST_F(SweepTest, BadPointExitsTwoNamingItBeforeAnythingRuns) {
  // 250 nodes x 8 GPUs / pp 4 = dp 500, which ep 8 does not divide.
  const Result r =
      ckptlab("sweep tiny.yaml --out out --set 'sweep={axes: {cluster.nodes: [128, 250]}}'");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("sweep point 1 of 2 [cluster.nodes=250]"));
  EXPECT_THAT(r.err, HasSubstr("ep = 8 does not divide dp = 500"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
  EXPECT_THAT(r.err, Not(HasSubstr("internal error")));
}

TEST_F(SweepTest, BadSweptValueIsLocatedAtItsLineInTheSweepSection) {
  std::string text = kSweepScenario;
  text.replace(text.find("[30m, 2h, 8h]"), 13, "[30m, -2h, 8h]");
  std::ofstream(dir_ / "tiny.yaml") << text;
  const Result r = ckptlab("sweep tiny.yaml --out out");
  EXPECT_EQ(r.status, 2) << r.err;
  // Line 14 of kSweepScenario is the failures.mtbf_job axis.
  EXPECT_THAT(r.err, HasSubstr("tiny.yaml:14:"));
  EXPECT_THAT(r.err, HasSubstr("key 'failures.mtbf_job'"));
  EXPECT_THAT(r.err, HasSubstr("failures.mtbf_job=-2h, cluster.nodes=128"));
  EXPECT_THAT(r.err, HasSubstr("negative"));
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(SweepTest, MalformedSweepSectionsAreInputErrors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--set sweep=null", "no `sweep:` section"},
      {"--set 'sweep={axis: {cluster.nodes: [128]}}'", "did you mean 'axes'"},
      {"--set 'sweep={axes: {cluster.nodes: []}}'", "non-empty list"},
      {"--set 'sweep={points: [3]}'", "each point is a mapping"},
      {"--set 'sweep={axes: {cluster.nodes: [128]}, points: [{cluster.nodes: 256}]}'",
       "both an axis and set by an explicit point"},
      {"--shard 2/2", "--shard"},
      {"--jobs 0", "--jobs"}};
  for (const auto& [args, message] : cases) {
    const Result r = ckptlab("sweep tiny.yaml --out out " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
  }
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(SweepTest, ExplicitPointsCombineWithEveryAxisValue) {
  const Result r = ckptlab(
      "sweep tiny.yaml --out out --set 'sweep={points: [{cluster.nodes: 128}, {cluster.nodes: "
      "256, restart.spares: 8}], axes: {failures.mtbf_job: [30m, 2h]}}' --list");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("cluster.nodes=128, failures.mtbf_job=30m"));
  EXPECT_THAT(lines[3], HasSubstr("cluster.nodes=256, restart.spares=8, failures.mtbf_job=2h"));
  EXPECT_THAT(lines[3], HasSubstr("to run"));
}

TEST_F(SweepTest, ShippedMtbfSweepRunsEveryPointAndReports) {
  // All 28 points (2 models x 2 cluster sizes x 7 MTBFs), each for 20 simulated minutes instead
  // of the shipped two days (CPU-minutes: docs/sweeps.md), then its report.
  const std::string scenario =
      quoted(std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/mtbf-sweep.yaml");
  const Result r = ckptlab("sweep " + scenario + " --out mtbf --jobs 2 --set horizon=20m");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string table = csv("mtbf");
  ASSERT_EQ(lines_of(table).size(), 1u + 28 * 5);
  for (const char* policy :
       {"sync_full@daly", "async_two_level", "in_memory", "moetion", "moc_pec"}) {
    EXPECT_THAT(table, HasSubstr("," + std::string(policy) + ",")) << policy;
  }
  for (const char* text : {",mixtral-8x7b,", ",deepseek-moe-16b,", ",10240,", ",10m,", ",24h,"}) {
    EXPECT_THAT(table, HasSubstr(text));
  }
  const Result report = ckptlab("report mtbf");
  ASSERT_EQ(report.status, 0) << report.err;
  for (const char* png : {"ettr_vs_mtbf.png", "overhead_vs_mtbf.png", "ettr_vs_nodes.png",
                          "time_breakdown.png", "checkpoint_cost.png"}) {
    EXPECT_TRUE(fs::is_regular_file(dir_ / "mtbf" / png)) << png;
  }
}

}  // namespace
