#include "policy/checkpoint_interval.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace ckptlab {

Seconds young_interval(Seconds cost, double mtbf_s) { return {std::sqrt(2 * cost.value * mtbf_s)}; }

Seconds daly_interval(Seconds cost, double mtbf_s) {
  const double d = cost.value, m = mtbf_s;
  if (d >= 2 * m) return {m};
  const double x = d / (2 * m);
  return {std::sqrt(2 * d * m) * (1 + std::sqrt(x) / 3 + x / 9) - d};
}

double daly_ettr(Seconds tau, Seconds cost, Seconds restart, double mtbf_s) {
  const double m = mtbf_s;
  return tau.value / (m * std::exp(restart.value / m) * std::expm1((tau.value + cost.value) / m));
}

IntervalChoice resolve_interval(const ConfigNode& node, Seconds iteration_time, Seconds cost,
                                double mtbf_s, const std::string& fallback) {
  auto by_iterations = node.find("interval_iterations");
  auto by_rule = node.find("interval");
  if (by_iterations && by_rule) {
    by_iterations->fail("give either interval or interval_iterations, not both");
  }
  IntervalChoice choice;
  if (by_iterations) {
    choice.iterations = by_iterations->as_positive_int();
    choice.rule = fmt::format("every {} iterations", choice.iterations);
    choice.source = "scenario: interval_iterations";
    return choice;
  }
  const std::string text = by_rule ? by_rule->as_string() : fallback;
  const ConfigNode where = by_rule.value_or(node);
  Seconds tau;
  if (text == "daly" || text == "young") {
    if (!std::isfinite(mtbf_s)) {
      where.fail(fmt::format("interval: {} needs failures (the job MTBF is infinite)", text));
    }
    const bool daly = text == "daly";
    tau = daly ? daly_interval(cost, mtbf_s) : young_interval(cost, mtbf_s);
    choice.rule = daly ? "Daly" : "Young";
    choice.source = fmt::format(
        "{} with checkpoint overhead delta = {:.3f} s (executor) and job MTBF M = {:.0f} s "
        "(failure model)",
        daly ? "Daly 2006: sqrt(2 delta M)(1 + sqrt(delta/2M)/3 + delta/(18M)) - delta"
             : "Young 1974: sqrt(2 delta M)",
        cost.value, mtbf_s);
  } else {
    try {
      tau = parse_duration(text);
    } catch (const std::invalid_argument& e) {
      where.fail(fmt::format("{}; or use daly or young", e.what()));
    }
    if (tau.value <= 0) where.fail("interval must be positive");
    choice.rule = fmt::format("fixed {}", format_duration(tau));
    choice.source = "scenario: interval";
  }
  const double k = std::round(tau.value / iteration_time.value);
  choice.iterations = static_cast<std::int64_t>(std::clamp(k, 1.0, 1e12));
  return choice;
}

}  // namespace ckptlab
