// Statistical checks of the random failure processes against their distributions. Every test
// uses a fixed seed, so a pass is reproducible. The bounds are 99% ones, so a correct generator
// fails about one seed in a hundred; the seeds here were not chosen to pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <vector>

#include "failure/failure_process.hpp"
#include "failure/poisson_failures.hpp"
#include "failure/random_draws.hpp"
#include "failure/weibull_failures.hpp"

namespace ckptlab {
namespace {

constexpr double kDay = 86400.0;

// Kolmogorov-Smirnov statistic D = sup |F_n(x) - F(x)| of a sample against a continuous CDF.
double ks_distance(std::vector<double> sample, const std::function<double(double)>& cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    d = std::max({d, f - static_cast<double>(i) / n, static_cast<double>(i + 1) / n - f});
  }
  return d;
}

// Critical value of D for alpha = 0.01 (asymptotic: 1.628 / sqrt(n)).
double ks_critical_001(size_t n) { return 1.628 / std::sqrt(static_cast<double>(n)); }

// The first `per_node` lifetimes of every node: the time to its first failure, then the gaps
// between its failures. Taking a fixed count per node (not all gaps up to a horizon) keeps the
// sample free of length bias: these are exactly the first renewals, i.i.d. by construction.
// Scales are a day or so, so that hundreds of lifetimes per node stay far inside the processes'
// 250-year horizon.
std::vector<double> per_node_lifetimes(FailureProcess& p, std::int64_t nodes, size_t per_node) {
  std::vector<std::vector<double>> gaps(static_cast<size_t>(nodes));
  std::vector<Nanos> last(static_cast<size_t>(nodes), 0);
  size_t complete = 0;
  while (complete < static_cast<size_t>(nodes)) {
    auto e = p.next();
    if (!e) ADD_FAILURE() << "process ended early";
    if (!e) break;
    const auto node = static_cast<size_t>(e->nodes.at(0));
    if (gaps[node].size() < per_node) {
      gaps[node].push_back(to_seconds(e->time - last[node]).value);
      if (gaps[node].size() == per_node) ++complete;
    }
    last[node] = e->time;
  }
  std::vector<double> all;
  for (const auto& g : gaps) all.insert(all.end(), g.begin(), g.end());
  return all;
}

TEST(FailureStatistics, ExponentialInterArrivalMeanWithin99PercentInterval) {
  const std::int64_t nodes = 1024;
  const double mtbf_node = 264 * kDay;
  auto p = make_exponential_node_failures(Seconds{mtbf_node}, nodes, {{"node", 1, Seconds{60}}}, 7);
  const size_t n = 20000;
  double sum = 0;
  Nanos prev = 0;
  for (size_t i = 0; i < n; ++i) {
    auto e = p->next();
    ASSERT_TRUE(e);
    sum += to_seconds(e->time - prev).value;
    prev = e->time;
  }
  const double mean = mtbf_node / static_cast<double>(nodes);
  const double sample_mean = sum / static_cast<double>(n);
  // Exponential: sd = mean, so the sample mean's 99% interval is mean * (1 +- 2.576 / sqrt(n)).
  const double half_width = 2.576 * mean / std::sqrt(static_cast<double>(n));
  std::printf("[stat] exponential inter-arrival: sample mean %.2f s, expected %.2f s +- %.2f s\n",
              sample_mean, mean, half_width);
  EXPECT_NEAR(sample_mean, mean, half_width);
}

TEST(FailureStatistics, ExponentialPerNodeLifetimesPassKolmogorovSmirnov) {
  const std::int64_t nodes = 8;
  const double mtbf_node = 10 * kDay;
  auto p =
      make_exponential_node_failures(Seconds{mtbf_node}, nodes, {{"node", 1, Seconds{60}}}, 11);
  const auto sample = per_node_lifetimes(*p, nodes, 1500);
  const double d = ks_distance(sample, [&](double x) { return 1 - std::exp(-x / mtbf_node); });
  std::printf("[stat] exponential per-node KS: n=%zu D=%.5f critical(0.01)=%.5f\n", sample.size(),
              d, ks_critical_001(sample.size()));
  EXPECT_LT(d, ks_critical_001(sample.size()));
}

TEST(FailureStatistics, WeibullPerNodeLifetimesPassKolmogorovSmirnov) {
  for (double k : {0.7, 1.5}) {
    const std::int64_t nodes = 16;
    const double scale = 1.5 * kDay;
    auto p = make_weibull_node_failures(k, Seconds{scale}, nodes, {{"node", 1, Seconds{60}}}, 13);
    const auto sample = per_node_lifetimes(*p, nodes, 800);
    const double d =
        ks_distance(sample, [&](double x) { return 1 - std::exp(-std::pow(x / scale, k)); });
    std::printf("[stat] weibull k=%.1f per-node KS: n=%zu D=%.5f critical(0.01)=%.5f\n", k,
                sample.size(), d, ks_critical_001(sample.size()));
    EXPECT_LT(d, ks_critical_001(sample.size())) << "shape " << k;
  }
}

TEST(FailureStatistics, KolmogorovSmirnovRejectsTheWrongDistribution) {
  // The test has power: Weibull k=0.7 lifetimes are far from an exponential of the same mean.
  const double scale = 1.5 * kDay;
  const double mean = scale * std::tgamma(1 + 1 / 0.7);
  auto p = make_weibull_node_failures(0.7, Seconds{scale}, 16, {{"node", 1, Seconds{60}}}, 13);
  const auto sample = per_node_lifetimes(*p, 16, 800);
  const double d = ks_distance(sample, [&](double x) { return 1 - std::exp(-x / mean); });
  std::printf("[stat] weibull k=0.7 against exponential of same mean: D=%.5f\n", d);
  EXPECT_GT(d, 3 * ks_critical_001(sample.size()));
}

// Share of lifetimes shorter than a tenth of the mean, for shape k at a fixed node MTBF.
double early_share(double k, std::uint64_t seed) {
  const double mtbf_node = 2 * kDay;
  const double scale = mtbf_node / std::tgamma(1 + 1 / k);
  auto p = make_weibull_node_failures(k, Seconds{scale}, 16, {{"node", 1, Seconds{60}}}, seed);
  const auto sample = per_node_lifetimes(*p, 16, 500);
  const auto early =
      std::count_if(sample.begin(), sample.end(), [&](double x) { return x < 0.1 * mtbf_node; });
  return static_cast<double>(early) / static_cast<double>(sample.size());
}

TEST(FailureStatistics, WeibullShapeBelowOneGivesMoreEarlyFailures) {
  const double k07 = early_share(0.7, 21), k10 = early_share(1.0, 21), k15 = early_share(1.5, 21);
  // Theory: 1 - exp(-(0.1 * Gamma(1 + 1/k))^k) = 0.210, 0.095, 0.027.
  std::printf("[stat] lifetimes < mean/10: k=0.7 %.3f, k=1.0 %.3f, k=1.5 %.3f\n", k07, k10, k15);
  EXPECT_GT(k07, k10);
  EXPECT_GT(k10, k15);
  EXPECT_NEAR(k07, 0.210, 0.03);
  EXPECT_NEAR(k10, 0.095, 0.02);
  EXPECT_NEAR(k15, 0.027, 0.01);

  // Cluster level: all nodes start new, so with k < 1 the first month sees a burst of infant
  // mortality compared with the memoryless model of the same node MTBF.
  const auto count_in = [](double k) {
    ClusterSpec c;
    c.nodes = 1024;
    FailureSpec s;
    s.cluster = c;
    s.model = FailureModel::weibull;
    s.shape = k;
    s.scale = Seconds{380 * kDay / std::tgamma(1 + 1 / k)};
    auto p = make_failure_process(s, c, 5);
    int n = 0;
    while (auto e = p->next()) {
      if (e->time > to_nanos(Seconds{30 * kDay})) break;
      ++n;
    }
    return n;
  };
  const int first_month_07 = count_in(0.7), first_month_10 = count_in(1.0);
  std::printf("[stat] failures in the first 30 d on 1024 nodes: k=0.7 %d, k=1.0 %d\n",
              first_month_07, first_month_10);
  EXPECT_GT(first_month_07, 1.5 * first_month_10);
}

TEST(FailureStatistics, KindsAreDrawnInProportionToTheirWeights) {
  const std::vector<FailureKind> kinds = {{"gpu", 0.6, Seconds{120}},
                                          {"host", 0.3, Seconds{60}},
                                          {"hang", 0.1, Seconds{600}},
                                          {"never", 0.0, Seconds{1}}};
  auto p = make_exponential_node_failures(Seconds{100 * kDay}, 512, kinds, 3);
  const int n = 30000;
  std::map<std::string, int> count;
  for (int i = 0; i < n; ++i) {
    auto e = p->next();
    ASSERT_TRUE(e);
    ++count[e->kind];
    const FailureKind* k = find_kind(kinds, e->kind);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(e->detection, k->detection);
  }
  EXPECT_EQ(count.count("never"), 0u);
  for (const auto& k : kinds) {
    if (k.weight == 0) continue;
    // Binomial: 99% interval of the share is p +- 2.576 sqrt(p(1-p)/n).
    const double share = count[k.name] / static_cast<double>(n);
    EXPECT_NEAR(share, k.weight, 2.576 * std::sqrt(k.weight * (1 - k.weight) / n)) << k.name;
  }
}

TEST(FailureStatistics, UniformDrawsAreInRangeAndUnbiased) {
  std::mt19937_64 engine(99);
  for (int i = 0; i < 100000; ++i) {
    const double u = uniform01(engine);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  // draw_below(3): chi-square with 2 degrees of freedom, 99% critical value 9.21.
  std::vector<int> count(3, 0);
  const int n = 90000;
  for (int i = 0; i < n; ++i) ++count[draw_below(engine, 3)];
  double chi2 = 0;
  for (int c : count) chi2 += (c - n / 3.0) * (c - n / 3.0) / (n / 3.0);
  std::printf("[stat] draw_below(3) chi-square %.3f (critical 9.21)\n", chi2);
  EXPECT_LT(chi2, 9.21);
  // A bound that is not a power of two and close to 2^64, where x % n would be badly biased.
  const std::uint64_t big = (std::uint64_t{1} << 63) + (std::uint64_t{1} << 62);
  int high = 0;
  for (int i = 0; i < 20000; ++i) high += draw_below(engine, big) >= big / 2 ? 1 : 0;
  EXPECT_NEAR(high / 20000.0, 0.5, 0.015);  // x % big would put only 3/8 of draws up there
}

TEST(FailureStatistics, StreamSeedsDifferAcrossStreamsAndSeeds) {
  EXPECT_NE(stream_seed(1, RandomStream::node_failures),
            stream_seed(2, RandomStream::node_failures));
  EXPECT_NE(stream_seed(1, RandomStream::node_failures),
            stream_seed(1, RandomStream::domain_failures));
  EXPECT_NE(stream_seed(1, RandomStream::failure_kinds),
            stream_seed(1, RandomStream::domain_failures));
}

}  // namespace
}  // namespace ckptlab
