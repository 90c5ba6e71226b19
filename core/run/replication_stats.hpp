// Confidence intervals over independent replications of a run (issue: a week-long job is one
// sample; its ETTR carries Monte-Carlo error the size of the differences users choose between).
//
// ETTR pooled over replications is a ratio estimator, sum(productive) / sum(wall); its 95%
// interval uses the delta method with Student's t on n - 1 degrees of freedom (Boost.Math).
// Policies share failure streams within a replication (common random numbers), so the paired
// difference of two policies has its own, usually much tighter, interval.
#pragma once

#include <cstddef>
#include <vector>

namespace ckptlab {

struct Estimate {
  double value = 0;
  double half_width = 0;  // 95%; infinity with fewer than two replications
};

// sum(num) / sum(den) with its 95% half-width. REQUIRES: equal sizes, sum(den) > 0.
Estimate ratio_estimate(const std::vector<double>& num, const std::vector<double>& den);
// Mean of a - b (paired by replication) with its 95% half-width. REQUIRES: equal sizes.
Estimate paired_difference(const std::vector<double>& a, const std::vector<double>& b);
// The two-sided 95% Student t quantile for n - 1 degrees of freedom (n >= 2).
double t_quantile_95(std::size_t n);

}  // namespace ckptlab
