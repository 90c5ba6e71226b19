#include "explain.hpp"

#include <fmt/format.h>

#include "run/run_scenario.hpp"

namespace ckptlab {

namespace {

std::string explain_plan(const Plan& plan, Executor& executor, double background_slowdown) {
  const PlanTiming t = executor.execute(plan);
  std::string out;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    Bytes largest;
    size_t movers = 0;
    for (Bytes b : op.rank_bytes) {
      largest = std::max(largest, b);
      movers += b.value > 0 ? 1 : 0;
    }
    const bool moves = op.kind != OpKind::kRecompute && op.kind != OpKind::kReplay &&
                       op.kind != OpKind::kBarrier;
    out += fmt::format("    {:>2}. {:<16} {:<22} {:>10} {}  {:>9.3f} s -> {:>9.3f} s  {}\n", i + 1,
                       op_kind_name(op.kind),
                       moves ? fmt::format("{} -> {}", tier_name(op.from), tier_name(op.to)) : "",
                       moves ? format_size(op.total_bytes()) : format_duration(op.compute),
                       moves ? fmt::format("({} ranks, max {})", movers, format_size(largest)) : "",
                       t.op_start[i].value, t.op_end[i].value,
                       op.blocking ? "blocking" : "beside training");
  }
  out += fmt::format("       training waits {:.3f} s; all done after {:.3f} s", t.blocking.value,
                     t.total.value);
  if (t.total > t.blocking) {
    // The job slows training by background_slowdown x share while the background ops run.
    out += fmt::format("; the background ops take {:.1f}% of a node, training {:.2f}% slower",
                       t.background_share * 100,
                       background_slowdown * t.background_share * 100);
  }
  return out + "\n";
}

}  // namespace

std::string explain_policies(const Scenario& scenario, Executor& executor) {
  std::string out = fmt::format("{}: {} on {} nodes, iteration time {:.3f} s, {} backend\n",
                                scenario.name, scenario.model.name, scenario.cluster.nodes,
                                scenario.iteration_time.value, executor.backend_name());
  auto policies = build_policies(scenario, executor);
  for (size_t i = 0; i < policies.size(); ++i) {
    Policy& p = *policies[i];
    out += fmt::format("\n{} ({}): {}\n", scenario.policies[i].label, p.kind(), p.describe());
    out += fmt::format("  checkpoint size {}, every {} iteration(s)\n",
                       format_size(p.checkpoint_bytes()), p.interval_iterations());
    for (const auto& [what, plan] : p.explain_plans()) {
      out += fmt::format("  {}:\n", what);
      out += explain_plan(*plan, executor, scenario.hardware.background_slowdown);
    }
  }
  return out;
}

}  // namespace ckptlab
