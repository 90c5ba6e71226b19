#include "advise_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "util/config_node.hpp"

namespace ckptlab {

namespace {

using nlohmann::ordered_json;

const Evaluation* row_of(const PolicyAdvice& p) { return p.row; }

std::string vs_best(const Evaluation& e, const Evaluation& best) {
  if (&e == &best) return "best";
  const Estimate d = paired_ettr_difference(e, best);
  return std::isfinite(d.half_width) ? fmt::format("{:+.4f} ± {:.4f}", d.value, d.half_width)
                                     : fmt::format("{:+.4f}", d.value);
}

std::string percent(double share) { return fmt::format("{:.2f}%", 100 * share); }

std::string ettr_text(const Evaluation& e) {
  const Estimate x = e.ettr();
  return std::isfinite(x.half_width) ? fmt::format("{:.4f} ± {:.4f}", x.value, x.half_width)
                                     : fmt::format("{:.4f}", x.value);
}

ordered_json number_or_null(double v) {
  return std::isfinite(v) ? ordered_json(v) : ordered_json();
}

ordered_json settings_json(const Settings& s) {
  ordered_json out = ordered_json::object();
  for (const auto& [k, v] : s) out[k] = v.empty() ? ordered_json() : ordered_json(v);
  return out;
}

ordered_json evaluation_json(const Evaluation& e) {
  ordered_json j;
  j["settings"] = settings_json(e.settings);
  j["backend"] = e.backend;
  j["feasible"] = e.feasible();
  j["violated"] = e.violated.empty() ? ordered_json() : ordered_json(e.violated);
  if (!e.violation_detail.empty()) j["violation_detail"] = e.violation_detail;
  if (!e.valid()) {
    j["invalid"] = e.invalid;
    return j;
  }
  j["replications"] = e.runs.size();
  const Estimate x = e.ettr();
  j["ettr"] = x.value;
  j["ci95"] = number_or_null(x.half_width);
  j["interval_iterations"] = e.interval_iterations;
  j["interval_s"] = e.interval_s;
  j["checkpoint_bytes"] = e.checkpoint_bytes.value;
  j["share_of_wall"] = {{"checkpoint_stall", e.share(TimeCategory::kCheckpointStall)},
                        {"slowdown", e.share(TimeCategory::kSlowdown)},
                        {"lost_work", e.share(TimeCategory::kLostWork)},
                        {"recovery", e.recovery_share()}};
  j["lost_tokens_fraction"] = e.lost_tokens_fraction();
  j["description"] = e.description;
  return j;
}

}  // namespace

std::vector<std::size_t> rank_policies(const std::vector<PolicyAdvice>& policies) {
  std::vector<std::size_t> order(policies.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto score = [&](std::size_t i) {
    const Evaluation* e = row_of(policies[i]);
    return e ? e->ettr().value : -1.0;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return score(a) > score(b); });
  return order;
}

std::string format_advice_table(const AdviceReport& r) {
  const Scenario& s = *r.scenario;
  std::string out = fmt::format(
      "advise: {} ({} on {} nodes, {} simulated, job MTBF {})\nsearch: {} backend, {} "
      "replication(s) per candidate; confirmation: {} backend, up to {} replications; {} "
      "candidates evaluated, {} replications simulated\nconstraints: {}",
      s.name, s.model.name, s.cluster.nodes, format_duration(s.horizon),
      format_duration(Seconds{s.failures.job_mtbf_seconds(s.cluster)}), r.search_backend,
      r.replications, r.confirm_backend, r.max_replications, r.evaluations, r.runs,
      describe_constraint(kHostMemoryConstraint, s, r.constraints));
  if (r.constraints.max_lost_tokens) {
    out += "; " + describe_constraint(kLostTokensConstraint, s, r.constraints);
  }
  out += "; shares are of wall time\n\n";
  const Evaluation* best = r.ranking.empty() ? nullptr : row_of(r.policies[r.ranking.front()]);
  std::vector<std::vector<std::string>> rows = {{"rank", "policy", "settings", "ETTR (95% CI)",
                                                 "vs best", "ckpt stall", "slowdown", "lost work",
                                                 "recovery", "lost tokens", "binding"}};
  for (std::size_t rank = 0; rank < r.ranking.size(); ++rank) {
    const PolicyAdvice& p = r.policies[r.ranking[rank]];
    const Evaluation* e = row_of(p);
    const std::string binding = p.binding.empty() ? "-" : p.binding;
    if (!e) {
      rows.push_back({"-", p.search.label, "no feasible candidate", "-", "-", "-", "-", "-", "-",
                      "-", binding});
      continue;
    }
    rows.push_back({std::to_string(rank + 1), p.search.label,
                    settings_text(shown_settings(p.search.space, p.recommended)), ettr_text(*e),
                    vs_best(*e, *best), percent(e->share(TimeCategory::kCheckpointStall)),
                    percent(e->share(TimeCategory::kSlowdown)),
                    percent(e->share(TimeCategory::kLostWork)), percent(e->recovery_share()),
                    fmt::format("{:.4f}", e->lost_tokens_fraction()), binding});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      // "±" is two bytes and one column.
      const std::size_t extra = row[c].find("±") != std::string::npos ? 1 : 0;
      const std::size_t w = width[c] + extra;
      line += (c == 0 ? "" : "  ") +
              (c <= 2 ? fmt::format("{:<{}}", row[c], w) : fmt::format("{:>{}}", row[c], w));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

ordered_json make_advice_json(const AdviceReport& r) {
  const Scenario& s = *r.scenario;
  ordered_json j;
  j["scenario"] = s.name;
  j["scenario_hash"] = s.hash;
  j["seed"] = s.seed;
  j["search_backend"] = r.search_backend;
  j["confirm_backend"] = r.confirm_backend;
  j["replications"] = r.replications;
  j["max_replications"] = r.max_replications;
  j["tolerance"] = r.tolerance;
  j["evaluations"] = r.evaluations;
  j["replications_simulated"] = r.runs;
  j["constraints"] = {{"host_memory_per_node_bytes", s.hardware.host_memory.value},
                      {"max_lost_tokens", r.constraints.max_lost_tokens
                                              ? ordered_json(*r.constraints.max_lost_tokens)
                                              : ordered_json()},
                      {"storage_capacity", "not modelled"}};
  ordered_json policies = ordered_json::array();
  for (std::size_t rank = 0; rank < r.ranking.size(); ++rank) {
    const PolicyAdvice& p = r.policies[r.ranking[rank]];
    ordered_json q;
    q["policy"] = p.search.label;
    q["kind"] = p.search.kind;
    q["rank"] = rank + 1;
    const Evaluation* e = row_of(p);
    q["settings"] = settings_json(p.recommended);
    ordered_json overrides = ordered_json::array();
    for (const auto& [k, v] : q["settings"].items()) {
      if (v.is_string())
        overrides.push_back(
            fmt::format("policies[{}].{}={}", p.search.policy, k, v.get<std::string>()));
    }
    q["overrides"] = overrides;
    q["recommended"] = e ? evaluation_json(*e) : ordered_json();
    if (e && r.ranking.size() > 1) {
      const Estimate d = paired_ettr_difference(*e, *row_of(r.policies[r.ranking.front()]));
      q["vs_best"] = {{"ettr", d.value}, {"ci95", number_or_null(d.half_width)}};
    }
    q["separated"] = p.confirmation.separated;
    q["settled"] = p.confirmation.settled;
    q["confirm_replications"] = p.confirmation.replications;
    q["binding_constraint"] = p.binding.empty() ? ordered_json() : ordered_json(p.binding);
    if (!p.binding.empty()) {
      q["binding_detail"] = describe_constraint(p.binding, s, r.constraints);
    }
    q["closed_form"] = p.search.closed_form
                           ? ordered_json{{"rule", p.search.closed_form_rule},
                                          {"interval_iterations", *p.search.closed_form}}
                           : ordered_json();
    q["evaluations"] = p.search.evaluations;
    q["notes"] = p.search.space.notes;
    ordered_json candidates = ordered_json::array();
    for (const Evaluation* c : p.evaluated) candidates.push_back(evaluation_json(*c));
    q["candidates"] = candidates;
    ordered_json confirmed = ordered_json::array();
    for (const Evaluation* c : p.confirmation.finalists) confirmed.push_back(evaluation_json(*c));
    q["finalists"] = confirmed;
    policies.push_back(q);
  }
  j["policies"] = policies;
  return j;
}

std::string make_advised_yaml(const std::string& file, const std::vector<std::string>& overrides,
                              const AdviceReport& r) {
  ConfigNode root = ConfigNode::load_file(file);
  for (const std::string& o : overrides) apply_override(root.yaml(), o);
  YAML::Node policies(YAML::NodeType::Sequence);
  for (const PolicyAdvice& p : r.policies) {
    policies.push_back(
        apply_settings(r.scenario->policies.at(p.search.policy).node.yaml(), p.recommended));
  }
  YAML::Node doc = root.yaml();
  doc["policies"] = policies;
  YAML::Emitter emitter;
  emitter << doc;
  return std::string("# ckptlab advise: ") + r.scenario->name +
         " with every policy at its recommended settings (advice.json says why)\n" +
         emitter.c_str() + "\n";
}

}  // namespace ckptlab
