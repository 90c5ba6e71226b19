// Maximum-likelihood lifetime fits: they recover known parameters from seeded synthetic samples
// (within their own 95% intervals, about 95% of the time), use censored observations, and AIC
// picks the right family. Seeds run 1..N in order; none were chosen to pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "failure/fit/kaplan_meier.hpp"
#include "failure/fit/lifetime_fit.hpp"
#include "failure/random_draws.hpp"

namespace ckptlab {
namespace {

constexpr double kDay = 86400.0;

// Draws n lifetimes from `draw`; those past `censor_at` are censored there (type I censoring,
// as at the end of a log).
template <typename Draw>
LifetimeSample sample_of(std::uint64_t seed, int n, double censor_at, Draw draw) {
  std::mt19937_64 engine(seed);
  LifetimeSample s;
  for (int i = 0; i < n; ++i) {
    const double t = draw(engine);
    if (t > censor_at)
      s.censor(censor_at);
    else
      s.observe(t);
  }
  return s;
}

bool covers(const Estimate& e, double truth) { return e.lower <= truth && truth <= e.upper; }

TEST(LifetimeFit, WeibullRecoversShapeAndScaleWithinItsIntervalAtTheNominalRate) {
  const double k = 0.7, lambda = 2 * kDay;
  int cover_k = 0, cover_lambda = 0;
  const int seeds = 200;
  for (int seed = 1; seed <= seeds; ++seed) {
    const LifetimeSample s =
        sample_of(seed, 300, 1e300, [&](std::mt19937_64& e) { return draw_weibull(e, k, lambda); });
    const LifetimeFit f = fit_lifetime(LifetimeModel::weibull, s);
    ASSERT_TRUE(f.valid) << f.why;
    EXPECT_FALSE(f.at_bound);
    EXPECT_LE(f.shape.lower, f.shape.value);
    EXPECT_LE(f.shape.value, f.shape.upper);
    cover_k += covers(f.shape, k);
    cover_lambda += covers(f.scale, lambda);
  }
  // 95% intervals: a binomial(200, 0.95) count lies in [181, 197] with probability > 99%.
  EXPECT_GE(cover_k, 181);
  EXPECT_LE(cover_k, 197);
  EXPECT_GE(cover_lambda, 181);
  EXPECT_LE(cover_lambda, 197);
}

TEST(LifetimeFit, LognormalRecoversMedianAndSigmaWithinItsIntervalAtTheNominalRate) {
  const double median = 3 * 3600.0, sigma = 1.8;
  int cover_median = 0, cover_sigma = 0;
  const int seeds = 200;
  for (int seed = 1; seed <= seeds; ++seed) {
    // Censored at 3 days: about 3% of the sample.
    const LifetimeSample s = sample_of(
        seed, 300, 3 * kDay, [&](std::mt19937_64& e) { return draw_lognormal(e, median, sigma); });
    const LifetimeFit f = fit_lifetime(LifetimeModel::lognormal, s);
    ASSERT_TRUE(f.valid) << f.why;
    cover_median += covers(f.scale, median);
    cover_sigma += covers(f.shape, sigma);
  }
  EXPECT_GE(cover_median, 181);
  EXPECT_LE(cover_median, 197);
  EXPECT_GE(cover_sigma, 181);
  EXPECT_LE(cover_sigma, 197);
}

TEST(LifetimeFit, ExponentialWithCensoringIsTotalTimeOverFailures) {
  LifetimeSample s;
  for (double t : {100.0, 250.0, 40.0, 1000.0}) s.observe(t);
  for (double t : {500.0, 2000.0}) s.censor(t);
  const LifetimeFit f = fit_lifetime(LifetimeModel::exponential, s);
  ASSERT_TRUE(f.valid);
  const double mean = (100 + 250 + 40 + 1000 + 500 + 2000) / 4.0;
  EXPECT_NEAR(f.scale.value, mean, 1e-9 * mean);
  EXPECT_NEAR(f.log_likelihood, -4 * std::log(mean) - 4, 1e-9);
  // The interval is exp(log mean +- 1.96 / sqrt(failures)).
  EXPECT_NEAR(f.scale.upper, mean * std::exp(1.959963985 / 2), 1e-6 * mean);
  EXPECT_EQ(f.shape.value, 1);
  EXPECT_EQ(f.parameters, 1);
  EXPECT_NEAR(f.aic, 2 - 2 * f.log_likelihood, 1e-12);
}

TEST(LifetimeFit, CensoringRecoversTheScaleBetterThanIgnoringIt) {
  // A log that ends after 1.5 scale lengths censors about a third of a Weibull(0.8) sample.
  // Dropping those (treating the log as if it held every lifetime) biases the scale low.
  const double k = 0.8, lambda = 10 * kDay;
  double err_censored = 0, err_ignored = 0;
  for (int seed = 1; seed <= 50; ++seed) {
    const LifetimeSample s = sample_of(
        seed, 400, 1.5 * lambda, [&](std::mt19937_64& e) { return draw_weibull(e, k, lambda); });
    LifetimeSample dropped = s;
    dropped.censored.clear();
    err_censored +=
        std::abs(std::log(fit_lifetime(LifetimeModel::weibull, s).scale.value / lambda));
    err_ignored +=
        std::abs(std::log(fit_lifetime(LifetimeModel::weibull, dropped).scale.value / lambda));
  }
  EXPECT_LT(err_censored, 0.25 * err_ignored);
  EXPECT_LT(err_censored / 50, 0.1);
}

TEST(LifetimeFit, AicPrefersWeibullOnWeibullData) {
  for (int seed = 1; seed <= 20; ++seed) {
    const LifetimeSample s =
        sample_of(seed, 500, 1e300, [&](std::mt19937_64& e) { return draw_weibull(e, 0.6, kDay); });
    const double weibull = fit_lifetime(LifetimeModel::weibull, s).aic;
    EXPECT_LT(weibull, fit_lifetime(LifetimeModel::exponential, s).aic) << "seed " << seed;
    EXPECT_LT(weibull, fit_lifetime(LifetimeModel::lognormal, s).aic) << "seed " << seed;
  }
}

TEST(LifetimeFit, AicPrefersExponentialOnExponentialData) {
  // Against Weibull, which nests it, the exponential wins when 2 * (gain in log-likelihood) < 2:
  // P(chi2_1 < 2) = 84%. Against the lognormal, which does not nest it, it should nearly always.
  int over_weibull = 0, over_lognormal = 0;
  const int seeds = 100;
  for (int seed = 1; seed <= seeds; ++seed) {
    const LifetimeSample s =
        sample_of(seed, 500, 1e300, [&](std::mt19937_64& e) { return draw_exponential(e, kDay); });
    const double exponential = fit_lifetime(LifetimeModel::exponential, s).aic;
    over_weibull += exponential < fit_lifetime(LifetimeModel::weibull, s).aic;
    over_lognormal += exponential < fit_lifetime(LifetimeModel::lognormal, s).aic;
  }
  EXPECT_GE(over_weibull, 74);  // binomial(100, 0.84) >= 74 with probability > 99%
  EXPECT_GE(over_lognormal, 95);
}

TEST(LifetimeFit, BelowResolutionFailuresCountWithoutBreakingTheLikelihood) {
  const LifetimeSample drawn =
      sample_of(7, 300, 1e300, [](std::mt19937_64& e) { return draw_weibull(e, 0.5, 3600.0); });
  LifetimeSample s;
  s.resolution_s = 60;  // a log with minute resolution
  for (double t : drawn.exact) s.observe(t);
  LifetimeSample zeros = s;
  for (int i = 0; i < 30; ++i) zeros.observe(0);  // a burst: 30 gaps of 0
  EXPECT_EQ(zeros.below_resolution, s.below_resolution + 30);
  for (LifetimeModel m :
       {LifetimeModel::exponential, LifetimeModel::weibull, LifetimeModel::lognormal}) {
    const LifetimeFit f = fit_lifetime(m, zeros);
    ASSERT_TRUE(f.valid) << to_string(m);
    EXPECT_TRUE(std::isfinite(f.log_likelihood)) << to_string(m);
    EXPECT_GT(f.ks_distance, 0);
  }
  // More short gaps: a smaller shape (more early failures).
  EXPECT_LT(fit_lifetime(LifetimeModel::weibull, zeros).shape.value,
            fit_lifetime(LifetimeModel::weibull, s).shape.value);
}

TEST(LifetimeFit, UnidentifiableSamplesAreInvalidWithAReason) {
  LifetimeSample none;
  none.censor(100);
  EXPECT_FALSE(fit_lifetime(LifetimeModel::exponential, none).valid);
  EXPECT_EQ(fit_lifetime(LifetimeModel::exponential, none).why, "no failures");
  LifetimeSample one_time;
  one_time.observe(50);
  one_time.observe(50);
  one_time.censor(70);
  EXPECT_TRUE(fit_lifetime(LifetimeModel::exponential, one_time).valid);
  EXPECT_FALSE(fit_lifetime(LifetimeModel::weibull, one_time).valid);
  EXPECT_FALSE(fit_lifetime(LifetimeModel::lognormal, one_time).valid);
}

TEST(KaplanMeier, EqualsTheEmpiricalCdfWithoutCensoringAndDropsCensoredFromTheRiskSet) {
  LifetimeSample s;
  for (double t : {1.0, 2.0, 3.0, 4.0}) s.observe(t);
  s.resolution_s = 0.5;
  auto km = kaplan_meier(s);
  ASSERT_EQ(km.size(), 4u);
  EXPECT_DOUBLE_EQ(km[1].survival, 0.5);
  s.censor(2.5);  // 5 in all; the censored one leaves the risk set before t = 3
  km = kaplan_meier(s);
  EXPECT_DOUBLE_EQ(km[1].survival, 0.6);
  EXPECT_DOUBLE_EQ(km[2].survival, 0.6 * 0.5);
  EXPECT_DOUBLE_EQ(km[3].survival, 0);
}

TEST(KaplanMeier, KsDistanceIsSmallForTheTrueModelAndLargeForAWrongOne) {
  const LifetimeSample s =
      sample_of(3, 2000, 1e300, [](std::mt19937_64& e) { return draw_weibull(e, 0.5, kDay); });
  const LifetimeFit weibull = fit_lifetime(LifetimeModel::weibull, s);
  const LifetimeFit exponential = fit_lifetime(LifetimeModel::exponential, s);
  EXPECT_LT(weibull.ks_distance, 1.628 / std::sqrt(2000.0));
  EXPECT_GT(exponential.ks_distance, 3 * weibull.ks_distance);
}

}  // namespace
}  // namespace ckptlab
