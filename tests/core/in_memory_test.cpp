// in_memory (Gemini): replica placement, recovery from peer memory, storage fallback.
#include "policies/in_memory.hpp"

#include <gtest/gtest.h>

#include "core/job_fixture.hpp"
#include "exec/analytic_executor.hpp"
#include "job/job_run.hpp"

namespace ckptlab {
namespace {

using testing::failure_at;
using testing::ScriptedFailures;
using testing::SmallJob;

constexpr const char* kEightNodes = "{ep: 8, zero_stage: 1, global_batch_tokens: 1M}";

InMemoryPolicy& as_in_memory(Policy& p) { return dynamic_cast<InMemoryPolicy&>(p); }

JobResult run_scripted(SmallJob& job, Policy& policy, std::vector<FailureEvent> failures,
                       double horizon_s) {
  ScriptedFailures process(std::move(failures));
  RestartSpec restart;
  restart.reschedule_wait = Seconds{30};
  SparePool spares(restart);
  JobSettings s;
  s.iteration_time = job.iteration_time;
  s.horizon = Seconds{horizon_s};
  return run_job(policy, job.executor, process, spares, s);
}

FailureEvent failure_of(double t, std::vector<std::int64_t> nodes) {
  FailureEvent f = failure_at(t);
  f.nodes = std::move(nodes);
  return f;
}

TEST(InMemory, GroupPlacementPutsPeersInOtherRacks) {
  SmallJob job(1.0, 1e18, 0, 8, kEightNodes, /*nodes_per_rack=*/2);
  auto policy = job.policy("{name: in_memory, replicas: 1}");
  const auto& p = as_in_memory(*policy);
  for (std::int64_t n = 0; n < 8; ++n) {
    const auto holders = p.replica_holders(n);
    ASSERT_EQ(holders.size(), 1u);
    EXPECT_NE(job.cluster.rack_of(holders[0]), job.cluster.rack_of(n)) << "node " << n;
    // Group placement is symmetric: my holder holds me and I hold it.
    EXPECT_EQ(p.replica_holders(holders[0]), std::vector<std::int64_t>{n});
  }
  // A whole rack (nodes 0 and 1) fails: their copies are in rack 1, so memory recovery works.
  EXPECT_TRUE(p.survives_in_memory({0, 1}));
  // A node and its holder fail together: no copy is left.
  EXPECT_FALSE(p.survives_in_memory({0, 2}));
}

TEST(InMemory, RingPlacementWithinRackLosesBothCopiesOnARackFailure) {
  SmallJob job(1.0, 1e18, 0, 8, kEightNodes, 2);
  auto policy = job.policy("{name: in_memory, placement: ring, across_racks: false}");
  const auto& p = as_in_memory(*policy);
  EXPECT_EQ(p.replica_holders(0), std::vector<std::int64_t>{1});
  EXPECT_EQ(p.replica_holders(7), std::vector<std::int64_t>{0});
  EXPECT_FALSE(p.survives_in_memory({0, 1}));
  EXPECT_TRUE(p.survives_in_memory({0}));
}

TEST(InMemory, NodeFailureRestoresTheNewestReplicaFromPeerMemory) {
  SmallJob job(1.0, 1e18, 0, 8, kEightNodes, 2);
  job.executor.set("in_memory", 0.2, 0.3);
  job.executor.set("in_memory:peer_load", 2.0, 0);
  auto policy = job.policy("{name: in_memory, interval_iterations: 1}");
  const JobResult r = run_scripted(job, *policy, {failure_of(100.25, {3})}, 400);
  EXPECT_EQ(r.failures, 1);
  ASSERT_EQ(r.recoveries_completed, 1);
  // Checkpoints every iteration: at most the iteration in flight and the one whose replication
  // was still running are lost.
  EXPECT_LE(r.rolled_back_iterations, 1);
  EXPECT_EQ(r.ledger.of(TimeCategory::kStateLoad), to_nanos(Seconds{2.0}));
  for (const auto& e : r.timeline) {
    if (e.event != "failure") continue;
    EXPECT_NE(e.detail.find("from peer_host"), std::string::npos) << e.detail;
  }
  EXPECT_EQ(r.ledger.total(), r.wall);
}

TEST(InMemory, LosingEveryReplicaFallsBackToStorage) {
  SmallJob job(1.0, 1e18, 0, 8, kEightNodes, 2);
  job.executor.set("in_memory", 0.2, 0.3);
  job.executor.set("full_load", 5.0, 0);
  // Persist every 50 iterations; each iteration takes 1.2 s (0.2 s blocking snapshot), so
  // version 100 is persisted at 120.5 s; nodes 0 and 2 (a group) fail together at 125 s.
  auto policy = job.policy("{name: in_memory, interval_iterations: 1, persist_interval: 50s}");
  const JobResult r = run_scripted(job, *policy, {failure_of(125, {0, 2})}, 400);
  ASSERT_EQ(r.failures, 1);
  for (const auto& e : r.timeline) {
    if (e.event == "failure") {
      EXPECT_NE(e.detail.find("from storage"), std::string::npos) << e.detail;
      EXPECT_NE(e.detail.find("restore version 100"), std::string::npos) << e.detail;
    }
  }
  EXPECT_EQ(r.ledger.of(TimeCategory::kStateLoad), to_nanos(Seconds{5.0}));
}

TEST(InMemory, HostMemoryTooSmallForReplicasIsRejectedWithTheNumbers) {
  SmallJob job(1.0, 1e18, 0, 8, kEightNodes, 2);
  job.hardware.host_memory = Bytes{1'000'000'000};
  try {
    job.policy("{name: in_memory, replicas: 3}");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("host memory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1.00 GB"), std::string::npos) << e.what();
  }
}

TEST(InMemory, CheckpointsEveryIterationWhenTrafficFitsTheIdleNetworkTime) {
  SmallJob job(10.0, 1e18, 0, 8, kEightNodes, 2);
  AnalyticExecutor analytic(job.cluster, job.hardware);
  const PolicyContext ctx{job.model, job.parallel, job.cluster, job.hardware, *job.shards,
                          analytic, job.iteration_time, 1e18, Seconds{0}};
  auto policy = make_policy(ConfigNode::load_string("{name: in_memory}", "p.yaml"), ctx);
  // 125M parameters on 8 nodes: far below one iteration of 10 s at 400 GB/s per node.
  EXPECT_EQ(policy->interval_iterations(), 1);
  EXPECT_NE(policy->sources().at("checkpoint_interval").find("Gemini rule"), std::string::npos);
}

}  // namespace
}  // namespace ckptlab
