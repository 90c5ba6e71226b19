#include "failure/fit/kaplan_meier.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ckptlab {

std::vector<SurvivalStep> kaplan_meier(const LifetimeSample& sample) {
  // (time, is_failure): at equal times failures sort first, so those censored then are still at
  // risk for that step.
  std::vector<std::pair<double, bool>> obs;
  obs.reserve(sample.size());
  for (double t : sample.exact) obs.emplace_back(t, true);
  for (double t : sample.censored) obs.emplace_back(t, false);
  for (std::size_t i = 0; i < sample.below_resolution; ++i)
    obs.emplace_back(sample.resolution_s, true);
  std::sort(obs.begin(), obs.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (a.first == b.first && a.second && !b.second);
  });
  std::vector<SurvivalStep> steps;
  double at_risk = static_cast<double>(obs.size());
  double survival = 1;
  for (std::size_t i = 0; i < obs.size();) {
    const double t = obs[i].first;
    double failed = 0, leaving = 0;
    for (; i < obs.size() && obs[i].first == t; ++i) {
      failed += obs[i].second ? 1 : 0;
      leaving += 1;
    }
    if (failed > 0) {
      survival *= 1 - failed / at_risk;
      steps.push_back({t, survival});
    }
    at_risk -= leaving;
  }
  return steps;
}

double ks_distance(const LifetimeSample& sample, const std::function<double(double)>& cdf) {
  const std::vector<SurvivalStep> steps = kaplan_meier(sample);
  double d = 0, before = 0;  // KM CDF just before the current step
  for (const SurvivalStep& s : steps) {
    const double f = cdf(s.time_s);
    const double after = 1 - s.survival;
    d = std::max(d, std::abs(after - f));
    const bool lump = sample.below_resolution > 0 && s.time_s == sample.resolution_s;
    if (!lump) d = std::max(d, std::abs(before - f));
    before = after;
  }
  return d;
}

}  // namespace ckptlab
