// SimGridExecutor on the shared star platform: each op kind against the analytic formulas, the
// DAG, contention between the ops of one plan, memoization and failure injection.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "exec/analytic_executor.hpp"
#include "sim/simgrid_executor.hpp"
#include "sim_test_platform.hpp"

namespace ckptlab::sim {
namespace {

using testing::test_hardware;
using testing::test_platform_spec;
using testing::test_simulation;

constexpr double kRelTolerance = 1e-6;

ClusterSpec cluster_of(std::int64_t nodes) {
  ClusterSpec c;
  c.nodes = nodes;
  c.gpus_per_node = 8;
  c.nodes_per_rack = 32;
  return c;
}

// Uneven bytes: GPU g of node n moves (1 + g/8 + n/100) GB, so the busiest GPU and the busiest
// node both matter.
std::vector<Bytes> uneven_bytes(const ClusterSpec& c) {
  std::vector<Bytes> bytes;
  for (std::int64_t r = 0; r < c.gpus(); ++r) {
    const std::int64_t node = r / c.gpus_per_node;
    const std::int64_t gpu = r % c.gpus_per_node;
    bytes.push_back(Bytes{1'000'000'000 + gpu * 125'000'000 + node * 10'000'000});
  }
  return bytes;
}

Op op_of(OpKind kind, Tier from, Tier to, std::vector<Bytes> bytes) {
  Op op;
  op.kind = kind;
  op.from = from;
  op.to = to;
  op.rank_bytes = std::move(bytes);
  op.label = op_kind_name(kind);
  return op;
}

Plan single(Op op, std::string signature = "") {
  Plan plan;
  plan.signature = std::move(signature);
  plan.add(std::move(op));
  return plan;
}

// Network hops cross two links of the star, each with the platform's latency; the analytic
// model has no latency.
double network_hops(const Op& op) {
  if (op.kind == OpKind::kTransfer) return 1;
  double hops = 0;
  for (Tier t : {op.from, op.to})
    if (t == Tier::kPeerHost || t == Tier::kStorage) ++hops;
  return op.from == op.to ? 0 : hops;
}

void expect_close(double actual, double expected) {
  EXPECT_NEAR(actual, expected, kRelTolerance * expected + 1e-12);
}

TEST(SimGridExecutor, EveryOpKindTakesTheAnalyticTimeWhenNothingOverlaps) {
  // 32 nodes: their 32 x 40 GB/s client caps stay below the 2 TB/s storage tier.
  const ClusterSpec cluster = cluster_of(32);
  SimGridExecutor sim(test_simulation(), cluster);
  AnalyticExecutor analytic(cluster, test_hardware());
  const double latency = 2 * test_platform_spec().link_latency.value;
  const auto bytes = uneven_bytes(cluster);
  std::vector<Op> ops = {
      op_of(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, bytes),
      op_of(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, bytes),
      op_of(OpKind::kPersist, Tier::kHost, Tier::kLocalDisk, bytes),
      op_of(OpKind::kPersist, Tier::kHost, Tier::kStorage, bytes),
      op_of(OpKind::kPersist, Tier::kGpu, Tier::kStorage, bytes),
      op_of(OpKind::kLoad, Tier::kStorage, Tier::kGpu, bytes),
      op_of(OpKind::kLoad, Tier::kLocalDisk, Tier::kGpu, bytes),
      op_of(OpKind::kLoad, Tier::kPeerHost, Tier::kGpu, bytes),
      op_of(OpKind::kLoad, Tier::kHost, Tier::kGpu, bytes),
      op_of(OpKind::kTransfer, Tier::kHost, Tier::kHost, bytes),
      op_of(OpKind::kRecompute, Tier::kGpu, Tier::kGpu, {}),
      op_of(OpKind::kReplay, Tier::kGpu, Tier::kGpu, {}),
      op_of(OpKind::kBarrier, Tier::kGpu, Tier::kGpu, {}),
  };
  ops[10].compute = Seconds{12.5};
  ops[11].compute = Seconds{3.25};
  for (const Op& op : ops) {
    SCOPED_TRACE(std::string(op.label) + " " + tier_name(op.from) + " -> " + tier_name(op.to));
    const double expected = analytic.op_duration(op).value + network_hops(op) * latency;
    const PlanTiming t = sim.execute(single(op));
    expect_close(t.op_end[0].value, expected);
    EXPECT_EQ(t.op_start[0].value, 0.0);
    EXPECT_DOUBLE_EQ(t.blocking.value, t.op_end[0].value);
    EXPECT_DOUBLE_EQ(t.total.value, t.op_end[0].value);
  }
}

TEST(SimGridExecutor, SaturatedStorageIsSharedAsTheAnalyticFairShare) {
  // 256 nodes x 40 GB/s demand 10 TB/s of a 2 TB/s tier; nodes finish at different times.
  const ClusterSpec cluster = cluster_of(256);
  SimGridExecutor sim(test_simulation(), cluster);
  AnalyticExecutor analytic(cluster, test_hardware());
  const Op persist = op_of(OpKind::kPersist, Tier::kHost, Tier::kStorage, uneven_bytes(cluster));
  EXPECT_NEAR(sim.execute(single(persist)).total.value, analytic.op_duration(persist).value,
              1e-5 * analytic.op_duration(persist).value);
}

TEST(SimGridExecutor, ABackgroundPersistTakesTheShareOfANodeTheAnalyticModelGivesIt) {
  // The same saturated tier, the persist in the background: each node moves far less than its
  // client cap for most of the persist, so it takes a small share of the node and slows
  // training by that much (exec/node_capacity.hpp); both backends compute it from their timing.
  const ClusterSpec cluster = cluster_of(256);
  SimGridExecutor sim(test_simulation(), cluster);
  AnalyticExecutor analytic(cluster, test_hardware());
  Op persist = op_of(OpKind::kPersist, Tier::kHost, Tier::kStorage, uneven_bytes(cluster));
  persist.blocking = false;
  Plan plan = single(persist);
  plan.signature += ":background";
  const double simulated = sim.execute(plan).background_share;
  const double formula = analytic.execute(plan).background_share;
  EXPECT_NEAR(simulated, formula, 1e-5 * formula);
  EXPECT_GT(simulated, 0.0);
  EXPECT_LT(simulated, 0.5);
}

TEST(SimGridExecutor, BackgroundOpsRunAtTheProfilesEfficiencyLikeTheAnalyticModel) {
  // background_efficiency 0.5: a persist training does not wait for takes twice as long on both
  // backends; the blocking snapshot before it does not change.
  const ClusterSpec cluster = cluster_of(32);
  HardwareProfile hardware = test_hardware();
  hardware.background_efficiency = 0.5;
  SimGridExecutor slow(test_simulation(), cluster, {PeerPlacement::kNextRack, 0.5});
  SimGridExecutor full(test_simulation(), cluster);
  AnalyticExecutor analytic(cluster, hardware);
  Plan plan;
  plan.signature = "efficiency";
  const size_t snap =
      plan.add(op_of(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, uneven_bytes(cluster)));
  Op persist = op_of(OpKind::kPersist, Tier::kHost, Tier::kLocalDisk, uneven_bytes(cluster));
  persist.blocking = false;
  persist.after = {snap};
  plan.add(persist);
  const PlanTiming a = analytic.execute(plan), s = slow.execute(plan), f = full.execute(plan);
  expect_close(s.blocking.value, f.blocking.value);
  expect_close((s.total - s.blocking).value, 2 * (f.total - f.blocking).value);
  expect_close((a.total - a.blocking).value, 2 * analytic.op_duration(persist).value);
  expect_close(s.total.value, a.total.value);
  EXPECT_NE(analytic.method().find("background_efficiency"), std::string::npos);
}

TEST(SimGridExecutor, OpsStartWhenTheOpsTheyWaitOnEnd) {
  const ClusterSpec cluster = cluster_of(4);
  SimGridExecutor sim(test_simulation(), cluster);
  const auto bytes = uneven_bytes(cluster);
  Plan plan;
  const size_t snapshot = plan.add(op_of(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, bytes));
  Op persist = op_of(OpKind::kPersist, Tier::kHost, Tier::kLocalDisk, bytes);
  persist.after = {snapshot};
  persist.blocking = false;
  const size_t p = plan.add(persist);
  Op barrier = op_of(OpKind::kBarrier, Tier::kGpu, Tier::kGpu, {});
  barrier.after = {snapshot, p};
  const size_t b = plan.add(barrier);
  const PlanTiming t = sim.execute(plan);
  // Store-and-forward per node: each node writes once its own snapshot is done, so the persist
  // op starts with the snapshot's end (the slowest node's).
  EXPECT_DOUBLE_EQ(t.op_start[p].value, t.op_end[snapshot].value);
  EXPECT_DOUBLE_EQ(t.op_start[b].value, t.op_end[p].value);
  EXPECT_DOUBLE_EQ(t.op_end[b].value, t.op_end[p].value);
  EXPECT_DOUBLE_EQ(t.blocking.value, t.op_end[b].value);  // the barrier blocks
  EXPECT_DOUBLE_EQ(t.total.value, t.op_end[p].value);
}

TEST(SimGridExecutor, IndependentOpsOfAPlanContendWhereTheAnalyticModelDoesNot) {
  const ClusterSpec cluster = cluster_of(8);
  SimGridExecutor sim(test_simulation(), cluster);
  AnalyticExecutor analytic(cluster, test_hardware());
  const std::vector<Bytes> bytes(static_cast<size_t>(cluster.gpus()), Bytes{2'000'000'000});
  Plan plan;  // two replicas leave every node through the same link, at the same time
  plan.add(op_of(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, bytes));
  plan.add(op_of(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, bytes));
  const double alone = analytic.op_duration(plan.ops[0]).value;
  EXPECT_DOUBLE_EQ(analytic.execute(plan).total.value, alone);
  const PlanTiming t = sim.execute(plan);
  expect_close(t.op_end[0].value, 2 * alone + 2 * test_platform_spec().link_latency.value);
  expect_close(t.op_end[1].value, 2 * alone + 2 * test_platform_spec().link_latency.value);
}

TEST(SimGridExecutor, IdenticalPlansOnAnIdenticalPlatformAreSimulatedOnce) {
  const ClusterSpec cluster = cluster_of(16);
  SimGridExecutor sim(test_simulation(), cluster);
  const Plan plan =
      single(op_of(OpKind::kPersist, Tier::kGpu, Tier::kStorage, uneven_bytes(cluster)), "ckpt");
  const PlanTiming first = sim.execute(plan);
  const PlanTiming second = sim.execute(plan);
  EXPECT_EQ(first.op_end, second.op_end);
  EXPECT_EQ(sim.stats().plans_simulated, 1);
  EXPECT_EQ(sim.stats().memo_hits, 1);
  EXPECT_EQ(sim.stats().flows_simulated, 2 * cluster.nodes);  // PCIe + storage per node
  // Without a signature nothing is memoized; the timing is the same up to the last bits (the
  // engine's clock is absolute and has moved on).
  Plan unsigned_plan = plan;
  unsigned_plan.signature.clear();
  const PlanTiming third = sim.execute(unsigned_plan);
  EXPECT_NEAR(third.total.value, first.total.value, 1e-12 * first.total.value);
  EXPECT_EQ(sim.stats().plans_simulated, 2);
}

TEST(SimGridExecutor, PeersAreInTheNextRackOrTheNextNodeOfTheRack) {
  const ClusterSpec cluster = cluster_of(80);  // racks of 32, 32, 16
  SimGridExecutor next_rack(test_simulation(), cluster);
  SimGridExecutor same_rack(test_simulation(), cluster, {PeerPlacement::kSameRack});
  EXPECT_EQ(next_rack.peer_of(0), 32);
  EXPECT_EQ(next_rack.peer_of(70), 22);
  EXPECT_EQ(same_rack.peer_of(0), 1);
  EXPECT_EQ(same_rack.peer_of(31), 0);
  EXPECT_EQ(same_rack.peer_of(79), 64);
  EXPECT_THROW(same_rack.peer_of(80), std::out_of_range);
}

TEST(SimGridExecutor, RejectsClustersThatDoNotFitThePlatform) {
  ClusterSpec too_big = cluster_of(test_platform_spec().nodes + 1);
  EXPECT_THROW(SimGridExecutor(test_simulation(), too_big), std::invalid_argument);
  ClusterSpec other_racks = cluster_of(64);
  other_racks.nodes_per_rack = 16;
  EXPECT_THROW(SimGridExecutor(test_simulation(), other_racks), std::invalid_argument);
  SimGridExecutor sim(test_simulation(), cluster_of(2));
  const Plan too_many_ranks =
      single(op_of(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, std::vector<Bytes>(17, Bytes{1})));
  EXPECT_THROW(sim.execute(too_many_ranks), std::logic_error);
  SimGridExecutor one_node(test_simulation(), cluster_of(1));
  EXPECT_THROW(one_node.execute(single(op_of(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost,
                                             std::vector<Bytes>(8, Bytes{1})))),
               std::invalid_argument);
  EXPECT_EQ(sim.backend_name(), "sim");
  EXPECT_NE(sim.method().find("SimGrid 3.32"), std::string::npos);
}

TEST(SimGridExecutor, ANodeFailingMidPersistKillsThePersistButNotTheSnapshot) {
  const ClusterSpec cluster = cluster_of(8);
  SimGridExecutor sim(test_simulation(), cluster);
  const std::vector<Bytes> bytes(static_cast<size_t>(cluster.gpus()), Bytes{4'000'000'000});
  Plan plan;
  const size_t snapshot = plan.add(op_of(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, bytes));
  Op persist = op_of(OpKind::kPersist, Tier::kHost, Tier::kStorage, bytes);
  persist.after = {snapshot};
  plan.add(persist);
  const PlanTiming healthy = sim.execute(plan);
  const double mid_persist = (healthy.op_end[0].value + healthy.op_end[1].value) / 2;

  const InterruptedPlanTiming hit = sim.execute_with_failure(plan, Seconds{mid_persist}, {3});
  EXPECT_EQ(hit.completed, (std::vector<bool>{true, false}));
  EXPECT_NEAR(hit.timing.op_end[0].value, healthy.op_end[0].value, 1e-12);
  EXPECT_TRUE(std::isnan(hit.timing.op_end[1].value));
  // A failure after the plan ended changes nothing, and the node is back for the next plan.
  const InterruptedPlanTiming late =
      sim.execute_with_failure(plan, Seconds{healthy.total.value * 2}, {3});
  EXPECT_EQ(late.completed, (std::vector<bool>{true, true}));
  EXPECT_TRUE(sim.simulation().nodes_off().empty());
  // The same timing up to rounding: SimGrid's clock is absolute and has moved on, so the last
  // bits of a duration depend on when it is simulated.
  const PlanTiming again = sim.execute(plan);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_NEAR(again.op_end[i].value, healthy.op_end[i].value, 1e-12 * healthy.total.value);
  // A failed replication target fails the sender's replica too.
  const Plan replicate = single(op_of(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, bytes));
  const InterruptedPlanTiming peer_down =
      sim.execute_with_failure(replicate, Seconds{0.01}, {sim.peer_of(0)});
  EXPECT_EQ(peer_down.completed, std::vector<bool>{false});
}

}  // namespace
}  // namespace ckptlab::sim
