#include "policies/async_two_level.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ckptlab {

AsyncTwoLevelPolicy::AsyncTwoLevelPolicy(const ConfigNode& node, const PolicyContext& ctx)
    : DenseCheckpointPolicy(node, ctx, /*persist_blocking=*/false) {
  node.expect_keys(
      {"name", "label", "interval", "interval_iterations", "overhead_bound", "tier"});
  const double bound = node.double_or("overhead_bound", 0.035);
  if (bound <= 0 || bound >= 1) node["overhead_bound"].fail("expected a fraction in (0, 1)");
  const auto rule = node.find("interval");
  const bool checkfreq =
      !node.has("interval_iterations") && (!rule || rule->as_string() == "checkfreq");
  if (!checkfreq) {
    set_interval(resolve_interval(node, ctx.iteration_time, overhead_per_checkpoint(),
                                  ctx.job_mtbf_s, "checkfreq"));
    return;
  }
  const double t_iter = ctx.iteration_time.value;
  const double by_overhead = std::ceil(overhead_per_checkpoint().value / (bound * t_iter));
  const double by_persist = std::ceil(background_.value / t_iter);
  IntervalChoice choice;
  choice.iterations = static_cast<std::int64_t>(std::max({1.0, by_overhead, by_persist}));
  choice.rule = fmt::format("CheckFreq, overhead <= {:.1f}%", bound * 100);
  choice.source = fmt::format(
      "CheckFreq (FAST '21) rule: smallest k with (stall + slowdown * share * persist) / (k "
      "t_iter) <= {} and k t_iter >= persist; stall {:.3f} s, persist {:.3f} s, slowdown {} "
      "(hardware profile) x share {:.3f} (the persist's share of a node's resources), t_iter "
      "{:.3f} s",
      bound, blocking_.value, background_.value, ctx.hardware.background_slowdown,
      background_share_, t_iter);
  set_interval(choice);
}

std::string AsyncTwoLevelPolicy::describe() const {
  return fmt::format(
      "snapshot to host ({:.2f} s stall), persist to {} in background ({:.2f} s), every {} "
      "iterations ({})",
      blocking_.value, tier_name(tier_), background_.value, interval_.iterations, interval_.rule);
}

}  // namespace ckptlab
