// Maximum-likelihood fits of lifetime distributions (times between failures) with censoring.
//
// Real failure logs give three kinds of observation:
//  - exact:    a failure was seen this long after the previous one (or after the node's start);
//  - censored: the node was still up this long after its last failure when the log ended (right
//              censoring: the lifetime is at least this long);
//  - below resolution: two failures at one logged instant (a burst), a gap of 0 that only says
//              "at most one clock tick". These are left-censored at the log's resolution, so they
//              count as failures without sending log(0) into the likelihood.
// Ignoring the censored observations makes nodes look less reliable than they are; dropping the
// zero gaps hides the bursts. Both are kept here.
//
// All three models are log-location-scale families of y = log t: exponential and Weibull are the
// smallest-extreme-value family (Weibull scale lambda = e^mu, shape k = 1/b; exponential b = 1),
// lognormal is the normal family (median e^mu, sigma = b). One likelihood code serves all three,
// in the parameters (mu, s = log b). The fit maximises over mu for each s (a concave problem,
// Boost.Math's newton_raphson_iterate) and over s by Boost.Math's brent_find_minima on the
// profile likelihood, which is unimodal for these log-concave families. The 95% intervals come
// from the observed Fisher information (the analytic Hessian at the optimum) on the log scale,
// so they never cross zero.
//
// Pure: no I/O, no randomness; the same sample gives the same fit, bit for bit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ckptlab {

enum class LifetimeModel { exponential, weibull, lognormal };
std::string_view to_string(LifetimeModel model);

struct LifetimeSample {
  std::vector<double> exact;         // seconds, each > resolution_s
  std::vector<double> censored;      // seconds > 0: survived at least this long
  std::size_t below_resolution = 0;  // failures at most resolution_s after the previous one
  double resolution_s = 1;           // > 0: the log's clock tick

  // Adds an observed lifetime: exact when t > resolution_s, else below resolution.
  // REQUIRES: t >= 0 (checked).
  void observe(double t);
  // Adds a right-censored lifetime. A censoring time of 0 says nothing and is dropped.
  // REQUIRES: t >= 0 (checked).
  void censor(double t);
  std::size_t failures() const { return exact.size() + below_resolution; }
  std::size_t size() const { return failures() + censored.size(); }
};

// A point estimate with its 95% confidence interval (lower <= value <= upper).
struct Estimate {
  double value = 0;
  double lower = 0;
  double upper = 0;
};

struct LifetimeFit {
  LifetimeModel model = LifetimeModel::exponential;
  // False when the sample cannot identify the model (no failure at all; fewer than two distinct
  // failure times for a two-parameter model). Only `why` and the counts are set then.
  bool valid = false;
  std::string why;
  std::size_t exact = 0, censored = 0, below_resolution = 0;

  double mu = 0;  // location of log t (log seconds)
  double b = 1;   // spread of log t: 1 / Weibull shape, lognormal sigma, 1 for exponential
  // Seconds: exponential mean, Weibull scale lambda, lognormal median e^mu.
  Estimate scale;
  // Weibull shape k, lognormal sigma; exactly 1 (no interval) for exponential.
  Estimate shape;
  double mean_s = 0;          // expected lifetime: lambda * Gamma(1 + 1/k), e^(mu + sigma^2 / 2)
  double log_likelihood = 0;  // of the sample, densities in 1/seconds
  int parameters = 1;
  double aic = 0;          // 2 * parameters - 2 * log_likelihood
  double ks_distance = 0;  // sup |Kaplan-Meier CDF - fitted CDF| (kaplan_meier.hpp)
  bool at_bound = false;   // the spread hit its search bound [e^-4, e^4]: a degenerate sample

  // The fitted CDF. REQUIRES: valid.
  double cdf(double t_seconds) const;
};

// The maximum-likelihood fit of `model` to `sample`. Never throws for a bad sample: an
// unidentifiable one gives valid = false with the reason.
LifetimeFit fit_lifetime(LifetimeModel model, const LifetimeSample& sample);

}  // namespace ckptlab
