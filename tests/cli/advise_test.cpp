// `ckptlab advise` end to end: the ranked table, advice.json (chosen settings, ETTR and ci95,
// shares, binding constraint, every candidate), advised.yaml that `ckptlab run` accepts unchanged
// and that reproduces the advised ETTR, a host-memory limit that binds and changes the
// recommendation, a lost-tokens bound, and bad input handled as `ckptlab run` handles it.
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

#include "cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

const std::string kData = std::string(CKPTLAB_SOURCE_DIR) + "/tests/data/advise/";

using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::Result;

using AdviseCli = ckptlab::cli_test::CkptlabTest;

// A quarter of the Daly scenario's year keeps the test short.
const std::string kDaly = quoted(kData + "daly.yaml") + " --set horizon=90d";

TEST_F(AdviseCli, WritesAdviceAndAScenarioThatRunReproduces) {
  const Result r = ckptlab("advise " + kDaly + " --out adv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ETTR (95% CI)"));
  EXPECT_THAT(r.out, HasSubstr("binding"));
  EXPECT_THAT(r.out, HasSubstr("interval_iterations="));
  EXPECT_THAT(r.err, HasSubstr("advise: sync_full"));  // progress on stderr

  const json advice = json::parse(read_file(dir_ / "adv" / "advice.json"));
  ASSERT_EQ(advice["policies"].size(), 1u);
  const json& p = advice["policies"][0];
  EXPECT_EQ(p["policy"], "sync_full");
  EXPECT_EQ(p["rank"], 1);
  EXPECT_TRUE(p["binding_constraint"].is_null());
  EXPECT_TRUE(p["settings"].contains("interval_iterations"));
  EXPECT_EQ(p["closed_form"]["rule"], "Daly (interval: daly)");
  EXPECT_GE(p["evaluations"].get<int>(), 3);
  EXPECT_EQ(p["candidates"].size(), p["evaluations"].get<std::size_t>());
  for (const json& c : p["candidates"]) {
    EXPECT_TRUE(c.contains("ettr"));
    EXPECT_TRUE(c.contains("interval_iterations"));
  }
  const json& rec = p["recommended"];
  for (const char* key : {"checkpoint_stall", "lost_work", "recovery"}) {
    EXPECT_GE(rec["share_of_wall"][key].get<double>(), 0) << key;
  }
  EXPECT_GT(rec["ci95"].get<double>(), 0);
  EXPECT_EQ(advice["evaluations"].get<int>(), p["evaluations"].get<int>());

  // advised.yaml runs unchanged and gives the advised ETTR (same seeds, same replications).
  const int reps = rec["replications"].get<int>();
  const Result run =
      ckptlab("run adv/advised.yaml --out run --replications " + std::to_string(reps));
  ASSERT_EQ(run.status, 0) << run.err;
  const json summary = json::parse(read_file(dir_ / "run" / "summary.json"));
  EXPECT_NEAR(summary["policies"][0]["ettr"].get<double>(), rec["ettr"].get<double>(), 1e-12);
  EXPECT_EQ(summary["policies"][0]["checkpoint_interval_s"].get<double>(),
            rec["interval_s"].get<double>());

  // An existing output directory is kept unless --force.
  EXPECT_EQ(ckptlab("advise " + kDaly + " --out adv").status, 2);
  EXPECT_EQ(ckptlab("advise " + kDaly + " --out adv --force").status, 0);
}

TEST_F(AdviseCli, HostMemoryTooSmallForASecondReplicaBindsAndChangesTheRecommendation) {
  const std::string scenario = quoted(kData + "host_memory.yaml");
  const Result free = ckptlab("advise " + scenario + " --out free");
  ASSERT_EQ(free.status, 0) << free.err;
  const json unbound = json::parse(read_file(dir_ / "free" / "advice.json"))["policies"][0];
  EXPECT_EQ(unbound["settings"]["replicas"], "2");
  EXPECT_TRUE(unbound["binding_constraint"].is_null());

  // A node's snapshot is 2.65 GB: 6 GB holds it and one peer's copy, not two.
  const Result tight =
      ckptlab("advise " + scenario + " --set hardware.host_memory=6GB --out tight");
  ASSERT_EQ(tight.status, 0) << tight.err;
  const json bound = json::parse(read_file(dir_ / "tight" / "advice.json"))["policies"][0];
  EXPECT_EQ(bound["settings"]["replicas"], "1");
  EXPECT_EQ(bound["binding_constraint"], "host_memory");
  EXPECT_THAT(bound["binding_detail"].get<std::string>(), HasSubstr("host memory"));
  EXPECT_THAT(tight.out, HasSubstr("host_memory"));
  bool rejected = false;
  for (const json& c : bound["candidates"]) {
    if (c["settings"].value("replicas", "") == "2") {
      rejected = true;
      EXPECT_FALSE(c["feasible"].get<bool>());
      EXPECT_EQ(c["violated"], "host_memory");
    }
  }
  EXPECT_TRUE(rejected) << "the search never tried a second replica";
  EXPECT_LT(bound["recommended"]["ettr"].get<double>(),
            unbound["recommended"]["ettr"].get<double>());
  // The advised scenario keeps the limit and still runs.
  EXPECT_EQ(ckptlab("run tight/advised.yaml --no-write --replications 1").status, 0);
}

TEST_F(AdviseCli, BadInputExitsTwoWithFileLineAndKey) {
  const fs::path bad = dir_ / "bad.yaml";
  std::string text = read_file(kData + "daly.yaml");
  const std::string policy = "  - {name: sync_full, interval: 30m}";
  text.replace(text.find(policy), policy.size(), "  - {name: sync_full, intervl: 30m}");
  std::ofstream(bad) << text;
  const Result r = ckptlab("advise bad.yaml --out never");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:"));
  EXPECT_THAT(r.err, HasSubstr("policies[0].intervl"));
  EXPECT_THAT(r.err, HasSubstr("did you mean 'interval'"));
  EXPECT_FALSE(fs::exists(dir_ / "never"));
  EXPECT_EQ(ckptlab("advise " + kDaly + " --max-lost-tokens lots --no-write").status, 2);
  EXPECT_EQ(ckptlab("advise " + kDaly + " --backend gpu --no-write").status, 2);
  EXPECT_EQ(ckptlab("advise").status, 2);
}

// MoC-System's partial checkpoints lose tokens; k_pec = 1 loses about 0.28% of them here even
// when it checkpoints every iteration, k_pec = 2 about 0.12%.
TEST_F(AdviseCli, LostTokensBoundRejectsTooPartialCheckpoints) {
  const Result r = ckptlab("advise " + quoted(kData + "host_memory.yaml") +
                           " --set 'policies=[{name: moc_pec}]' --set horizon=10d"
                           " --max-lost-tokens 0.002 --out pec");
  ASSERT_EQ(r.status, 0) << r.err;
  const json advice = json::parse(read_file(dir_ / "pec" / "advice.json"));
  EXPECT_EQ(advice["constraints"]["max_lost_tokens"].get<double>(), 0.002);
  const json& p = advice["policies"][0];
  EXPECT_LE(p["recommended"]["lost_tokens_fraction"].get<double>(), 0.002);
  EXPECT_NE(p["settings"]["k_pec"], nullptr);  // k_pec = 1 (the default) is not kept
  bool rejected = false;
  for (const json& c : p["candidates"]) {
    if (c["violated"] == "max_lost_tokens") {
      rejected = true;
      EXPECT_GT(c["lost_tokens_fraction"].get<double>(), 0.002);
    }
  }
  EXPECT_TRUE(rejected);
  EXPECT_EQ(ckptlab("run pec/advised.yaml --no-write --replications 1").status, 0);
}

// The finalists run again on SimGrid when asked (and the program has it).
TEST_F(AdviseCli, ConfirmsFinalistsOnTheSimBackend) {
  const Result r = ckptlab("advise " + kDaly + " --set horizon=30d --backend sim --out sim");
  if (r.status == 2 && r.err.find("without SimGrid") != std::string::npos) {
    GTEST_SKIP() << "built without SimGrid";
  }
  ASSERT_EQ(r.status, 0) << r.err;
  const json advice = json::parse(read_file(dir_ / "sim" / "advice.json"));
  EXPECT_EQ(advice["search_backend"], "analytic");
  EXPECT_EQ(advice["confirm_backend"], "sim");
  const json& p = advice["policies"][0];
  EXPECT_EQ(p["recommended"]["backend"], "sim");
  EXPECT_GE(p["finalists"].size(), 1u);
  for (const json& c : p["candidates"]) EXPECT_EQ(c["backend"], "analytic");
}

}  // namespace
