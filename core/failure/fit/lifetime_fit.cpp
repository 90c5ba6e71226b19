#include "failure/fit/lifetime_fit.hpp"

#include <algorithm>
#include <boost/math/constants/constants.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/tools/minima.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "failure/fit/kaplan_meier.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

// The spread b = e^s is searched in [e^-4, e^4]: Weibull shapes 0.018..55, lognormal sigmas
// 0.018..55 (in log seconds). Real failure logs sit far inside (k ~ 0.3..3); an estimate at a
// bound means the sample is degenerate (all failures at one time, say), and is flagged.
constexpr double kMinLogSpread = -4;
constexpr double kMaxLogSpread = 4;

enum class Family { extreme_value, normal };  // of log t: Weibull/exponential, lognormal
enum class Obs { exact, right, left };

struct Derivs {
  double g = 0;   // log density (exact), log survival (right) or log CDF (left) of z
  double g1 = 0;  // d g / dz
  double g2 = 0;  // d2 g / dz2 (<= 0: every term is log-concave)
};

// Smallest extreme value (Gumbel for minima): f0(z) = exp(z - e^z), S0(z) = exp(-e^z).
Derivs extreme_value(Obs obs, double z) {
  const double a = std::exp(z);
  switch (obs) {
    case Obs::exact:
      return {z - a, 1 - a, -a};
    case Obs::right:
      return {-a, -a, -a};
    case Obs::left: {
      // log F0 = log(1 - exp(-a)); expm1 keeps both a -> 0 (log F0 -> z) and a -> inf exact.
      const double g1 = a / std::expm1(a);
      return {std::log(-std::expm1(-a)), g1, g1 * (1 - a - g1)};
    }
  }
  return {};
}

// log Q(z) and the inverse Mills ratio h(z) = phi(z) / Q(z), Q = 1 - Phi. Past z = 35 erfc
// underflows, and the asymptotic series (error below 1e-9 there) takes over.
std::pair<double, double> normal_upper_tail(double z) {
  const double log_root_two_pi = 0.5 * std::log(2 * boost::math::constants::pi<double>());
  if (z < 35) {
    const double q = 0.5 * boost::math::erfc(z / boost::math::constants::root_two<double>());
    const double log_phi = -0.5 * z * z - log_root_two_pi;
    return {std::log(q), std::exp(log_phi - std::log(q))};
  }
  const double w = 1 / (z * z);
  const double series = 1 - w + 3 * w * w - 15 * w * w * w;  // Q(z) ~ phi(z) / z * series
  return {-0.5 * z * z - log_root_two_pi - std::log(z) + std::log(series), z / series};
}

Derivs normal(Obs obs, double z) {
  switch (obs) {
    case Obs::exact:
      return {-0.5 * z * z - 0.5 * std::log(2 * boost::math::constants::pi<double>()), -z, -1};
    case Obs::right: {
      const auto [log_q, h] = normal_upper_tail(z);
      return {log_q, -h, -h * (h - z)};
    }
    case Obs::left: {
      const auto [log_phi_cdf, m] = normal_upper_tail(-z);  // Phi(z) = Q(-z)
      return {log_phi_cdf, m, -m * (m + z)};
    }
  }
  return {};
}

// The log-likelihood and its derivatives in (mu, s) at one point.
struct LogLik {
  double value = 0, d_mu = 0, d_s = 0, d_mu_mu = 0, d_mu_s = 0, d_s_s = 0;
};

// The sample on the log scale, ready for repeated evaluation.
struct LogSample {
  std::vector<double> exact, right;  // log seconds
  double left = 0;                   // log resolution
  double left_count = 0;
  double exact_log_sum = 0;  // sum of log t over exact: the Jacobian of the density in t
};

LogLik evaluate(Family family, const LogSample& d, double mu, double s) {
  const double inv_b = std::exp(-s);
  double value = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0;  // sums of g, g1, g2, g2 z + g1, ...
  const auto add = [&](Obs obs, double y, double weight) {
    const double z = (y - mu) * inv_b;
    const Derivs t = family == Family::normal ? normal(obs, z) : extreme_value(obs, z);
    value += weight * t.g;
    a1 += weight * t.g1;
    a2 += weight * t.g2;
    a3 += weight * (t.g2 * z + t.g1);
    a4 += weight * (t.g2 * z * z + t.g1 * z);
    a5 += weight * t.g1 * z;
  };
  for (double y : d.exact) add(Obs::exact, y, 1);
  for (double y : d.right) add(Obs::right, y, 1);
  if (d.left_count > 0) add(Obs::left, d.left, d.left_count);
  const double n_exact = static_cast<double>(d.exact.size());
  // z = (y - mu) / e^s, so dz/dmu = -1/b and dz/ds = -z; the density of t adds -s - y per exact
  // observation.
  LogLik out;
  out.value = value - n_exact * s - d.exact_log_sum;
  out.d_mu = -inv_b * a1;
  out.d_s = -a5 - n_exact;
  out.d_mu_mu = inv_b * inv_b * a2;
  out.d_mu_s = inv_b * a3;
  out.d_s_s = a4;
  return out;
}

// The mu that maximises the likelihood for spread e^s: the root of the score, which decreases in
// mu (every term is log-concave), found by a bracketed Newton iteration.
double best_mu(Family family, const LogSample& d, double s) {
  const double b = std::exp(s);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto* v : {&d.exact, &d.right}) {
    for (double y : *v) {
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  }
  if (d.left_count > 0) {
    lo = std::min(lo, d.left);
    hi = std::max(hi, d.left);
  }
  const double n = static_cast<double>(d.exact.size() + d.right.size()) + d.left_count;
  // The optimum lies within b * log(n) of the data for both families (it is a log-mean-exp for
  // the extreme-value family); the margin keeps the bracket safely wide.
  const double margin = b * (std::log(n) + 10) + 1;
  lo -= margin;
  hi += margin;
  // Start from the closed form without left censoring (extreme value: b * log(sum e^(y/b) /
  // failures); normal: mean of the failure logs), which is exact when nothing is left-censored.
  double guess = 0;
  const double failures = static_cast<double>(d.exact.size()) + d.left_count;
  if (family == Family::extreme_value) {
    double top = -std::numeric_limits<double>::infinity();
    for (const auto* v : {&d.exact, &d.right})
      for (double y : *v) top = std::max(top, y);
    if (d.left_count > 0) top = std::max(top, d.left);
    double sum = d.left_count * std::exp((d.left - top) / b);
    for (const auto* v : {&d.exact, &d.right})
      for (double y : *v) sum += std::exp((y - top) / b);
    guess = top + b * (std::log(sum) - std::log(failures));
  } else {
    double sum = d.left_count * d.left;
    for (double y : d.exact) sum += y;
    guess = sum / failures;
  }
  guess = std::clamp(guess, lo, hi);
  std::uintmax_t iterations = 200;
  return boost::math::tools::newton_raphson_iterate(
      [&](double mu) {
        const LogLik l = evaluate(family, d, mu, s);
        return std::make_pair(l.d_mu, l.d_mu_mu);
      },
      guess, lo, hi, std::numeric_limits<double>::digits - 8, iterations);
}

LogSample to_log(const LifetimeSample& sample) {
  LogSample d;
  d.exact.reserve(sample.exact.size());
  for (double t : sample.exact) {
    d.exact.push_back(std::log(t));
    d.exact_log_sum += d.exact.back();
  }
  d.right.reserve(sample.censored.size());
  for (double t : sample.censored) d.right.push_back(std::log(t));
  d.left = std::log(sample.resolution_s);
  d.left_count = static_cast<double>(sample.below_resolution);
  return d;
}

// A 95% interval of exp(x) from x's standard error: the interval is on the log scale.
Estimate log_scale_estimate(double x, double sd, double z) {
  if (!(sd >= 0) || !std::isfinite(sd)) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {std::exp(x), nan, nan};
  }
  return {std::exp(x), std::exp(x - z * sd), std::exp(x + z * sd)};
}

}  // namespace

std::string_view to_string(LifetimeModel model) {
  switch (model) {
    case LifetimeModel::exponential:
      return "exponential";
    case LifetimeModel::weibull:
      return "weibull";
    case LifetimeModel::lognormal:
      return "lognormal";
  }
  return "?";
}

void LifetimeSample::observe(double t) {
  CKPTLAB_CHECK(t >= 0 && std::isfinite(t), "lifetime " + std::to_string(t));
  if (t > resolution_s)
    exact.push_back(t);
  else
    ++below_resolution;
}

void LifetimeSample::censor(double t) {
  CKPTLAB_CHECK(t >= 0 && std::isfinite(t), "censoring time " + std::to_string(t));
  if (t > 0) censored.push_back(t);
}

double LifetimeFit::cdf(double t_seconds) const {
  CKPTLAB_CHECK(valid, "cdf of an invalid fit");
  if (!(t_seconds > 0)) return 0;
  const double z = (std::log(t_seconds) - mu) / b;
  if (model == LifetimeModel::lognormal) {
    return 0.5 * boost::math::erfc(-z / boost::math::constants::root_two<double>());
  }
  return -std::expm1(-std::exp(z));
}

LifetimeFit fit_lifetime(LifetimeModel model, const LifetimeSample& sample) {
  CKPTLAB_CHECK(sample.resolution_s > 0, "resolution must be > 0");
  LifetimeFit fit;
  fit.model = model;
  fit.exact = sample.exact.size();
  fit.censored = sample.censored.size();
  fit.below_resolution = sample.below_resolution;
  fit.parameters = model == LifetimeModel::exponential ? 1 : 2;
  if (sample.failures() == 0) {
    fit.why = "no failures";
    return fit;
  }
  if (fit.parameters == 2) {
    // Two parameters need two distinct failure times; the below-resolution lump is one.
    std::vector<double> times = sample.exact;
    if (sample.below_resolution > 0) times.push_back(sample.resolution_s);
    std::sort(times.begin(), times.end());
    if (std::unique(times.begin(), times.end()) - times.begin() < 2) {
      fit.why = "fewer than two distinct failure times";
      return fit;
    }
  }
  const Family family = model == LifetimeModel::lognormal ? Family::normal : Family::extreme_value;
  const LogSample d = to_log(sample);

  double s = 0;  // exponential: b = 1 exactly
  if (model != LifetimeModel::exponential) {
    std::uintmax_t iterations = 200;
    const auto best = boost::math::tools::brent_find_minima(
        [&](double ls) { return -evaluate(family, d, best_mu(family, d, ls), ls).value; },
        kMinLogSpread, kMaxLogSpread, std::numeric_limits<double>::digits / 2, iterations);
    s = best.first;
    fit.at_bound = s < kMinLogSpread + 1e-3 || s > kMaxLogSpread - 1e-3;
  }
  fit.mu = best_mu(family, d, s);
  fit.b = std::exp(s);
  const LogLik l = evaluate(family, d, fit.mu, s);
  fit.log_likelihood = l.value;
  fit.aic = 2 * fit.parameters - 2 * l.value;

  // Observed Fisher information: the negated Hessian; its inverse is the covariance of (mu, s).
  const double z = boost::math::quantile(boost::math::normal_distribution<double>(), 0.975);
  double var_mu = 0, var_s = 0;
  if (fit.parameters == 1) {
    var_mu = -1 / l.d_mu_mu;
  } else {
    const double i11 = -l.d_mu_mu, i12 = -l.d_mu_s, i22 = -l.d_s_s;
    const double det = i11 * i22 - i12 * i12;
    var_mu = det > 0 ? i22 / det : std::numeric_limits<double>::quiet_NaN();
    var_s = det > 0 ? i11 / det : std::numeric_limits<double>::quiet_NaN();
  }
  fit.scale = log_scale_estimate(fit.mu, std::sqrt(var_mu), z);
  switch (model) {
    case LifetimeModel::exponential:
      fit.shape = {1, 1, 1};
      fit.mean_s = fit.scale.value;
      break;
    case LifetimeModel::weibull: {
      // k = e^-s, and -s has the standard error of s.
      fit.shape = log_scale_estimate(-s, std::sqrt(var_s), z);
      fit.mean_s = fit.scale.value * boost::math::tgamma(1 + fit.b);
      break;
    }
    case LifetimeModel::lognormal:
      fit.shape = log_scale_estimate(s, std::sqrt(var_s), z);
      fit.mean_s = std::exp(fit.mu + 0.5 * fit.b * fit.b);
      break;
  }
  fit.valid = true;
  fit.ks_distance = ks_distance(sample, [&](double t) { return fit.cdf(t); });
  return fit;
}

}  // namespace ckptlab
