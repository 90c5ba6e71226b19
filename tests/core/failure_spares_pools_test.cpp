// Spares and repair, issue #10 item 3: warm standbys, waiting for a spare, escalation to manual
// repair, silent repair failures, retirement within a window, and the counts that must add up.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/job_fixture.hpp"
#include "core/spares_fixture.hpp"
#include "failure/random_draws.hpp"
#include "failure/restart_model.hpp"
#include "job/job_run.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

using testing::at_hours;
using testing::kHour;
using testing::decode_restart_yaml;
using testing::random_failed_nodes;

RestartSpec fixed_spec(int spares, double repair_h) {
  RestartSpec spec;
  spec.spares = spares;
  spec.spare_swap = Seconds{300};
  spec.reschedule_wait = Seconds{1800};
  spec.repair_time = Seconds{repair_h * kHour};
  spec.repair = {RepairDistribution::fixed, Seconds{repair_h * kHour}, 0};
  return spec;
}

TEST(SparePools, DecodesTheNewKeys) {
  const RestartSpec r = decode_restart_yaml(R"(
restart:
  spares: 4
  spare_swap: 5m
  warm_standbys: 2
  standby_swap: 20m
  wait_for_spare: true
  reschedule_wait: 30m
  process_restart: 5m
  repair:
    distribution: lognormal
    median: 2h
    sigma: 1
    escalation: {probability: 0.8, manual: {distribution: fixed, median: 2d}}
    silent_failure: 0.4
  retire_after: 3
  retire_window: 7d
)");
  EXPECT_EQ(r.warm_standbys, 2);
  EXPECT_EQ(r.standby_swap, Seconds{1200});
  EXPECT_TRUE(r.wait_for_spare);
  EXPECT_EQ(r.escalation_probability, 0.8);
  EXPECT_EQ(r.manual_repair.distribution, RepairDistribution::fixed);
  EXPECT_EQ(r.manual_repair.median, Seconds{2 * 86400.0});
  EXPECT_EQ(r.silent_failure, 0.4);
  EXPECT_EQ(r.retire_window, Seconds{7 * 86400.0});
  // Defaults: none of it.
  const RestartSpec d = decode_restart_yaml("restart: {reschedule_wait: 30m, process_restart: 5m}");
  EXPECT_EQ(d.warm_standbys, 0);
  EXPECT_FALSE(d.wait_for_spare);
  EXPECT_EQ(d.escalation_probability, 0);
  EXPECT_EQ(d.silent_failure, 0);
  EXPECT_EQ(d.retire_window, Seconds{0});
}

TEST(SparePools, DecodeErrorsAreInputErrors) {
  const std::string base = "restart: {reschedule_wait: 30m, process_restart: 5m, ";
  const std::string repair = "repair: {distribution: fixed, median: 1h";
  for (const std::string& bad : {
           std::string("warm_standbys: -1}"),
           std::string("warm_standbys: 2, repair_time: 1h}"),   // no standby_swap
           std::string("warm_standbys: 2, standby_swap: 5m}"),  // no repair time
           std::string("wait_for_spare: maybe}"),
           std::string("retire_window: 1d}"),  // needs retire_after
           std::string("retire_after: 2, retire_window: 0s}"),
           std::string("retire_after: 2, retire_window: -1d}"),
           repair + ", silent_failure: 1.5}}",
           repair + ", silent_failure: 1}}",
           repair + ", silent_failure: -0.1}}",
           repair + ", escalation: {probability: 1.2, manual: {distribution: fixed, median: 1d}}}}",
           repair + ", escalation: {probability: 0.5}}}",  // no manual time
           repair + ", escalation: {probability: 0.5, manual: {distribution: fixed, median: 1d}, "
                    "extra: 1}}}",
           repair + ", escalation: {probability: 0.5, manual: {distribution: fixed, median: 1d, "
                    "silent_failure: 0.1}}}}",
       }) {
    EXPECT_THROW(decode_restart_yaml(base + bad), InputError) << bad;
  }
}

TEST(SparePools, WarmStandbysFillInWhenTheHotSparesRunOut) {
  RestartSpec spec = fixed_spec(1, 10);
  spec.warm_standbys = 1;
  spec.standby_swap = Seconds{1200};
  SparePool pool(spec);
  EXPECT_EQ(pool.free_spares(0), 2);
  EXPECT_EQ(pool.acquire(at_hours(0), std::vector<std::int64_t>{1}), Seconds{300});
  EXPECT_EQ(pool.acquire(at_hours(1), std::vector<std::int64_t>{2}), Seconds{1200});
  EXPECT_EQ(pool.standby_swaps(), 1);
  EXPECT_EQ(pool.free_standbys(at_hours(1)), 0);
  EXPECT_EQ(pool.acquire(at_hours(2), std::vector<std::int64_t>{3}), Seconds{1800});
  // Two nodes at once when one hot spare and one standby are free: both, at the slower swap.
  EXPECT_EQ(pool.acquire(at_hours(11), std::vector<std::int64_t>{4, 5}), Seconds{1200});
  EXPECT_EQ(pool.free_spares(at_hours(11)), 0);
  // Each stand-in returns to its own pool when its node's repair ends.
  EXPECT_EQ(pool.free_standbys(at_hours(21)), 1);
  EXPECT_EQ(pool.free_spares(at_hours(21)), 2);
  EXPECT_EQ(pool.spares_used(), 4);
  EXPECT_EQ(pool.reschedules(), 1);
  EXPECT_EQ(pool.exhaustions(), 1);
  EXPECT_EQ(pool.spare_wait(), Seconds{1800});
}

TEST(SparePools, WaitForSpareWaitsForTheEarliestRepair) {
  RestartSpec spec = fixed_spec(1, 10);
  spec.wait_for_spare = true;
  SparePool pool(spec);
  EXPECT_EQ(pool.acquire(at_hours(0), std::vector<std::int64_t>{1}), Seconds{300});
  // The only spare stands in for node 1 until hour 10: a failure at hour 1 waits 9 h, then swaps.
  EXPECT_EQ(pool.acquire(at_hours(1), std::vector<std::int64_t>{2}), Seconds{9 * kHour + 300});
  EXPECT_EQ(pool.spare_wait(), Seconds{9 * kHour});
  EXPECT_EQ(pool.exhaustions(), 1);
  EXPECT_EQ(pool.reschedules(), 0);
  // Node 2's repair started at hour 1: the spare standing in for it is back at hour 11.
  EXPECT_EQ(pool.free_spares(at_hours(10.5)), 0);
  EXPECT_EQ(pool.free_spares(at_hours(11)), 1);
  // The pool was empty from hour 0 to hour 11.
  EXPECT_EQ(pool.exhausted_time(at_hours(20)), Seconds{11 * kHour});
  EXPECT_EQ(pool.failed_nodes(), pool.repaired(at_hours(20)) + pool.retired_nodes() +
                                     pool.in_repair_total(at_hours(20)));
  // More nodes than the pool will ever hold: rescheduled after all.
  EXPECT_EQ(pool.acquire(at_hours(20), std::vector<std::int64_t>{3, 4}), Seconds{1800});
  EXPECT_EQ(pool.reschedules(), 1);
  EXPECT_EQ(pool.spare_wait(), Seconds{9 * kHour + 1800});
}

TEST(SparePools, ZeroSparesWithWaitForSpareReschedules) {
  RestartSpec spec = fixed_spec(0, 100);
  spec.wait_for_spare = true;
  SparePool pool(spec);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pool.acquire(at_hours(i), std::vector<std::int64_t>{i}), Seconds{1800});
  }
  EXPECT_EQ(pool.spare_wait(), Seconds{3 * 1800.0});
  EXPECT_EQ(pool.exhaustions(), 3);
  EXPECT_EQ(pool.exhausted_time(at_hours(5)), Seconds{5 * kHour});  // no spare ever free
  // Rescheduled nodes are repaired outside the pool, and counted.
  EXPECT_EQ(pool.in_repair_total(at_hours(5)), 3);
  EXPECT_EQ(pool.repaired(at_hours(200)), 3);
  EXPECT_EQ(pool.automatic_repairs(), 3);
}

TEST(SparePools, EscalationAddsTheManualRepairTime) {
  RestartSpec spec = fixed_spec(1000, 2);
  spec.escalation_probability = 1;
  spec.manual_repair = {RepairDistribution::fixed, Seconds{48 * kHour}, 0};
  SparePool all(spec, 3);
  for (int i = 0; i < 100; ++i) all.acquire(at_hours(i), std::vector<std::int64_t>{i});
  EXPECT_EQ(all.manual_repairs(), 100);
  EXPECT_EQ(all.automatic_repairs(), 0);
  EXPECT_EQ(all.mean_repair_time(), Seconds{50 * kHour});
  spec.escalation_probability = 0.3;
  SparePool some(spec, 3);
  for (int i = 0; i < 2000; ++i) some.acquire(at_hours(i), std::vector<std::int64_t>{i});
  EXPECT_NEAR(static_cast<double>(some.manual_repairs()), 600, 62);  // 3 sd of Binomial(2000, .3)
  EXPECT_EQ(some.manual_repairs() + some.automatic_repairs(), 2000);
}

// Escalation and silent failure at probability 0, standbys 0 and no waiting: the same answers
// as a pool without the keys, draw for draw (their draws come from streams of their own).
TEST(SparePools, ZeroProbabilitiesGiveTodaysResults) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    RestartSpec plain = fixed_spec(3, 0);
    plain.repair = {RepairDistribution::lognormal, Seconds{4 * kHour}, 1.0};
    plain.retire_after = 2;
    RestartSpec zero = plain;
    zero.manual_repair = {RepairDistribution::lognormal, Seconds{48 * kHour}, 1.0};
    zero.escalation_probability = 0;
    zero.silent_failure = 0;
    SparePool a(plain, seed), b(zero, seed);
    std::mt19937_64 engine(seed);
    Nanos now = 0;
    for (int i = 0; i < 300; ++i) {
      now += to_nanos(Seconds{draw_exponential(engine, kHour)});
      const std::vector<std::int64_t> nodes{static_cast<std::int64_t>(draw_below(engine, 10))};
      ASSERT_EQ(a.acquire(now, nodes), b.acquire(now, nodes));
    }
    EXPECT_EQ(a.mean_repair_time(), b.mean_repair_time());
    EXPECT_EQ(a.retired_nodes(), b.retired_nodes());
    EXPECT_EQ(a.reschedules(), b.reschedules());
    EXPECT_EQ(b.manual_repairs(), 0);
    EXPECT_EQ(b.silent_failures(), 0);
  }
}

TEST(SparePools, ASilentlyFaultyNodeIsDeadAtItsNextUse) {
  RestartSpec spec = fixed_spec(1, 1);
  spec.silent_failure = 0.999999;  // the first repair fails silently (for this seed, surely)
  SparePool pool(spec, 1);
  EXPECT_EQ(pool.acquire(at_hours(0), std::vector<std::int64_t>{1}), Seconds{300});
  EXPECT_EQ(pool.silent_failures(), 1);
  EXPECT_EQ(pool.free_spares(at_hours(2)), 1);  // the pool believes it healthy
  // It is taken at hour 2, dead on joining: no other spare, so the job is rescheduled.
  EXPECT_EQ(pool.acquire(at_hours(2), std::vector<std::int64_t>{2}), Seconds{300 + 1800});
  EXPECT_EQ(pool.dead_on_join(), 1);
  EXPECT_EQ(pool.failed_nodes(), 3);
  EXPECT_EQ(pool.repairs_started(), 2);  // node 1, then the faulty unit again
  EXPECT_EQ(pool.rescheduled_nodes(), 1);
  EXPECT_EQ(pool.free_spares(at_hours(2)) + pool.in_repair(at_hours(2)), pool.pool_size());
}

TEST(SparePools, RetireWindowCountsOnlyRecentFailures) {
  RestartSpec spec = fixed_spec(4, 1);
  spec.retire_after = 1;
  spec.retire_window = Seconds{10 * kHour};
  SparePool pool(spec);
  pool.acquire(at_hours(0), std::vector<std::int64_t>{5});
  pool.acquire(at_hours(20), std::vector<std::int64_t>{5});  // 20 h apart: the first is forgotten
  EXPECT_EQ(pool.retired_nodes(), 0);
  pool.acquire(at_hours(30), std::vector<std::int64_t>{5});  // 10 h after the second: retired
  EXPECT_EQ(pool.retired_nodes(), 1);
  EXPECT_EQ(pool.pool_size(), 3);
  // Without the window the second failure would have retired it.
  spec.retire_window = Seconds{0};
  SparePool no_window(spec);
  no_window.acquire(at_hours(0), std::vector<std::int64_t>{5});
  no_window.acquire(at_hours(20), std::vector<std::int64_t>{5});
  EXPECT_EQ(no_window.retired_nodes(), 1);
}

// The conservation law with every feature on, over many seeds: every failed node is repaired,
// retired or still in repair; free units plus stand-ins for nodes in repair are the pools.
TEST(SparePools, CountsAddUpWithEveryFeatureOnRandomisedSequences) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    std::mt19937_64 engine(seed);
    RestartSpec spec = fixed_spec(static_cast<int>(draw_below(engine, 5)), 0);
    spec.repair = {RepairDistribution::lognormal, Seconds{4 * kHour}, 1.0};
    spec.warm_standbys = static_cast<int>(draw_below(engine, 3));
    spec.standby_swap = Seconds{1200};
    spec.wait_for_spare = draw_below(engine, 2) == 1;
    spec.retire_after = static_cast<int>(draw_below(engine, 4));
    if (spec.retire_after > 0 && draw_below(engine, 2) == 1)
      spec.retire_window = Seconds{20 * kHour};
    spec.escalation_probability = uniform01(engine);
    spec.manual_repair = {RepairDistribution::fixed, Seconds{24 * kHour}, 0};
    spec.silent_failure = 0.6 * uniform01(engine);
    SparePool pool(spec, seed);
    Nanos now = 0;
    for (int i = 0; i < 300; ++i) {
      now += to_nanos(Seconds{draw_exponential(engine, kHour)});
      const std::vector<std::int64_t> nodes = random_failed_nodes(engine);
      const Seconds wait = pool.acquire(now, nodes);
      ASSERT_GE(wait.value, 0);
      ASSERT_EQ(pool.failed_nodes(),
                pool.repairs_started() + pool.retired_nodes() + pool.rescheduled_nodes())
          << "seed " << seed;
      ASSERT_EQ(pool.failed_nodes(),
                pool.repaired(now) + pool.retired_nodes() + pool.in_repair_total(now))
          << "seed " << seed;
      ASSERT_EQ(pool.automatic_repairs() + pool.manual_repairs(),
                pool.repairs_started() + pool.rescheduled_nodes());
      ASSERT_EQ(pool.free_spares(now) + pool.in_repair(now), pool.pool_size()) << "seed " << seed;
      ASSERT_LE(pool.silent_failures(), pool.repairs_started());
      ASSERT_GE(pool.pool_size(), 0);
      ASSERT_LE(pool.exhausted_time(now).value, to_seconds(now).value + 1e-9);
      if (!spec.wait_for_spare) {
        ASSERT_EQ(pool.exhaustions(), pool.reschedules());
      }
    }
    // Each replacement round is at most one exhaustion; without silent failures there is one
    // round per failure.
    if (spec.silent_failure == 0) {
      EXPECT_LE(pool.exhaustions(), 300) << "seed " << seed;
    }
    EXPECT_GE(pool.dead_on_join(), 0);
  }
}

// The job: zero free spares and slow repair, waiting for a spare. The wait is charged to
// `restart` (with the swap and the process restart), and reported on its own.
TEST(SparePools, TheJobWaitsForASpareAndTheWaitIsRestartTime) {
  testing::SmallJob job(1.0);
  job.executor.set("full_checkpoint", 5.0, 0.0);
  job.executor.set("full_load", 20.0, 0.0);
  auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
  // One spare, 2 h repairs: the failure at 1,000 s takes it; the one at 3,000 s waits for it
  // until 1,000 s + 2 h = 8,200 s.
  testing::ScriptedFailures failures({testing::failure_at(1000), testing::failure_at(3000)});
  RestartSpec spec = fixed_spec(1, 2);
  spec.spare_swap = Seconds{60};
  spec.wait_for_spare = true;
  spec.process_restart = Seconds{40};
  SparePool spares(spec);
  JobSettings settings;
  settings.iteration_time = job.iteration_time;
  settings.horizon = Seconds{20'000};
  settings.process_restart = spec.process_restart;
  const JobResult r = run_job(*policy, job.executor, failures, spares, settings);
  EXPECT_EQ(r.recoveries_completed, 2);
  // The second failure's acquire happens at 3,000 s (no detection): it waits until 8,200 s.
  EXPECT_EQ(r.spare_wait_s, 5200);
  EXPECT_EQ(r.ledger.of(TimeCategory::kRestart), to_nanos(Seconds{r.spare_wait_s + 2 * (60 + 40)}));
  EXPECT_EQ(r.spares_exhausted, 1);
  EXPECT_EQ(r.spares_used, 2);
  EXPECT_EQ(r.reschedules, 0);
  EXPECT_EQ(r.failed_nodes, 2);
  EXPECT_EQ(r.failed_nodes, r.repaired_nodes + r.retired_nodes + r.in_repair_at_end);
  EXPECT_EQ(r.repaired_nodes, 2);  // 1,000 + 2 h and 3,000 + 2 h, both before 20,000 s
  EXPECT_EQ(r.repairs_automatic, 2);
  // Empty from 1,000 s (the spare taken) to the end: the unit back at 8,200 s is taken at once,
  // and the next return is node 2's at 10,200 s.
  EXPECT_EQ(r.spares_exhausted_s, 10'200 - 1000);
  EXPECT_EQ(r.ledger.total(), r.wall);

  // Zero spares: every failure waits for the scheduler, all of it in `restart` too.
  testing::ScriptedFailures again({testing::failure_at(1000), testing::failure_at(3000)});
  RestartSpec none = fixed_spec(0, 2);
  none.wait_for_spare = true;
  SparePool no_spares(none);
  auto policy2 = job.policy("{name: sync_full, interval_iterations: 100}");
  settings.process_restart = Seconds{0};
  const JobResult z = run_job(*policy2, job.executor, again, no_spares, settings);
  EXPECT_EQ(z.spare_wait_s, 2 * 1800);
  EXPECT_EQ(z.ledger.of(TimeCategory::kRestart), to_nanos(Seconds{z.spare_wait_s}));
  EXPECT_EQ(z.reschedules, 2);
  EXPECT_EQ(z.spares_exhausted, 2);
  EXPECT_EQ(z.spares_exhausted_s, 20'000);
}

// The conservation law on randomised job runs (scripted failures, random nodes and times).
TEST(SparePools, JobResultCountsAddUpOnRandomisedRuns) {
  testing::SmallJob job(1.0);
  job.executor.set("full_checkpoint", 5.0, 0.0);
  job.executor.set("full_load", 20.0, 0.0);
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 engine(seed);
    std::vector<FailureEvent> events;
    double t = 0;
    for (int i = 0; i < 40; ++i) {
      t += draw_exponential(engine, 2000);
      FailureEvent f = testing::failure_at(t, 10);
      f.nodes = {static_cast<std::int64_t>(draw_below(engine, 8))};
      events.push_back(f);
    }
    testing::ScriptedFailures failures(events);
    RestartSpec spec = fixed_spec(static_cast<int>(draw_below(engine, 3)), 0);
    spec.repair = {RepairDistribution::lognormal, Seconds{kHour}, 1.0};
    spec.warm_standbys = static_cast<int>(draw_below(engine, 2));
    spec.standby_swap = Seconds{600};
    spec.wait_for_spare = seed % 2 == 0;
    spec.retire_after = 2;
    spec.retire_window = Seconds{10 * kHour};
    spec.escalation_probability = 0.5;
    spec.manual_repair = {RepairDistribution::fixed, Seconds{5 * kHour}, 0};
    spec.silent_failure = 0.3;
    SparePool spares(spec, seed);
    auto policy = job.policy("{name: sync_full, interval_iterations: 100}");
    JobSettings settings;
    settings.iteration_time = job.iteration_time;
    settings.horizon = Seconds{t + 5000};
    const JobResult r = run_job(*policy, job.executor, failures, spares, settings);
    EXPECT_EQ(r.failed_nodes, r.repaired_nodes + r.retired_nodes + r.in_repair_at_end)
        << "seed " << seed;
    EXPECT_GE(r.failed_nodes, r.failures);
    EXPECT_LE(r.spares_exhausted_s, to_seconds(r.wall).value + 1e-9);
    EXPECT_LE(r.spare_wait_s, 1e12);
    EXPECT_EQ(r.ledger.total(), r.wall);
  }
}

}  // namespace
}  // namespace ckptlab
