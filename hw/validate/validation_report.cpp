// validation.json and the table `ckptlab validate` prints.
#include <fmt/format.h>

#include <cmath>

#include "hw/validate/validation.hpp"

namespace ckptlab::hw {
namespace {

nlohmann::ordered_json ledger_json(const Ledger& l) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t c = 0; c < kTimeCategoryCount; ++c) {
    const auto cat = static_cast<TimeCategory>(c);
    j[category_key(cat)] = static_cast<double>(l.of(cat)) / 1e9;
  }
  return j;
}

nlohmann::ordered_json measured_json(const HarnessJobResult& m) {
  nlohmann::ordered_json j;
  j["ettr"] = m.ettr();
  j["wall_s"] = static_cast<double>(m.wall) / 1e9;
  j["iterations"] = m.iterations;
  j["executed_iterations"] = m.executed_iterations;
  j["iteration_s"] = m.iteration_s;
  j["iteration_background_s"] = m.iteration_background_s;
  j["time_s"] = ledger_json(m.ledger);
  j["bit_mismatches"] = m.bit_mismatches;
  j["final_bit_exact"] = m.final_bit_exact;
  nlohmann::ordered_json cks = nlohmann::ordered_json::array();
  for (const CheckpointRecord& c : m.checkpoints) {
    cks.push_back({{"version", c.version},
                   {"stall_s", c.stall_s},
                   {"wait_s", c.wait_s},
                   {"background_s", c.background_s},
                   {"live_state_wait_s", c.live_state_wait_s},
                   {"completed", c.completed}});
  }
  j["checkpoints"] = cks;
  nlohmann::ordered_json recs = nlohmann::ordered_json::array();
  for (const RecoveryRecord& r : m.recoveries) {
    recs.push_back({{"time_s", static_cast<double>(r.time) / 1e9},
                    {"point", failure_point_name(r.point)},
                    {"ranks", r.ranks},
                    {"failed_at_iteration", r.failed_at_iteration},
                    {"requested_version", r.requested_version},
                    {"restored_version", r.restored_version},
                    {"restart_s", r.restart_s},
                    {"load_s", r.load_s},
                    {"localized", r.localized},
                    {"fell_back_to_storage", r.fell_back_to_storage},
                    {"replay_s", r.replay_s},
                    {"lost_iterations", r.lost_iterations},
                    {"lossy", r.lossy},
                    {"stale_shards", r.stale_shards},
                    {"bit_exact", r.bit_exact},
                    {"notes", r.notes}});
  }
  j["recoveries"] = recs;
  j["failures_not_injected"] = m.failures_not_injected;
  return j;
}

nlohmann::ordered_json metrics_json(const std::vector<MetricError>& metrics) {
  nlohmann::ordered_json ms = nlohmann::ordered_json::array();
  for (const MetricError& m : metrics) {
    ms.push_back({{"metric", m.metric},
                  {"what", m.what},
                  {"measured", m.measured},
                  {"predicted", m.predicted},
                  {"error", m.error ? nlohmann::ordered_json(*m.error)
                                    : nlohmann::ordered_json(nullptr)}});
  }
  return ms;
}

std::string error_text(const std::optional<double>& e) {
  return e ? fmt::format("{:+.1f}%", *e * 100) : "n/a";
}

}  // namespace

nlohmann::ordered_json validation_json(const Validation& v) {
  nlohmann::ordered_json j;
  j["scenario"] = v.scenario;
  j["backend"] = v.backend;
  j["predicted_by"] = "analytic executor with profile " + v.profile;
  j["setup"] = v.setup;
  j["notes"] = v.notes;
  j["bit_mismatches"] = v.bit_mismatches();
  nlohmann::ordered_json ps = nlohmann::ordered_json::array();
  for (const PolicyValidation& p : v.policies) {
    nlohmann::ordered_json pj;
    pj["policy"] = p.label;
    pj["kind"] = p.kind;
    pj["description"] = p.description;
    if (p.skipped) {
      pj["skipped"] = *p.skipped;
      ps.push_back(pj);
      continue;
    }
    pj["metrics"] = metrics_json(p.metrics);
    pj["bit_mismatches"] = p.bit_mismatches();
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const PolicyRun& r : p.runs) {
      nlohmann::ordered_json rj;
      rj["profile"] = r.profile;
      rj["metrics"] = metrics_json(r.metrics);
      rj["measured"] = measured_json(r.measured);
      const double wall = static_cast<double>(r.predicted.wall);
      rj["predicted"] = {
          {"ettr",
           wall > 0 ? static_cast<double>(r.predicted.ledger.of(TimeCategory::kProductive)) / wall
                    : 0.0},
          {"wall_s", wall / 1e9},
          {"iterations", r.predicted.iterations},
          {"checkpoints", r.predicted.checkpoints_completed},
          {"failures", r.predicted.failures},
          {"time_s", ledger_json(r.predicted.ledger)}};
      runs.push_back(rj);
    }
    pj["runs"] = runs;
    ps.push_back(pj);
  }
  j["policies"] = ps;
  return j;
}

std::string format_validation(const Validation& v) {
  std::string out = fmt::format(
      "validate: {} on the {} backend, predicted by the analytic "
      "executor with {}\n  {}\n",
      v.scenario, v.backend, v.profile, v.setup);
  for (const std::string& n : v.notes) out += "  note: " + n + "\n";
  out += fmt::format("\n{:<20} {:<20} {:>12} {:>12} {:>9}\n", "policy", "metric", "measured",
                     "predicted", "error");
  for (const PolicyValidation& p : v.policies) {
    if (p.skipped) {
      out += fmt::format("{:<20} skipped: {}\n", p.label, *p.skipped);
      continue;
    }
    for (const MetricError& m : p.metrics) {
      out += fmt::format("{:<20} {:<20} {:>12.4f} {:>12.4f} {:>9}\n", p.label, m.metric, m.measured,
                         m.predicted, error_text(m.error));
    }
    size_t recoveries = 0, exact = 0, final_exact = 0, lossy = 0;
    std::int64_t stale = 0;
    for (const PolicyRun& run : p.runs) {
      recoveries += run.measured.recoveries.size();
      for (const RecoveryRecord& r : run.measured.recoveries) {
        exact += r.bit_exact;
        lossy += r.lossy;
        stale += r.stale_shards;
      }
      final_exact += run.measured.final_bit_exact;
    }
    out += fmt::format(
        "{:<20} {} run(s): {} recoveries ({} bit-exact), final state bit-exact in {}, {} bit "
        "mismatches\n",
        "", p.runs.size(), recoveries, exact, final_exact, p.bit_mismatches());
    if (lossy > 0) {
      out += fmt::format(
          "{:<20} {} lossy recoveries restored {} shards from versions older than the one rolled "
          "back to, each checked against the shadow state's record of its copy\n",
          "", lossy, stale);
    }
    for (const PolicyRun& run : p.runs) {
      for (const std::string& s : run.measured.failures_not_injected)
        out += fmt::format("{:<20} not injected: {}\n", "", s);
      for (const RecoveryRecord& r : run.measured.recoveries) {
        for (const std::string& n : r.notes)
          out += fmt::format("{:<20} recovery at {}: {}\n", "", r.failed_at_iteration, n);
      }
    }
  }
  return out;
}

}  // namespace ckptlab::hw
