// The share of a node's resources that a checkpoint's background ops take, and the training
// slow-down it sets (exec/node_capacity.hpp): a persist throttled by the shared storage tier
// takes only the part of the node it actually moves.
#include <gtest/gtest.h>

#include "core/job_fixture.hpp"
#include "core/moe_fixture.hpp"
#include "exec/analytic_executor.hpp"
#include "exec/node_capacity.hpp"
#include "failure/failure_process.hpp"
#include "failure/restart_model.hpp"
#include "policies/full_state.hpp"

namespace ckptlab {
namespace {

// 8 GPUs per node at 50 GB/s PCIe, 400 GB/s of NICs, a 40 GB/s storage client, a 64 GB/s tier.
HardwareProfile small_profile() {
  HardwareProfile h;
  h.pcie_d2h = h.pcie_h2d = BytesPerSecond{50e9};
  h.nics_per_node = 8;
  h.nic_bandwidth = BytesPerSecond{50e9};
  h.local_disk_write = h.local_disk_read = BytesPerSecond{10e9};
  h.storage_write = h.storage_read = BytesPerSecond{64e9};
  h.storage_per_client = BytesPerSecond{40e9};
  h.background_slowdown = 0.03;
  return h;
}

// A blocking snapshot (1 GB per GPU) then a background persist of it to `to`.
Plan snapshot_then_persist(std::int64_t gpus, Tier to) {
  const std::vector<Bytes> bytes(static_cast<size_t>(gpus), Bytes{1'000'000'000});
  return full_checkpoint_plan(bytes, to, /*persist_blocking=*/false,
                              std::string("share-test:") + tier_name(to));
}

ClusterSpec nodes(std::int64_t n) {
  ClusterSpec c;
  c.nodes = n;
  c.gpus_per_node = 8;
  return c;
}

TEST(BackgroundShare, APersistThrottledBySharedStorageTakesOnlyWhatItMoves) {
  // 16 nodes x 8 GB at 40 GB/s each would need 640 GB/s; the tier gives 64 GB/s, 4 GB/s a
  // node: the persist takes 2 s instead of 0.2 s at full rate, a tenth of the node.
  const ClusterSpec cluster = nodes(16);
  AnalyticExecutor executor(cluster, small_profile());
  const PlanTiming t = executor.execute(snapshot_then_persist(cluster.gpus(), Tier::kStorage));
  EXPECT_NEAR(t.blocking.value, 0.02, 1e-12);
  EXPECT_NEAR(t.total.value - t.blocking.value, 2.0, 1e-9);
  EXPECT_NEAR(t.background_share, 0.1, 1e-9);
  // Training runs at 1 / (1 + 0.003) of its pace for the 2 s.
  EXPECT_NEAR(background_overhead(t, 0.03).value, 2.0 * 0.003 / 1.003, 1e-9);
}

TEST(BackgroundShare, APersistAtTheNodesOwnRateTakesAllOfIt) {
  // One node alone is capped by its client (40 GB/s) and local disk by the NVMe: full rate.
  for (Tier to : {Tier::kStorage, Tier::kLocalDisk}) {
    const ClusterSpec cluster = nodes(1);
    AnalyticExecutor executor(cluster, small_profile());
    const PlanTiming t = executor.execute(snapshot_then_persist(cluster.gpus(), to));
    EXPECT_NEAR(t.background_share, 1.0, 1e-9) << tier_name(to);
  }
}

TEST(BackgroundShare, IsZeroWithoutBackgroundOpsAndCountsOnlyTheTimeTrainingRuns) {
  const ClusterSpec cluster = nodes(16);
  const NodeCapacity capacity = node_capacity(cluster, small_profile());
  Plan plan = snapshot_then_persist(cluster.gpus(), Tier::kStorage);
  plan.ops[1].blocking = true;
  AnalyticExecutor executor(cluster, small_profile());
  plan.signature = "all-blocking";
  EXPECT_EQ(executor.execute(plan).background_share, 0.0);

  // A background op that started during the stall counts only for its part after it.
  PlanTiming t;
  t.op_start = {Seconds{0}, Seconds{0}};
  t.op_end = {Seconds{1}, Seconds{2}};
  t.blocking = Seconds{1};
  t.total = Seconds{2};
  Plan overlapping = snapshot_then_persist(cluster.gpus(), Tier::kLocalDisk);
  overlapping.ops[1].after.clear();
  // Full rate on the NVMe: 8 GB / 10 GB/s = 0.8 s, spread over 2 s; half of it after the stall.
  EXPECT_NEAR(background_share(overlapping, t, capacity, cluster.nodes), 0.4 / 1.0, 1e-9);
}

TEST(BackgroundShare, TheJobSlowsTrainingBySlowdownTimesShare) {
  // DeepSeek-MoE-16B on 256 nodes: the persist of each checkpoint is storage-bound for part of
  // its time (the nodes with less to write finish first and leave the tier to the busiest), and
  // with no failures every background second slows training by 3% x its share.
  testing::MoeJob job("deepseek-moe-16b", 256, 64, 1, 10.0);
  auto policy = job.policy("{name: async_two_level, interval_iterations: 50}");
  const Plan* plan = policy->checkpoint_plan(50);
  ASSERT_NE(plan, nullptr);
  const PlanTiming t = job.executor->execute(*plan);
  ASSERT_LT(t.background_share, 0.8);
  ASSERT_GT(t.background_share, 0.0);
  ASSERT_LT((t.total - t.blocking).value, 500.0);  // each persist ends before the next snapshot
  testing::ScriptedFailures none({});
  SparePool spares(testing::instant_restart());
  const JobResult r = run_job(*policy, *job.executor, none, spares,
                              testing::job_settings(job.iteration_time, 100'000, 0.03));
  ASSERT_GT(r.checkpoints_completed, 100);
  // Every completed checkpoint slowed training by its full overhead; the one in flight at the
  // horizon by part of it (rounding: at most a nanosecond per slowed iteration).
  const double per_checkpoint = background_overhead(t, 0.03).value;
  const double slowdown = to_seconds(r.ledger.of(TimeCategory::kSlowdown)).value;
  const double tolerance = 1e-6 * static_cast<double>(r.checkpoints_started);
  EXPECT_GE(slowdown, static_cast<double>(r.checkpoints_completed) * per_checkpoint - tolerance);
  EXPECT_LE(slowdown, static_cast<double>(r.checkpoints_started) * per_checkpoint + tolerance);
  EXPECT_GT(per_checkpoint, 0.0);
}

}  // namespace
}  // namespace ckptlab
