// The Kaplan-Meier estimate of a lifetime distribution from censored observations, and the
// Kolmogorov-Smirnov distance of a fitted model from it.
//
// With right censoring the plain empirical CDF is biased (censored lifetimes would count as
// failures at their censoring time), so the goodness of fit is measured against Kaplan-Meier,
// which equals the empirical CDF when nothing is censored. Below-resolution observations are
// failures somewhere in (0, resolution]; they enter as failures at the resolution, and the
// distance is taken only at and above it.
#pragma once

#include <functional>
#include <vector>

#include "failure/fit/lifetime_fit.hpp"

namespace ckptlab {

struct SurvivalStep {
  double time_s = 0;    // a failure time
  double survival = 1;  // Kaplan-Meier S(t) just after time_s
};

// The Kaplan-Meier curve: one step per distinct failure time, ascending. A censoring at the same
// time as a failure counts as surviving past it (the usual convention).
std::vector<SurvivalStep> kaplan_meier(const LifetimeSample& sample);

// sup over failure times t >= resolution of |F_KM - cdf|, taking both sides of each step (only
// the right side at the resolution when it holds below-resolution failures). 0 when the sample
// has no failures. REQUIRES: cdf non-decreasing in [0, 1].
double ks_distance(const LifetimeSample& sample, const std::function<double(double)>& cdf);

}  // namespace ckptlab
