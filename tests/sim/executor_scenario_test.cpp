// The sim backend under the job state machine: agreement with the analytic backend where nothing
// saturates, the storage bottleneck, a failure during a write, and determinism.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "exec/analytic_executor.hpp"
#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"
#include "job/job_run.hpp"
#include "policies/full_state.hpp"
#include "run/run_scenario.hpp"
#include "run/summary.hpp"
#include "scenario/scenario.hpp"
#include "sim/simgrid_executor.hpp"
#include "sim_test_platform.hpp"

namespace ckptlab::sim {
namespace {

using testing::test_hardware;
using testing::test_simulation;

// tests/sim/data/small_sim.yaml with the test platform's bandwidths (the same numbers as the
// shipped h100-ib-ndr profile, made explicit so that both backends see one platform).
Scenario small_scenario(const std::vector<std::string>& overrides = {}) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  Scenario s =
      load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/tests/sim/data/small_sim.yaml", overrides);
  const HardwareProfile platform = test_hardware();
  s.hardware.pcie_d2h = platform.pcie_d2h;
  s.hardware.pcie_h2d = platform.pcie_h2d;
  s.hardware.nics_per_node = platform.nics_per_node;
  s.hardware.nic_bandwidth = platform.nic_bandwidth;
  s.hardware.local_disk_write = platform.local_disk_write;
  s.hardware.local_disk_read = platform.local_disk_read;
  s.hardware.storage_write = platform.storage_write;
  s.hardware.storage_read = platform.storage_read;
  s.hardware.storage_per_client = platform.storage_per_client;
  return s;
}

double ettr(const JobResult& job) {
  return static_cast<double>(job.ledger.of(TimeCategory::kProductive)) /
         static_cast<double>(job.wall);
}

class OneFailure final : public FailureProcess {
 public:
  explicit OneFailure(FailureEvent event) : event_(std::move(event)) {}
  std::optional<FailureEvent> next() override {
    if (done_) return std::nullopt;
    done_ = true;
    return event_;
  }

 private:
  FailureEvent event_;
  bool done_ = false;
};

TEST(SimBackend, AgreesWithTheAnalyticEttrWithinOnePercentFarFromSaturation) {
  const Scenario s = small_scenario();
  AnalyticExecutor analytic_executor(s.cluster, s.hardware);
  SimGridExecutor sim_executor(test_simulation(), s.cluster);
  const RunOutcome analytic = run_scenario(s, analytic_executor);
  const RunOutcome sim = run_scenario(s, sim_executor);
  ASSERT_EQ(analytic.policies.size(), sim.policies.size());
  for (size_t i = 0; i < sim.policies.size(); ++i) {
    SCOPED_TRACE(sim.policies[i].label);
    const double a = ettr(analytic.policies[i].job);
    const double b = ettr(sim.policies[i].job);
    EXPECT_NEAR(a, b, 0.01);
    EXPECT_GT(sim.policies[i].job.failures, 0);
  }
  EXPECT_EQ(sim.backend, "sim");
}

TEST(SimBackend, StorageBoundCheckpointStallDoublesWithTheNodesWriting) {
  // Every rank writes 8 GB: 1,024 nodes offer 64 TB against a 2 TB/s tier, 32 s of persist,
  // while a node alone would need 64 GB / 40 GB/s = 1.6 s.
  auto stall = [](std::int64_t nodes) {
    ClusterSpec cluster;
    cluster.nodes = nodes;
    SimGridExecutor executor(test_simulation(), cluster);
    const std::vector<Bytes> writes(static_cast<size_t>(cluster.gpus()), Bytes{8'000'000'000});
    return executor.execute(full_checkpoint_plan(writes, Tier::kStorage, true, "sync")).blocking;
  };
  const double one = stall(1024).value;
  const double two = stall(2048).value;
  EXPECT_NEAR(two / one, 2.0, 0.2);
  EXPECT_GT(one, 30.0);
}

TEST(SimBackend, AFailureMidPersistLeavesThePreviousCheckpointInForce) {
  const Scenario s = small_scenario();
  SimGridExecutor executor(test_simulation(), s.cluster);
  auto policies = build_policies(s, executor);
  Policy& sync = *policies.front();  // sync_full@10: a blocking checkpoint every 10 iterations
  ASSERT_EQ(sync.interval_iterations(), 10);
  const PlanTiming timing = executor.execute(*sync.checkpoint_plan(10));
  const Nanos iteration = to_nanos(s.iteration_time);
  const Nanos stall = to_nanos(timing.blocking);
  const Nanos snapshot = to_nanos(timing.op_end[0]);
  ASSERT_LT(snapshot, stall);
  // Checkpoint 1 (version 10) runs in [10 t, 10 t + stall]; checkpoint 2 (version 20) starts at
  // 20 t + stall, and its persist runs after its snapshot: fail half-way through that persist.
  FailureEvent failure;
  failure.time = 20 * iteration + stall + (snapshot + stall) / 2;
  failure.nodes = {5};
  failure.kind = "gpu";
  failure.detection = Seconds{60};
  OneFailure failures(failure);
  SparePool spares(s.restart);
  JobSettings settings;
  settings.iteration_time = s.iteration_time;
  settings.horizon = to_seconds(60 * iteration + 10 * stall) + Seconds{3600};
  settings.process_restart = s.restart.process_restart;
  const JobResult job = run_job(sync, executor, failures, spares, settings);
  EXPECT_EQ(job.failures, 1);
  EXPECT_EQ(job.checkpoints_aborted, 1);
  EXPECT_EQ(job.rolled_back_iterations, 10);
  bool restored_previous = false;
  for (const TimelineEvent& e : job.timeline)
    if (e.event == "failure")
      restored_previous = e.detail.find("restore version 10 from storage") != std::string::npos;
  EXPECT_TRUE(restored_previous);
}

// Whether node `failed` takes part in node m's flows of `op`: its own bytes, or a peer transfer
// to or from it (SimGridExecutor::peer_of).
bool touches(const Op& op, std::int64_t failed, const SimGridExecutor& sim, int gpus) {
  const bool peer = op.kind == OpKind::kTransfer || op.from == Tier::kPeerHost ||
                    op.to == Tier::kPeerHost;
  for (size_t r = 0; r < op.rank_bytes.size(); ++r) {
    if (op.rank_bytes[r].value == 0) continue;
    const auto node = static_cast<std::int64_t>(r) / gpus;
    if (node == failed || (peer && sim.peer_of(node) == failed)) return true;
  }
  return false;
}

// The hybrid model's shortcut, checked against the full simulation: the job state machine
// counts a checkpoint's write as done when it ended before the failure and tears the rest,
// without switching hosts off. For every shipped policy's checkpoint plan, SimGrid with the
// failed node switched off mid-plan completes every op that ended before the failure, at the
// same time, and kills every op whose failed node's part was still in flight (a failure just
// after the op started). An op can still complete in SimGrid when the failed node's part of it
// was already written; the job tears that version too, since the failed node lost its state
// and a version needs every rank: the conservative reading of DESIGN.md §3.
TEST(SimBackend, SwitchingTheFailedNodeOffMidPlanCompletesWhatTheJobCounts) {
  const Scenario s = small_scenario(
      {"policies=[{name: sync_full, interval_iterations: 10}, {name: async_two_level}, "
       "{name: in_memory, replicas: 1}, {name: moetion, replicas: 1}, "
       "{name: moc_pec, k_pec: 2}]"});
  SimGridExecutor executor(test_simulation(), s.cluster);
  auto policies = build_policies(s, executor);
  ASSERT_EQ(policies.size(), 5u);
  const std::int64_t failed = 5;
  for (auto& policy : policies) {
    SCOPED_TRACE(policy->kind());
    const Plan* plan = nullptr;
    for (std::int64_t it = 1; it <= 10'000 && plan == nullptr; ++it) plan = policy->checkpoint_plan(it);
    ASSERT_NE(plan, nullptr);
    const PlanTiming healthy = executor.execute(*plan);
    std::vector<double> failure_times;
    for (double fraction : {0.3, 0.8}) failure_times.push_back(healthy.total.value * fraction);
    for (size_t i = 0; i < plan->ops.size(); ++i) {
      const double length = healthy.op_end[i].value - healthy.op_start[i].value;
      if (length > 0 && touches(plan->ops[i], failed, executor, s.cluster.gpus_per_node))
        failure_times.push_back(healthy.op_start[i].value + 1e-3 * length);
    }
    int killed = 0;
    for (double at : failure_times) {
      SCOPED_TRACE(at);
      const InterruptedPlanTiming hit =
          executor.execute_with_failure(*plan, Seconds{at}, {failed});
      for (size_t i = 0; i < plan->ops.size(); ++i) {
        SCOPED_TRACE(plan->ops[i].label);
        const double start = healthy.op_start[i].value;
        const double end = healthy.op_end[i].value;
        if (end < at) {
          EXPECT_TRUE(hit.completed[i]);
          EXPECT_NEAR(hit.timing.op_end[i].value, end, 1e-9 * healthy.total.value);
        } else if (at < start + 2e-3 * (end - start) &&
                   touches(plan->ops[i], failed, executor, s.cluster.gpus_per_node)) {
          EXPECT_FALSE(hit.completed[i]);
          ++killed;
        }
      }
    }
    EXPECT_GT(killed, 0) << "no failure fell inside an op of the failed node";
  }
}

TEST(SimBackend, TheSameSeedGivesAByteIdenticalSummary) {
  // Each run in a fresh process, as `ckptlab run` does: the engine's clock starts at 0, so the
  // same plans are simulated at the same instants. (Within one process a later run starts at a
  // later clock, and a duration may differ in its last bits: see executor_test.cpp.)
  const std::string dir = ::testing::TempDir();
  for (const char* name : {"summary-a.json", "summary-b.json"}) {
    const std::string path = dir + "/" + name;
    testing::in_own_process([&] {
      const Scenario s = small_scenario({"horizon=2d"});
      SimGridExecutor executor(s.cluster, s.hardware);  // the scenario's own platform
      std::ofstream(path) << make_summary(s, run_scenario(s, executor), "test").dump(2);
      return true;
    });
  }
  auto read = [&](const char* name) {
    std::ifstream in(dir + "/" + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string first = read("summary-a.json");
  EXPECT_EQ(first, read("summary-b.json"));
  EXPECT_NE(first.find("\"backend\": \"sim\""), std::string::npos);
}

}  // namespace
}  // namespace ckptlab::sim
