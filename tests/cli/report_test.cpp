// `ckptlab report` end to end, on a single run's directory and on a sweep's: report.md and a
// self-contained report.html (every image a data: URI, nothing fetched from elsewhere), valid
// PNG figures of real size, every policy named, and the table of sources; ETTR ± its half-width
// when there are replications; predicted vs measured from a real `ckptlab validate` run; ETTR
// against each tuned parameter from a real `ckptlab advise`, alone and beside a run. And
// `ckptlab run --trace`: the Chrome/Perfetto trace of a seeded run with three failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::Result;

// Three cheap policies on a small Mixtral cluster; the sweep varies failure rate and size, so
// every figure applies.
constexpr const char* kScenario = R"(name: tiny-report
model: mixtral-8x7b
parallel: {tp: 1, pp: 4, ep: 8, zero_stage: 1, micro_batches: 16, global_batch_tokens: 62914560}
cluster: {nodes: 128, gpus_per_node: 8}
hardware: h100-ib-ndr
failures: {model: exponential, mtbf_job: 2h}
restart: {spares: 4, spare_swap: 5m, reschedule_wait: 30m, process_restart: 10m, repair_time: 3d}
policies:
  - {name: sync_full, label: sync_full@30m, interval: 30m}
  - {name: sync_full, label: sync_full@daly, interval: daly}
  - {name: async_two_level}
horizon: 12h
sweep:
  axes:
    failures.mtbf_job: [30m, 2h, 8h]
    cluster.nodes: [128, 256]
)";
const std::vector<std::string> kPolicies = {"sync_full@30m", "sync_full@daly", "async_two_level"};

class ReportTest : public ckptlab::cli_test::CkptlabTest {
 protected:
  void SetUp() override {
    CkptlabTest::SetUp();
    std::ofstream(dir_ / "tiny.yaml") << kScenario;
  }

  // Checks what every report has: both documents, each figure a real PNG, every policy and the
  // sources named, and an HTML page that needs no other file.
  void expect_complete_report(const fs::path& report_dir, const std::vector<std::string>& pngs) {
    const std::string md = read_file(report_dir / "report.md");
    const std::string html = read_file(report_dir / "report.html");
    ASSERT_FALSE(md.empty());
    ASSERT_FALSE(html.empty());
    for (const std::string& png : pngs) {
      SCOPED_TRACE(png);
      const std::string bytes = read_file(report_dir / png);
      EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
      EXPECT_GT(bytes.size(), 10000u);  // a plot, not an empty canvas
      EXPECT_THAT(md, HasSubstr("](" + png + ")"));
    }
    for (const std::string& policy : kPolicies) {
      EXPECT_THAT(md, HasSubstr(policy));
      EXPECT_THAT(html, HasSubstr(policy));
    }
    // Sources: the table, a hardware citation and a policy's interval rule, as summary.json
    // states them.
    EXPECT_THAT(md, HasSubstr("Sources of every number"));
    EXPECT_THAT(md, HasSubstr("NVIDIA H100 SXM5 datasheet"));
    EXPECT_THAT(md, HasSubstr("Daly"));
    EXPECT_THAT(html, HasSubstr("NVIDIA H100 SXM5 datasheet"));

    // Self-contained: every src is a data: URI, one per figure; no stylesheet or script links.
    // (A scan, not std::regex: libstdc++'s regex recurses per character and overflows the stack
    // on a base64 image.)
    size_t images = 0;
    for (size_t at = html.find("src=\""); at != std::string::npos;
         at = html.find("src=\"", at + 1)) {
      EXPECT_EQ(html.compare(at + 5, 22, "data:image/png;base64,"), 0) << html.substr(at, 80);
      ++images;
    }
    EXPECT_EQ(images, pngs.size());
    EXPECT_THAT(html, Not(HasSubstr("<link")));
    EXPECT_THAT(html, Not(HasSubstr("<script")));
    EXPECT_THAT(html, Not(HasSubstr("href=")));
  }
};

TEST_F(ReportTest, ReportOfARunHasBreakdownCostAndSources) {
  ASSERT_EQ(ckptlab("run tiny.yaml --set sweep=null --out run").status, 0);
  const Result r = ckptlab("report run");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("report.html"));
  expect_complete_report(dir_ / "run", {"time_breakdown.png", "checkpoint_cost.png"});
  // A run varies nothing: no curves over MTBF or cluster size.
  EXPECT_FALSE(fs::exists(dir_ / "run" / "ettr_vs_mtbf.png"));
  const std::string md = read_file(dir_ / "run" / "report.md");
  EXPECT_THAT(md, HasSubstr("Results per policy"));

  // The same results give the same report, byte for byte (no dates, no versions in PNGs).
  ASSERT_EQ(ckptlab("report run --out again").status, 0);
  EXPECT_EQ(read_file(dir_ / "again" / "report.md"), md);
  EXPECT_EQ(read_file(dir_ / "again" / "time_breakdown.png"),
            read_file(dir_ / "run" / "time_breakdown.png"));
}

TEST_F(ReportTest, ReportOfASweepPlotsEttrOverMtbfAndClusterSizeWithErrorBars) {
  ASSERT_EQ(ckptlab("sweep tiny.yaml --out sweep --jobs 2 --set replications=2").status, 0);
  const Result r = ckptlab("report sweep --out report");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_complete_report(dir_ / "report",
                         {"ettr_vs_mtbf.png", "overhead_vs_mtbf.png", "ettr_vs_nodes.png",
                          "time_breakdown.png", "checkpoint_cost.png"});
  const std::string md = read_file(dir_ / "report" / "report.md");
  EXPECT_THAT(md, HasSubstr("ETTR at every point"));
  EXPECT_THAT(md, HasSubstr("95% confidence intervals"));  // replications: the caption says so
  EXPECT_THAT(md, HasSubstr(" ± "));
  // --out elsewhere leaves the results directory as it was.
  EXPECT_FALSE(fs::exists(dir_ / "sweep" / "report.md"));
}

TEST_F(ReportTest, ReportOfARunWithReplicationsShowsHalfWidthsInItsTable) {
  ASSERT_EQ(ckptlab("run tiny.yaml --set sweep=null --replications 3 --out run").status, 0);
  const Result r = ckptlab("report run");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_complete_report(dir_ / "run", {"time_breakdown.png", "checkpoint_cost.png"});
  const auto summary = nlohmann::json::parse(read_file(dir_ / "run" / "summary.json"));
  const std::string md = read_file(dir_ / "run" / "report.md");
  const std::string html = read_file(dir_ / "run" / "report.html");
  // Every policy's row of the results table: its ETTR ± the half-width summary.json states.
  for (const auto& p : summary.at("policies")) {
    const std::string label = p.at("policy");
    SCOPED_TRACE(label);
    ASSERT_TRUE(p.at("ci95").at("ettr").is_number());
    char ettr[64];
    std::snprintf(ettr, sizeof ettr, "%.4f ± %.4f", p.at("ettr").get<double>(),
                  p.at("ci95").at("ettr").get<double>());
    EXPECT_THAT(md, HasSubstr("| " + label + " | " + ettr + " |"));
    EXPECT_THAT(html, HasSubstr(ettr));
  }
  EXPECT_THAT(md, HasSubstr("vs best"));
  EXPECT_THAT(md, HasSubstr("95% confidence interval of ETTR"));  // the breakdown's error bars
}

// A real validation: the tiny harness scenario, short and small with the committed host profile
// (no calibration), a few seconds.
constexpr const char* kValidate =
    "validate --backend host " CKPTLAB_SOURCE_DIR
    "/tests/hw/data/tiny_validate.yaml --profile " CKPTLAB_SOURCE_DIR
    "/scenarios/hardware/host-amd-epyc-measured.yaml --iterations 6 --budget 8MiB "
    "--compute 5ms --repeats 1";

// Checks the predicted-vs-measured section: the figure (a real PNG, in the Markdown, embedded in
// the HTML), and a table row per policy and metric with both values, the error and the source.
void expect_validation(const fs::path& report_dir, const nlohmann::json& validation) {
  const std::string md = read_file(report_dir / "report.md");
  const std::string html = read_file(report_dir / "report.html");
  const std::string png = read_file(report_dir / "validation.png");
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(png.size(), 20000u);
  EXPECT_THAT(md, HasSubstr("![Predicted vs measured](validation.png)"));
  EXPECT_THAT(html, HasSubstr("<img src=\"data:image/png;base64,"));
  EXPECT_THAT(html, HasSubstr("alt=\"Predicted vs measured\""));
  EXPECT_THAT(md, HasSubstr("## Predicted vs measured (validation)"));
  EXPECT_THAT(md, HasSubstr("| policy | metric | measured | predicted | error | source of the "
                            "prediction |"));
  size_t rows = 0;
  for (const auto& p : validation.at("policies")) {
    const std::string label = p.at("policy");
    if (p.contains("skipped")) continue;
    for (const auto& m : p.at("metrics")) {
      SCOPED_TRACE(label + " " + m.at("metric").get<std::string>());
      const std::string row = "| " + label + " | `" + m.at("metric").get<std::string>() + "` | ";
      const size_t at = md.find(row);
      ASSERT_NE(at, std::string::npos);
      const std::string line = md.substr(at, md.find('\n', at) - at);
      if (m.at("error").is_number()) {
        char error[32];
        std::snprintf(error, sizeof error, "%+.1f%%", 100 * m.at("error").get<double>());
        EXPECT_THAT(line, HasSubstr(error));
      }
      // The source: a formula (the analytic executor, the job replay) or the calibration.
      EXPECT_THAT(line, ::testing::AnyOf(HasSubstr("formula: "), HasSubstr("calibration: ")));
      ++rows;
    }
  }
  EXPECT_GE(rows, 10u);  // 3 policies x 5 metrics in tiny_validate
  EXPECT_THAT(md, HasSubstr("calibration: `host-amd-epyc-measured`"));
  EXPECT_THAT(md, HasSubstr("formula: analytic executor"));
}

TEST_F(ReportTest, ReportWithAValidationPlotsPredictedVsMeasured) {
  ASSERT_EQ(ckptlab("run tiny.yaml --set sweep=null --out run").status, 0);
  // Found in the results directory.
  const Result v = ckptlab(std::string(kValidate) + " --out run/validation.json");
  ASSERT_EQ(v.status, 0) << v.err;
  const auto validation = nlohmann::json::parse(read_file(dir_ / "run" / "validation.json"));
  const Result r = ckptlab("report run");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("predicted vs measured"));
  expect_complete_report(dir_ / "run",
                         {"time_breakdown.png", "checkpoint_cost.png", "validation.png"});
  expect_validation(dir_ / "run", validation);

  // Named with --validation, from elsewhere; and a directory of `ckptlab validate` alone.
  fs::create_directories(dir_ / "elsewhere");
  fs::rename(dir_ / "run" / "validation.json", dir_ / "elsewhere" / "validation.json");
  ASSERT_EQ(ckptlab("report run --out plain").status, 0);
  EXPECT_FALSE(fs::exists(dir_ / "plain" / "validation.png"));
  EXPECT_THAT(read_file(dir_ / "plain" / "report.md"), Not(HasSubstr("Predicted vs measured")));
  const Result named = ckptlab("report run --out named --validation elsewhere/validation.json");
  ASSERT_EQ(named.status, 0) << named.err;
  expect_validation(dir_ / "named", validation);
  const Result alone = ckptlab("report elsewhere");
  ASSERT_EQ(alone.status, 0) << alone.err;
  expect_validation(dir_ / "elsewhere", validation);
  EXPECT_THAT(read_file(dir_ / "elsewhere" / "report.md"),
              HasSubstr("# ckptlab validation report: tiny_validate"));
  const Result missing = ckptlab("report run --validation nowhere.json");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("no such validation file"));
}

// A real `ckptlab advise` of every kind of policy on the small host-memory scenario: 6 GB of host
// memory too little for a second Gemini replica and a lost-tokens bound that rejects k_pec = 1
// and MoC-System's longer intervals (a few seconds).
constexpr const char* kAdvise =
    "advise " CKPTLAB_SOURCE_DIR
    "/tests/data/advise/host_memory.yaml --set hardware.host_memory=6GB --set horizon=10d "
    "--set 'policies=[{name: sync_full, interval: daly}, {name: async_two_level}, {name: "
    "in_memory, replicas: 1, placement: group, across_racks: false, persist_interval: 6h}, "
    "{name: moetion}, {name: moc_pec}]' --max-lost-tokens 0.005";

TEST_F(ReportTest, ReportOfAnAdvicePlotsEttrAgainstEachTunedParameter) {
  const Result a = ckptlab(std::string(kAdvise) + " --out adv");
  ASSERT_EQ(a.status, 0) << a.err;
  const auto advice = nlohmann::json::parse(read_file(dir_ / "adv" / "advice.json"));
  ASSERT_EQ(advice.at("policies").size(), 5u);

  // A directory holding advice.json (and advised.yaml) alone.
  const Result r = ckptlab("report adv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("advice from"));
  const std::string md = read_file(dir_ / "adv" / "report.md");
  const std::string html = read_file(dir_ / "adv" / "report.html");
  EXPECT_THAT(md, HasSubstr("# ckptlab advice report: advise-host-memory"));
  EXPECT_THAT(md, HasSubstr("| rank | policy | recommended settings | ETTR ± 95% CI | vs best | "
                            "binding constraint | evaluations |"));
  size_t images = 0;
  for (size_t at = html.find("src=\"data:image/png;base64,"); at != std::string::npos;
       at = html.find("src=\"data:image/png;base64,", at + 1)) {
    ++images;
  }
  EXPECT_EQ(images, advice.at("policies").size());  // one figure per policy, embedded
  EXPECT_THAT(html, Not(HasSubstr("<img src=\"advice")));
  for (const auto& p : advice.at("policies")) {
    const std::string label = p.at("policy");
    SCOPED_TRACE(label);
    const std::string png_name = "advice_" + label + ".png";
    const std::string png = read_file(dir_ / "adv" / png_name);
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
    EXPECT_GT(png.size(), 20000u);  // panels of points, not an empty canvas
    EXPECT_THAT(md, HasSubstr("](" + png_name + ")"));
    EXPECT_THAT(html, HasSubstr("alt=\"" + label + ": ETTR against each tuned parameter\""));
    // The ranked table: rank, policy, ETTR ± its half-width as advice.json states them.
    char ettr[64];
    std::snprintf(ettr, sizeof ettr, "%.4f ± %.4f", p.at("recommended").at("ettr").get<double>(),
                  p.at("recommended").at("ci95").get<double>());
    const std::string row = "| " + std::to_string(p.at("rank").get<int>()) + " | " + label + " | ";
    const size_t at = md.find(row);
    ASSERT_NE(at, std::string::npos);
    const std::string line = md.substr(at, md.find('\n', at) - at);
    EXPECT_THAT(line, HasSubstr(ettr));
    EXPECT_THAT(line, HasSubstr(p.at("binding_constraint").is_null()
                                    ? std::string("| none |")
                                    : "| `" + p.at("binding_constraint").get<std::string>() +
                                          "` |"));
  }
  // The constraints are named: the host memory binds Gemini, the lost-tokens bound shades
  // MoC-System's panels.
  EXPECT_THAT(md, HasSubstr("| in_memory | "));
  EXPECT_THAT(md, HasSubstr("`host_memory`"));
  EXPECT_THAT(md, HasSubstr("violate a constraint (`max_lost_tokens`)"));

  // Next to a run's summary.json: both the run's results and the advice.
  ASSERT_EQ(ckptlab("run adv/advised.yaml --out run").status, 0);
  fs::copy_file(dir_ / "adv" / "advice.json", dir_ / "run" / "advice.json");
  const Result both = ckptlab("report run");
  ASSERT_EQ(both.status, 0) << both.err;
  const std::string run_md = read_file(dir_ / "run" / "report.md");
  EXPECT_THAT(run_md, HasSubstr("Results per policy"));
  EXPECT_THAT(run_md, HasSubstr("## Advice (`ckptlab advise`)"));
  EXPECT_THAT(run_md, HasSubstr("](advice_moc_pec.png)"));
  EXPECT_THAT(run_md, HasSubstr("](time_breakdown.png)"));
}

TEST_F(ReportTest, NotAResultsDirectoryExitsTwo) {
  fs::create_directories(dir_ / "empty");
  const Result empty = ckptlab("report empty");
  EXPECT_EQ(empty.status, 2) << empty.err;
  EXPECT_THAT(empty.err, HasSubstr("neither summary.json"));
  EXPECT_THAT(empty.err, HasSubstr("advice.json"));
  const Result missing = ckptlab("report nowhere");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("no such results directory"));
  std::ofstream(dir_ / "empty" / "sweep.csv") << "not,a,sweep\n";
  const Result bad = ckptlab("report empty");
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("not a ckptlab sweep.csv"));
}

TEST_F(ReportTest, TraceOfARunWithThreeFailuresHasEveryFailureRecoveryAndCheckpoint) {
  // Seed 7 at a 4 h job MTBF on 128 nodes draws three failures in the 12 simulated hours.
  const Result r = ckptlab(
      "run tiny.yaml --set sweep=null --set failures.mtbf_job=4h --seed 7 --out run "
      "--trace trace.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("trace: trace.json"));
  const auto summary = nlohmann::json::parse(read_file(dir_ / "run" / "summary.json"));
  const auto trace = nlohmann::json::parse(read_file(dir_ / "trace.json"));
  const double horizon_us = summary.at("horizon_s").get<double>() * 1e6;

  std::map<int, std::string> process;                              // pid -> policy label
  std::map<std::pair<int, std::string>, int> count;                // (pid, event name) -> how many
  std::map<int, std::vector<std::pair<double, double>>> training;  // pid -> [ts, end)
  for (const auto& e : trace.at("traceEvents")) {
    const int pid = e.at("pid");
    if (e.at("ph") == "M") {
      if (e.at("name") == "process_name") process[pid] = e.at("args").at("name");
      continue;
    }
    const std::string name = e.at("name");
    ++count[{pid, name.rfind("failure: ", 0) == 0 ? "failure" : name}];
    const double ts = e.at("ts");
    EXPECT_GE(ts, 0.0) << e.dump();
    if (e.at("ph") == "X") {
      const double end = ts + e.at("dur").get<double>();
      EXPECT_LE(end, horizon_us * (1 + 1e-12)) << e.dump();
      if (name == "training") training[pid].push_back({ts, end});
    }
  }
  const auto n = [&](int pid, const std::string& name) { return count[{pid, name}]; };
  ASSERT_EQ(process.size(), kPolicies.size());
  for (const auto& p : summary.at("policies")) {
    const int pid = static_cast<int>(&p - &summary.at("policies")[0]) + 1;
    const std::string label = p.at("policy");
    SCOPED_TRACE(label);
    EXPECT_EQ(process[pid], label);
    ASSERT_EQ(p.at("failures"), 3);
    EXPECT_EQ(n(pid, "failure"), 3);
    // Each failure is followed by a recovery (the last may still run at the horizon) and then
    // by a stretch of training: one more stretch than recoveries, none overlapping.
    const int recoveries = n(pid, "recovery") + n(pid, "recovery (unfinished at the horizon)");
    EXPECT_GE(recoveries, 1);
    EXPECT_LE(recoveries, 3);
    EXPECT_EQ(n(pid, "training"), n(pid, "recovery") + 1);
    auto& stretches = training[pid];
    for (size_t i = 1; i < stretches.size(); ++i) {
      EXPECT_LE(stretches[i - 1].second, stretches[i].first);
    }
    EXPECT_EQ(n(pid, "checkpoint"), p.at("checkpoints").get<int>());
  }
}

}  // namespace
