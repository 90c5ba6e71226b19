#include "hw/validate/harness_policies.hpp"

#include <fmt/format.h>

#include "run/run_scenario.hpp"

namespace ckptlab::hw {

namespace {

// Kinds whose interval, when the entry names none, is a rule of policy/checkpoint_interval.hpp
// (Daly's for a week-long run: hundreds of iterations). The others derive theirs from their own
// parameters (in_memory from the idle network time, moetion from its window), which the short
// run keeps.
bool interval_defaults_to_a_rule(const std::string& kind) {
  return kind == "sync_full" || kind == "async_two_level" || kind == "moc_pec";
}

}  // namespace

ConfigNode short_run_node(const PolicyEntry& entry, const ShortRun& run) {
  YAML::Node copy = YAML::Clone(entry.node.yaml());
  if (run.interval_iterations > 0) {
    const bool has_rule = copy["interval"].IsDefined();
    const bool has_count = copy["interval_iterations"].IsDefined();
    const bool by_rule =
        copy["name"].IsScalar() && interval_defaults_to_a_rule(copy["name"].as<std::string>());
    if (has_rule || has_count || by_rule) {
      copy.remove("interval");
      copy["interval_iterations"] = run.interval_iterations;
    }
    if (copy["persist_interval"].IsDefined()) {
      const double s = run.iteration_time.value * static_cast<double>(run.interval_iterations) *
                       run.persist_every_checkpoints;
      copy["persist_interval"] =
          fmt::format("{}ms", std::max<long long>(1, std::llround(s * 1000)));
    }
  }
  return ConfigNode(copy, entry.node.file(), entry.node.key_path());
}

std::unique_ptr<Policy> make_harness_policy(const Scenario& s, const PolicyEntry& entry,
                                            Executor& predictor, const ShortRun& run) {
  const PolicyContext context{s.model,
                              s.parallel,
                              s.cluster,
                              s.hardware,
                              *s.shards,
                              predictor,
                              run.iteration_time.value > 0 ? run.iteration_time : s.iteration_time,
                              s.failures.job_mtbf_seconds(s.cluster),
                              expected_restart_time(s)};
  return make_policy(short_run_node(entry, run), context);
}

std::optional<std::string> harness_limitation(Policy& policy, const PlanScaler& scaler,
                                              const CannotRun& cannot_run) {
  const Plan* plan = policy.checkpoint_plan(policy.interval_iterations());
  if (!plan) return fmt::format("{} issues no checkpoint at its interval", policy.kind());
  HarnessPlan mapped;
  try {
    mapped = scaler.map(*plan);
  } catch (const std::invalid_argument& e) {  // a selection the harness's shards cannot express
    return fmt::format("{}: {}", policy.kind(), e.what());
  }
  for (size_t i = 0; i < mapped.plan.ops.size(); ++i) {
    const Op& op = mapped.plan.ops[i];
    if (mapped.selection(i)) continue;  // moves the shards it names
    for (size_t r = 0; r < op.rank_bytes.size(); ++r) {
      const std::int64_t b = op.rank_bytes[r].value;
      if (b != 0 && b != scaler.layout().ranks[r].bytes()) {
        return fmt::format(
            "{}: op '{}' moves part of a rank's state ({} of {} bytes on rank {}); the harness "
            "maps onto its shards only whole-state plans and MoEtion's slots",
            policy.kind(), op.label, b, scaler.layout().ranks[r].bytes(), r);
      }
    }
  }
  if (!cannot_run) return std::nullopt;
  if (auto why = cannot_run(mapped)) return fmt::format("{}: {}", policy.kind(), *why);
  for (const auto& [what, p] : policy.explain_plans()) {
    if (!p) continue;
    if (auto why = cannot_run(scaler.map(*p))) {
      return fmt::format("{}: {}: {}", policy.kind(), what, *why);
    }
  }
  return std::nullopt;
}

}  // namespace ckptlab::hw
