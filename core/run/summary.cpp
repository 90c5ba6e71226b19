#include "run/summary.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "run/replication_stats.hpp"

namespace ckptlab {

namespace {

double seconds(Nanos ns) { return static_cast<double>(ns) / 1e9; }

// JSON has no infinity: a job without failures has no MTBF, written as null.
nlohmann::ordered_json finite_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

std::vector<double> per_replication(const PolicyOutcome& p, TimeCategory c) {
  std::vector<double> v;
  for (const JobResult& r : p.replications) v.push_back(static_cast<double>(r.ledger.of(c)));
  return v;
}

std::vector<double> walls(const PolicyOutcome& p) {
  std::vector<double> v;
  for (const JobResult& r : p.replications) v.push_back(static_cast<double>(r.wall));
  return v;
}

std::vector<double> ettrs(const PolicyOutcome& p) {
  std::vector<double> v;
  for (const JobResult& r : p.replications) {
    v.push_back(static_cast<double>(r.ledger.of(TimeCategory::kProductive)) /
                static_cast<double>(r.wall));
  }
  return v;
}

// 95% half-widths of the pooled ETTR and of each category's share of wall time (null with a
// single replication: one sample has no interval).
nlohmann::ordered_json confidence_intervals(const PolicyOutcome& p) {
  nlohmann::ordered_json ci;
  const auto wall = walls(p);
  ci["ettr"] = finite_or_null(ratio_estimate(per_replication(p, TimeCategory::kProductive), wall).half_width);
  nlohmann::ordered_json shares = nlohmann::ordered_json::object();
  for (size_t c = 0; c < kTimeCategoryCount; ++c) {
    const auto cat = static_cast<TimeCategory>(c);
    shares[category_key(cat)] = finite_or_null(ratio_estimate(per_replication(p, cat), wall).half_width);
  }
  ci["share_of_wall"] = shares;
  return ci;
}

nlohmann::ordered_json policy_summary(const PolicyOutcome& p, const Scenario& s,
                                      const RunOutcome& outcome) {
  const JobResult& job = p.job;
  const Ledger& l = job.ledger;
  nlohmann::ordered_json time = nlohmann::ordered_json::object();
  for (size_t c = 0; c < kTimeCategoryCount; ++c) {
    const auto cat = static_cast<TimeCategory>(c);
    time[category_key(cat)] = seconds(l.of(cat));
  }
  const Nanos downtime = l.of(TimeCategory::kDetection) + l.of(TimeCategory::kRestart) +
                         l.of(TimeCategory::kStateLoad);
  nlohmann::ordered_json j;
  j["policy"] = p.label;
  j["kind"] = p.kind;
  j["ettr"] = job.wall > 0 ? static_cast<double>(l.of(TimeCategory::kProductive)) /
                                 static_cast<double>(job.wall)
                           : 0.0;
  j["wall_s"] = seconds(job.wall);
  j["time_s"] = time;
  j["failures"] = job.failures;
  j["checkpoints"] = job.checkpoints_completed;
  j["checkpoints_started"] = job.checkpoints_started;
  j["checkpoints_aborted"] = job.checkpoints_aborted;
  j["checkpoint_bytes"] = p.checkpoint_bytes.value;
  j["mean_checkpoint_stall_s"] =
      job.checkpoints_started > 0
          ? seconds(l.of(TimeCategory::kCheckpointStall)) / static_cast<double>(job.checkpoints_started)
          : 0.0;
  j["mean_recovery_s"] =
      job.failures > 0 ? seconds(downtime) / static_cast<double>(job.failures) : 0.0;
  j["checkpoint_interval_s"] = static_cast<double>(p.interval_iterations) * s.iteration_time.value;
  j["job_mtbf_s"] = finite_or_null(outcome.job_mtbf_s);
  j["lost_tokens_fraction"] = p.lost_tokens_fraction;
  j["iterations"] = job.iterations;
  j["rolled_back_iterations"] = job.rolled_back_iterations;
  j["spares_used"] = job.spares_used;
  j["reschedules"] = job.reschedules;
  j["retired_nodes"] = job.retired_nodes;
  // Spares and repair (docs/failures.md §4); spare_wait_s is part of time_s.restart.
  j["spare_wait_s"] = job.spare_wait_s;
  j["spares_exhausted"] = {{"count", job.spares_exhausted}, {"seconds", job.spares_exhausted_s}};
  j["standby_swaps"] = job.standby_swaps;
  j["repairs"] = {{"automatic", job.repairs_automatic},
                  {"manual", job.repairs_manual},
                  {"silent_failures", job.silent_repair_failures},
                  {"dead_on_join", job.dead_on_join}};
  // Every failed node is repaired, retired or still in repair at the end.
  j["node_accounting"] = {{"failed_nodes", job.failed_nodes},
                          {"repaired", job.repaired_nodes},
                          {"retired", job.retired_nodes},
                          {"in_repair_at_end", job.in_repair_at_end}};
  j["replications"] = p.replications.size();
  j["ci95"] = confidence_intervals(p);
  if (!job.stopped_early.empty()) j["stopped_early"] = job.stopped_early;
  j["description"] = p.description;
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  for (const auto& [k, v] : p.sources) sources[k] = v;
  j["sources"] = sources;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

nlohmann::ordered_json make_summary(const Scenario& s, const RunOutcome& outcome,
                                    const std::string& version) {
  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["scenario_hash"] = s.hash;
  j["seed"] = s.seed;
  j["backend"] = outcome.backend;
  j["ckptlab_version"] = version;
  j["model"] = {{"name", s.model.name},
                {"total_params", s.model.total_params()},
                {"active_params", s.model.active_params()}};
  j["cluster"] = {{"nodes", s.cluster.nodes},
                  {"gpus", s.cluster.gpus()},
                  {"tp", s.parallel.tp},
                  {"pp", s.parallel.pp},
                  {"dp", s.parallel.dp},
                  {"ep", s.parallel.ep},
                  {"zero_stage", s.parallel.zero_stage}};
  j["hardware"] = s.hardware.name;
  j["iteration_time_s"] = s.iteration_time.value;
  j["horizon_s"] = s.horizon.value;
  j["failure_model"] = s.failures.describe();
  j["job_mtbf_s"] = finite_or_null(outcome.job_mtbf_s);
  j["expected_restart_s"] = outcome.expected_restart.value;
  j["sources"] = {
      {"iteration_time", s.iteration_time_source},
      {"durations", fmt::format("{} backend: {}", outcome.backend, outcome.backend_method)},
      {"job_mtbf", "failure model: " + s.failures.describe()},
      {"restart", "scenario restart: spare swap / reschedule wait + process restart; detection "
                  "per failure kind"},
      {"ettr", "ledger: productive / wall (DESIGN.md §3)"},
      {"slowdown", "while a checkpoint's background ops run, iterations take (1 + "
                   "hardware.background_slowdown x share) longer; share: the full-rate time of "
                   "the background traffic over the time it runs (exec/node_capacity.hpp)"},
  };
  nlohmann::ordered_json hw = nlohmann::ordered_json::object();
  for (const auto& [k, v] : s.hardware.sources) hw[k] = v;
  j["hardware_sources"] = hw;
  j["replications"] = outcome.replications;
  if (outcome.precision_target > 0) j["precision_target"] = outcome.precision_target;
  j["policies"] = nlohmann::ordered_json::array();
  for (const PolicyOutcome& p : outcome.policies) j["policies"].push_back(policy_summary(p, s, outcome));
  // Paired difference of each policy's ETTR to the best one: the policies share failure
  // streams replication by replication, so this interval is much tighter than either ETTR's.
  size_t best = 0;
  for (size_t i = 0; i < outcome.policies.size(); ++i) {
    if (j["policies"][i]["ettr"].get<double>() > j["policies"][best]["ettr"].get<double>()) best = i;
  }
  for (size_t i = 0; i < outcome.policies.size(); ++i) {
    const Estimate d = paired_difference(ettrs(outcome.policies[i]), ettrs(outcome.policies[best]));
    j["policies"][i]["vs_best"] = {{"policy", outcome.policies[best].label},
                                   {"ettr_difference", d.value},
                                   {"half_width", finite_or_null(d.half_width)}};
  }
  return j;
}

std::string make_timeline_csv(const RunOutcome& outcome) {
  std::string out = "time_s,policy,event,iteration,detail\n";
  for (const PolicyOutcome& p : outcome.policies) {
    for (const TimelineEvent& e : p.job.timeline) {
      out += fmt::format("{:.9f},{},{},{},{}\n", static_cast<double>(e.time) / 1e9,
                         csv_field(p.label), e.event, e.iteration, csv_field(e.detail));
    }
    if (p.job.timeline_truncated) {
      out += fmt::format(",{},timeline_truncated,,events beyond the limit were not recorded\n",
                         csv_field(p.label));
    }
  }
  return out;
}

}  // namespace ckptlab
