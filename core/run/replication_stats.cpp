#include "run/replication_stats.hpp"

#include <boost/math/distributions/students_t.hpp>

#include <cmath>
#include <limits>
#include <numeric>

#include "util/input_error.hpp"

namespace ckptlab {

double t_quantile_95(size_t n) {
  CKPTLAB_CHECK(n >= 2, "a confidence interval needs two replications");
  const boost::math::students_t dist(static_cast<double>(n - 1));
  return boost::math::quantile(boost::math::complement(dist, 0.025));
}

Estimate ratio_estimate(const std::vector<double>& num, const std::vector<double>& den) {
  CKPTLAB_CHECK(num.size() == den.size() && !num.empty(), "one numerator per denominator");
  const double sum_num = std::accumulate(num.begin(), num.end(), 0.0);
  const double sum_den = std::accumulate(den.begin(), den.end(), 0.0);
  CKPTLAB_CHECK(sum_den > 0, "the pooled denominator must be positive");
  Estimate e;
  e.value = sum_num / sum_den;
  const size_t n = num.size();
  if (n < 2) {
    e.half_width = std::numeric_limits<double>::infinity();
    return e;
  }
  // Delta method: Var(R) ~ sum (x_i - R y_i)^2 / ((n - 1) n ybar^2).
  const double mean_den = sum_den / static_cast<double>(n);
  double ss = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = num[i] - e.value * den[i];
    ss += d * d;
  }
  const double var = ss / (static_cast<double>(n - 1) * static_cast<double>(n) * mean_den * mean_den);
  e.half_width = t_quantile_95(n) * std::sqrt(var);
  return e;
}

Estimate paired_difference(const std::vector<double>& a, const std::vector<double>& b) {
  CKPTLAB_CHECK(a.size() == b.size() && !a.empty(), "paired samples need equal sizes");
  const size_t n = a.size();
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = a[i] - b[i];
  Estimate e;
  e.value = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(n);
  if (n < 2) {
    e.half_width = std::numeric_limits<double>::infinity();
    return e;
  }
  double ss = 0;
  for (double x : d) ss += (x - e.value) * (x - e.value);
  e.half_width = t_quantile_95(n) * std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
  return e;
}

}  // namespace ckptlab
