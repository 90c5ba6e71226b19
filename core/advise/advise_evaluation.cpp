#include "advise/advise_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {
constexpr auto kProductive = static_cast<std::size_t>(TimeCategory::kProductive);
}

Estimate Evaluation::ettr() const {
  CKPTLAB_CHECK(!runs.empty(), "an evaluation has runs");
  std::vector<double> productive, wall;
  for (const ReplicationFigures& r : runs) {
    productive.push_back(r.time_s[kProductive]);
    wall.push_back(r.wall_s);
  }
  return ratio_estimate(productive, wall);
}

double Evaluation::share(TimeCategory c) const {
  double part = 0, wall = 0;
  for (const ReplicationFigures& r : runs) {
    part += r.time_s[static_cast<std::size_t>(c)];
    wall += r.wall_s;
  }
  return wall > 0 ? part / wall : 0;
}

double Evaluation::recovery_share() const {
  return share(TimeCategory::kDetection) + share(TimeCategory::kRestart) +
         share(TimeCategory::kStateLoad) + share(TimeCategory::kReplay);
}

double Evaluation::lost_tokens_fraction() const {
  double sum = 0;
  for (const ReplicationFigures& r : runs) sum += r.lost_tokens_fraction;
  return runs.empty() ? 0 : sum / static_cast<double>(runs.size());
}

std::vector<double> Evaluation::ettr_per_run() const {
  std::vector<double> out;
  for (const ReplicationFigures& r : runs) out.push_back(r.time_s[kProductive] / r.wall_s);
  return out;
}

Estimate paired_ettr_difference(const Evaluation& a, const Evaluation& b) {
  std::vector<double> x = a.ettr_per_run(), y = b.ettr_per_run();
  const std::size_t n = std::min(x.size(), y.size());
  CKPTLAB_CHECK(n > 0, "paired comparison of evaluations with runs");
  x.resize(n);
  y.resize(n);
  return paired_difference(x, y);
}

bool significantly_better(const Evaluation& a, const Evaluation& b) {
  const Estimate d = paired_ettr_difference(a, b);
  if (!std::isfinite(d.half_width)) return d.value > 0;
  return d.value > d.half_width;
}

bool tied(const Evaluation& a, const Evaluation& b, double tolerance) {
  if (std::abs(paired_ettr_difference(a, b).value) < tolerance) return true;
  return !significantly_better(a, b) && !significantly_better(b, a);
}

bool equivalent(const Evaluation& a, const Evaluation& b, double tolerance) {
  const Estimate d = paired_ettr_difference(a, b);
  return std::isfinite(d.half_width) && std::abs(d.value) + d.half_width <= tolerance;
}

double search_score(const Evaluation& e) {
  if (!e.valid() || e.runs.empty()) return -std::numeric_limits<double>::infinity();
  return e.ettr().value - (e.feasible() ? 0.0 : 1.0);
}

std::optional<std::size_t> pick(const std::vector<const Evaluation*>& candidates,
                                std::optional<std::size_t> preferred) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (!candidates[i]->feasible()) continue;
    if (!best || candidates[i]->ettr().value > candidates[*best]->ettr().value) best = i;
  }
  if (!best || !preferred || !candidates[*preferred]->feasible()) return best;
  return significantly_better(*candidates[*best], *candidates[*preferred]) ? best : preferred;
}

bool separated(const std::vector<const Evaluation*>& candidates, std::size_t best) {
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i == best || !candidates[i]->valid()) continue;
    if (!significantly_better(*candidates[best], *candidates[i])) return false;
  }
  return true;
}

bool settled(const std::vector<const Evaluation*>& candidates, std::size_t best, double tolerance) {
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (i == best || !candidates[i]->valid()) continue;
    if (!significantly_better(*candidates[best], *candidates[i]) &&
        !equivalent(*candidates[best], *candidates[i], tolerance)) {
      return false;
    }
  }
  return true;
}

}  // namespace ckptlab
