#include "run/replication_stats.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace ckptlab {
namespace {

TEST(ReplicationStats, TQuantilesMatchTables) {
  EXPECT_NEAR(t_quantile_95(2), 12.706, 1e-3);
  EXPECT_NEAR(t_quantile_95(9), 2.306, 1e-3);
  EXPECT_NEAR(t_quantile_95(31), 2.042, 1e-3);
}

TEST(ReplicationStats, RatioEstimateIsThePooledRatio) {
  const Estimate e = ratio_estimate({9, 18, 27}, {10, 20, 30});
  EXPECT_DOUBLE_EQ(e.value, 0.9);
  EXPECT_NEAR(e.half_width, 0.0, 1e-12);  // every replication has the same ratio
  EXPECT_TRUE(std::isinf(ratio_estimate({1}, {2}).half_width));
}

// Coverage: over many sets of 10 replications of a known ratio, about 95% of the intervals
// contain it (binomial bounds for 2,000 trials at p = 0.95: 93.7% - 96.1% at 3 sigma).
TEST(ReplicationStats, RatioIntervalCoversTheTrueRatioAboutNinetyFivePercentOfTheTime) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.02);  // test-only randomness: any law will do
  int covered = 0;
  const int trials = 2000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> num, den;
    for (int i = 0; i < 10; ++i) {
      const double wall = 100 + 10 * noise(rng) * 50;
      den.push_back(wall);
      num.push_back(wall * (0.9 + noise(rng)));
    }
    const Estimate e = ratio_estimate(num, den);
    covered += std::abs(e.value - 0.9) <= e.half_width ? 1 : 0;
  }
  EXPECT_GT(covered, trials * 0.937);
  EXPECT_LT(covered, trials * 0.961);
}

TEST(ReplicationStats, PairedDifferenceCancelsSharedNoise) {
  // Both policies see the same large noise (common random numbers); their difference is exact.
  std::vector<double> a, b;
  for (int i = 0; i < 8; ++i) {
    const double shared = 0.1 * std::sin(i * 1.7);
    a.push_back(0.92 + shared);
    b.push_back(0.90 + shared);
  }
  const Estimate d = paired_difference(a, b);
  EXPECT_NEAR(d.value, 0.02, 1e-12);
  EXPECT_NEAR(d.half_width, 0.0, 1e-9);
}

}  // namespace
}  // namespace ckptlab
