#include "run_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "util/units.hpp"

namespace ckptlab {

namespace {
std::string hours(double s) { return fmt::format("{:.2f} h", s / 3600); }
}  // namespace

std::string format_run_table(const nlohmann::ordered_json& summary) {
  const std::vector<std::string> header = {"policy", "ETTR (95% CI)", "vs best", "ckpt stall", "slowdown",
                                           "lost work", "restart+load", "failures", "ckpt size",
                                           "interval"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : summary["policies"]) {
    const auto& t = p["time_s"];
    const double down = t["detection"].get<double>() + t["restart"].get<double>() +
                        t["state_load"].get<double>();
    const auto& hw = p["ci95"]["ettr"];
    const std::string ettr = hw.is_null() ? fmt::format("{:.4f}", p["ettr"].get<double>())
                                          : fmt::format("{:.4f} ± {:.4f}", p["ettr"].get<double>(),
                                                        hw.get<double>());
    const auto& vs = p["vs_best"];
    const std::string paired =
        vs["policy"] == p["policy"] ? std::string("best")
        : vs["half_width"].is_null()
            ? fmt::format("{:+.4f}", vs["ettr_difference"].get<double>())
            : fmt::format("{:+.4f} ± {:.4f}", vs["ettr_difference"].get<double>(),
                          vs["half_width"].get<double>());
    // A policy that spent the event budget is marked; its figures cover the simulated part.
    const std::string label =
        p["policy"].get<std::string>() + (p.contains("stopped_early") ? " (stopped early)" : "");
    rows.push_back({label, ettr, paired,
                    hours(t["checkpoint_stall"].get<double>()), hours(t["slowdown"].get<double>()),
                    hours(t["lost_work"].get<double>()), hours(down),
                    fmt::format("{}", p["failures"].get<std::int64_t>()),
                    format_size(Bytes{p["checkpoint_bytes"].get<std::int64_t>()}),
                    format_duration(Seconds{p["checkpoint_interval_s"].get<double>()})});
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      out += c == 0 ? fmt::format("{:<{}}", cells[c], width[c])
                    : fmt::format("  {:>{}}", cells[c], width[c]);
    }
    out += '\n';
  };
  const auto& m = summary["model"];
  const auto& cl = summary["cluster"];
  out += fmt::format("{}: {} on {} nodes ({} GPUs), {} simulated, {}\n",
                     summary["scenario"].get<std::string>(), m["name"].get<std::string>(),
                     cl["nodes"].get<std::int64_t>(), cl["gpus"].get<std::int64_t>(),
                     format_duration(Seconds{summary["horizon_s"].get<double>()}),
                     summary["failure_model"].get<std::string>());
  out += fmt::format("iteration time {:.3f} s, backend {}, seed {}, {} replication(s); times "
                     "are totals over the replications\n\n",
                     summary["iteration_time_s"].get<double>(),
                     summary["backend"].get<std::string>(), summary["seed"].get<std::uint64_t>(),
                     summary["replications"].get<std::size_t>());
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

}  // namespace ckptlab
