// The restart model: decoding `restart:` and the hot-spare pool.
#include <gtest/gtest.h>

#include <string>

#include "failure/restart_model.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

constexpr double kDay = 86400.0;

RestartSpec decode(const std::string& yaml) {
  return decode_restart(ConfigNode::load_string(yaml, "scenario.yaml")["restart"]);
}

const char* kRestart = R"(
restart:
  spares: 2
  spare_swap: "5m"
  reschedule_wait: "30m"
  process_restart: "5m"
  repair_time: "3d"
)";

Nanos at_days(double d) { return to_nanos(Seconds{d * kDay}); }

TEST(RestartModel, DecodesAllKeys) {
  const RestartSpec r = decode(kRestart);
  EXPECT_EQ(r.spares, 2);
  EXPECT_EQ(r.spare_swap, Seconds{300});
  EXPECT_EQ(r.reschedule_wait, Seconds{1800});
  EXPECT_EQ(r.process_restart, Seconds{300});
  EXPECT_EQ(r.repair_time, Seconds{3 * kDay});
  // Without spares, swap and repair times may be left out.
  const RestartSpec none = decode("restart: {reschedule_wait: 30m, process_restart: 5m}");
  EXPECT_EQ(none.spares, 0);
}

TEST(RestartModel, DecodeErrorsAreInputErrors) {
  EXPECT_THROW(decode("restart: {spares: 2, reschedule_wait: 30m, process_restart: 5m}"),
               InputError);  // spares need spare_swap and repair_time
  EXPECT_THROW(decode("restart: {spares: -1, reschedule_wait: 30m, process_restart: 5m}"),
               InputError);
  EXPECT_THROW(decode("restart: {reschedule_wait: -30m, process_restart: 5m}"), InputError);
  try {
    decode("restart: {reschedule_wiat: 30m, process_restart: 5m}");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find("did you mean 'reschedule_wait'"), std::string::npos) << e.what();
  }
}

TEST(SparePool, SparesAreConsumedThenRescheduleThenReturnedAfterRepair) {
  SparePool pool(decode(kRestart));
  EXPECT_EQ(pool.acquire(at_days(0), 1), Seconds{300});
  EXPECT_EQ(pool.acquire(at_days(1), 1), Seconds{300});
  EXPECT_EQ(pool.spares_used(), 2);
  // Both spares are in repair: the next failure waits to be rescheduled.
  EXPECT_EQ(pool.acquire(at_days(2), 1), Seconds{1800});
  EXPECT_EQ(pool.reschedules(), 1);
  EXPECT_EQ(pool.free_spares(at_days(2)), 0);
  // The first spare is back exactly repair_time after it was taken.
  EXPECT_EQ(pool.free_spares(at_days(3)), 1);
  EXPECT_EQ(pool.acquire(at_days(3), 1), Seconds{300});
  EXPECT_EQ(pool.acquire(at_days(3.5), 1), Seconds{1800});  // second one is back at day 4
  EXPECT_EQ(pool.acquire(at_days(4), 1), Seconds{300});
  EXPECT_EQ(pool.spares_used(), 4);
  EXPECT_EQ(pool.reschedules(), 2);
}

TEST(SparePool, AFailureNeedingMoreNodesThanAreFreeTakesNone) {
  SparePool pool(decode(kRestart));
  // A rack event needs 32 nodes; 2 spares cannot cover it, and none are taken.
  EXPECT_EQ(pool.acquire(at_days(0), 32), Seconds{1800});
  EXPECT_EQ(pool.free_spares(at_days(0)), 2);
  EXPECT_EQ(pool.acquire(at_days(0), 2), Seconds{300});
  EXPECT_EQ(pool.spares_used(), 2);
  EXPECT_EQ(pool.reschedules(), 1);
}

TEST(SparePool, NoSparesAlwaysReschedules) {
  SparePool pool(decode("restart: {reschedule_wait: 30m, process_restart: 5m}"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.acquire(at_days(i), 1), Seconds{1800});
  EXPECT_EQ(pool.reschedules(), 3);
  EXPECT_EQ(pool.spares_used(), 0);
}

}  // namespace
}  // namespace ckptlab
