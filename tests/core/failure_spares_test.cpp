// Spares and repair: repair-time distributions, retirement of nodes that keep failing, and the
// counters the summary reports, which must add up on any sequence of failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/spares_fixture.hpp"
#include "failure/random_draws.hpp"
#include "failure/restart_model.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

using testing::at_hours;
using testing::kHour;
using testing::decode_restart_yaml;
using testing::random_failed_nodes;

TEST(RepairModel, DecodesLognormalRepairAndRetirement) {
  const RestartSpec r = decode_restart_yaml(R"(
restart:
  spares: 4
  spare_swap: 5m
  reschedule_wait: 30m
  process_restart: 5m
  repair: {distribution: lognormal, median: 11h, sigma: 1.5}
  retire_after: 3
)");
  EXPECT_EQ(r.repair.distribution, RepairDistribution::lognormal);
  EXPECT_EQ(r.repair.median, Seconds{11 * kHour});
  EXPECT_EQ(r.repair.sigma, 1.5);
  EXPECT_EQ(r.repair_time, Seconds{11 * kHour});
  EXPECT_EQ(r.retire_after, 3);
  // repair_time alone is a fixed repair.
  const RestartSpec fixed = decode_restart_yaml(
      "restart: {spares: 1, spare_swap: 5m, reschedule_wait: 30m, process_restart: 5m, "
      "repair_time: 3d}");
  EXPECT_EQ(fixed.repair.distribution, RepairDistribution::fixed);
  EXPECT_EQ(fixed.repair.median, Seconds{3 * 86400.0});
  EXPECT_EQ(fixed.retire_after, 0);
}

TEST(RepairModel, DecodeErrorsAreInputErrors) {
  const std::string base =
      "restart: {spares: 1, spare_swap: 5m, reschedule_wait: 30m, "
      "process_restart: 5m, ";
  for (const std::string& bad : {
           std::string("repair_time: 3d, repair: {distribution: fixed, median: 3d}}"),
           std::string("repair: {distribution: lognormal, median: 3d}}"),  // no sigma
           std::string("repair: {distribution: lognormal, median: 3d, sigma: -1}}"),
           std::string("repair: {distribution: lognormal, median: 0s, sigma: 1}}"),
           std::string("repair: {distribution: fixed, median: 3d, sigma: 1}}"),
           std::string("repair: {distribution: gamma, median: 3d}}"),
           std::string("repair_time: 3d, retire_after: 0}"),
           std::string("}"),  // spares need a repair time
       }) {
    EXPECT_THROW(decode_restart_yaml(base + bad), InputError) << bad;
  }
  EXPECT_THROW(decode_restart_yaml("restart: {spares: 1, spare_swap: 5m, reschedule_wait: 30m, "
                      "process_restart: 5m}"),
               InputError);
}

TEST(SparePool, LognormalRepairsAreDeterministicAndHaveTheirMedian) {
  RestartSpec spec;
  spec.spares = 100000;
  spec.spare_swap = Seconds{300};
  spec.reschedule_wait = Seconds{1800};
  spec.repair = {RepairDistribution::lognormal, Seconds{11 * kHour}, 1.2};
  SparePool a(spec, 5), b(spec, 5), c(spec, 6);
  for (int i = 0; i < 20000; ++i) {
    a.acquire(at_hours(i), std::vector<std::int64_t>{i});
    b.acquire(at_hours(i), std::vector<std::int64_t>{i});
    c.acquire(at_hours(i), std::vector<std::int64_t>{i});
  }
  EXPECT_EQ(a.mean_repair_time(), b.mean_repair_time());
  EXPECT_NE(a.mean_repair_time(), c.mean_repair_time());
  // Mean of a lognormal: median * exp(sigma^2 / 2); the sample mean of 20,000 is within 3%.
  const double mean = 11 * kHour * std::exp(1.2 * 1.2 / 2);
  EXPECT_NEAR(a.mean_repair_time().value, mean, 0.03 * mean);
  // Half the draws exceed the median.
  std::mt19937_64 engine(9);
  int above = 0;
  for (int i = 0; i < 10000; ++i) above += draw_lognormal(engine, 11 * kHour, 1.2) > 11 * kHour;
  EXPECT_NEAR(above, 5000, 150);  // 3 standard deviations
}

TEST(SparePool, ANodeFailingMoreThanRetireAfterTimesIsRetiredAndThePoolShrinks) {
  RestartSpec spec;
  spec.spares = 2;
  spec.spare_swap = Seconds{300};
  spec.reschedule_wait = Seconds{1800};
  spec.repair_time = Seconds{kHour};
  spec.repair = {RepairDistribution::fixed, Seconds{kHour}, 0};
  spec.retire_after = 1;
  SparePool pool(spec);
  EXPECT_EQ(pool.acquire(at_hours(0), std::vector<std::int64_t>{5}), Seconds{300});
  EXPECT_EQ(pool.retired_nodes(), 0);
  // Node 5 is back at hour 1 and fails again at hour 2: its second failure retires it.
  EXPECT_EQ(pool.acquire(at_hours(2), std::vector<std::int64_t>{5}), Seconds{300});
  EXPECT_EQ(pool.retired_nodes(), 1);
  EXPECT_EQ(pool.pool_size(), 1);
  EXPECT_EQ(pool.free_spares(at_hours(10)), 1);  // the stand-in stays for good
  // Id 5 now names the former spare: its count starts again.
  EXPECT_EQ(pool.acquire(at_hours(10), std::vector<std::int64_t>{5}), Seconds{300});
  EXPECT_EQ(pool.retired_nodes(), 1);
  EXPECT_EQ(pool.failed_nodes(), 3);
  EXPECT_EQ(pool.repairs_started(), 2);
  EXPECT_EQ(pool.mean_time_to_replacement(), Seconds{300});
  // Without ids (the older call) nobody is retired.
  SparePool anonymous(spec);
  for (int i = 0; i < 5; ++i) anonymous.acquire(at_hours(2 * i), 1);
  EXPECT_EQ(anonymous.retired_nodes(), 0);
}

TEST(SparePool, ZeroSparesAndSlowRepairAlwaysWaitForTheScheduler) {
  RestartSpec spec;
  spec.reschedule_wait = Seconds{1800};
  spec.spare_swap = Seconds{300};
  SparePool pool(spec);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(pool.acquire(at_hours(i), std::vector<std::int64_t>{i}), Seconds{1800});
  }
  EXPECT_EQ(pool.reschedules(), 4);
  EXPECT_EQ(pool.rescheduled_nodes(), 4);
  EXPECT_EQ(pool.mean_time_to_replacement(), Seconds{1800});
}

// Conservation on randomised sequences: every failed node is repaired (done or running),
// retired, or replaced by the scheduler; free spares plus stand-ins for nodes in repair are the
// pool.
TEST(SparePool, CountsAddUpOnRandomisedFailureSequences) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::mt19937_64 engine(seed);
    RestartSpec spec;
    spec.spares = static_cast<int>(draw_below(engine, 6));
    spec.spare_swap = Seconds{300};
    spec.reschedule_wait = Seconds{1800};
    spec.repair = {RepairDistribution::lognormal, Seconds{4 * kHour}, 1.0};
    spec.retire_after = static_cast<int>(draw_below(engine, 4));
    SparePool pool(spec, seed);
    Nanos now = 0;
    std::int64_t swaps = 0;
    for (int i = 0; i < 300; ++i) {
      now += to_nanos(Seconds{draw_exponential(engine, kHour)});
      std::vector<std::int64_t> nodes = random_failed_nodes(engine);
      std::sort(nodes.begin(), nodes.end());
      swaps += pool.acquire(now, nodes) == spec.spare_swap;
      ASSERT_EQ(pool.failed_nodes(),
                pool.repairs_started() + pool.retired_nodes() + pool.rescheduled_nodes())
          << "seed " << seed;
      ASSERT_EQ(pool.repairs_started(), pool.repairs_done(now) + pool.in_repair(now));
      ASSERT_EQ(pool.free_spares(now) + pool.in_repair(now), pool.pool_size());
      ASSERT_GE(pool.pool_size(), 0);
    }
    EXPECT_EQ(swaps + pool.reschedules(), 300) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ckptlab
