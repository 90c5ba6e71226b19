// `ckptlab failures fit <trace.csv>`: learn a failure model from a cluster's own log. Reads the
// trace, selects kinds and a window, fits exponential, Weibull and lognormal lifetimes to the
// cluster-wide gaps and per-node times between failures, prints one table and writes the
// scenario `failures:` section (core/failure/fit/fit_yaml.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "atomic_file.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "failure/fit/fit_yaml.hpp"
#include "failure/fit/lifetime_fit.hpp"
#include "failure/fit/trace_fit.hpp"
#include "failure/trace_racks.hpp"
#include "failure/trace_selection.hpp"
#include "failure/trace_time.hpp"
#include "util/config_node.hpp"
#include "util/input_error.hpp"
#include "util/units.hpp"

namespace po = boost::program_options;

namespace ckptlab {

namespace {

constexpr const char* kUsage =
    "usage: ckptlab failures fit <trace.csv> [options]   (see ckptlab failures fit --help)\n";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

double option_duration(const std::string& text, const char* option) {
  try {
    return parse_duration(text).value;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("--{}: {}", option, e.what()));
  }
}

// Repair times of the kept records, from the repair column (index 0 of `extra` after the rack
// column when both are read). A bad value is an error at its line and column.
std::vector<double> repair_times(const std::vector<TraceRecord>& records, size_t index,
                                 const std::string& column, const std::string& file) {
  std::vector<double> out;
  for (const TraceRecord& r : records) {
    const TraceValue& v = r.extra.at(index);
    if (v.text.empty()) continue;  // no repair recorded for this event
    double x = 0;
    const char* end = v.text.data() + v.text.size();
    auto [ptr, ec] = std::from_chars(v.text.data(), end, x);
    if (ec != std::errc() || ptr != end || !(x >= 0) || !std::isfinite(x)) {
      throw InputError(file, r.line, v.column, "",
                       fmt::format("column '{}': expected a repair time in seconds >= 0, got "
                                   "\"{}\"",
                                   column, v.text));
    }
    out.push_back(x);
  }
  return out;
}

void print_table(const TraceFit& fit, const std::string& file,
                 const std::optional<LifetimeFit>& repair, const std::string& repair_column) {
  std::printf("trace %s: %zu events, %lld nodes (%zu failing%s), %s observed, clock tick %s\n\n",
              file.c_str(), fit.events, static_cast<long long>(fit.nodes), fit.failing_nodes,
              fit.nodes_given ? "" : "; give --nodes for the silent ones",
              readable_duration(fit.period_s).c_str(), readable_duration(fit.resolution_s).c_str());
  std::printf("%-10s %-11s %-58s %9s %11s %9s %6s %6s\n", "sample", "model",
              "parameters (95% interval)", "mean", "logL", "AIC", "dAIC", "KS");
  const auto rows = [&](const char* name, const std::array<LifetimeFit, 3>& fits) {
    double best = 1e300;
    for (const LifetimeFit& f : fits)
      if (f.valid) best = std::min(best, f.aic);
    for (size_t i = 0; i < fits.size(); ++i) {
      const LifetimeFit& f = fits[i];
      if (!f.valid) {
        std::printf("%-10s %-11s %s\n", i == 0 ? name : "", std::string(to_string(f.model)).c_str(),
                    fit_parameters_text(f).c_str());
        continue;
      }
      std::printf("%-10s %-11s %-58s %9s %11.1f %9.1f %6.1f %6.3f\n", i == 0 ? name : "",
                  std::string(to_string(f.model)).c_str(), fit_parameters_text(f).c_str(),
                  readable_duration(f.mean_s).c_str(), f.log_likelihood, f.aic, f.aic - best,
                  f.ks_distance);
    }
  };
  rows("gaps", fit.cluster);
  rows("node TBF", fit.per_node);
  if (repair) {
    std::printf("%-10s %-11s %-58s %9s %11.1f %9.1f %6s %6.3f\n", repair_column.c_str(),
                "lognormal", fit_parameters_text(*repair).c_str(),
                repair->valid ? readable_duration(repair->mean_s).c_str() : "",
                repair->log_likelihood, repair->aic, "", repair->ks_distance);
  }
  std::printf("\nper 1,000 node-days: %.3g in all;", fit.per_1000_node_days);
  for (const KindRate& k : fit.kinds)
    std::printf(" %s %zu (%.3g)", k.kind.c_str(), k.events, k.per_1000_node_days);
  std::printf(
      "\nbursts: %.1f%% of events within %s of another; %zu incidents after merging "
      "(%zu on several nodes, the largest on %zu)\n",
      100 * fit.bursts.share, readable_duration(fit.burst_window_s).c_str(), fit.bursts.incidents,
      fit.bursts.multi_node_incidents, fit.bursts.largest_incident_nodes);
  if (fit.racks) {
    std::printf(
        "racks: %zu racks; %zu of %zu multi-node incidents have two nodes in one rack "
        "(%.1f expected by chance)\n",
        fit.racks->racks, fit.racks->sharing_rack, fit.racks->multi_node_incidents,
        fit.racks->expected_sharing_rack);
  }
}

int fit_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab failures fit <trace.csv> [options]");
  std::int64_t nodes = 0;
  std::string kinds_text, window_text, rack_text, out, resolution_text, burst_text = "60s",
                                                                        repair_column;
  options.add_options()("help,h", "this help")(
      "nodes", po::value(&nodes),
      "nodes of the logged cluster; those that never fail become censored observations")(
      "kinds", po::value(&kinds_text), "keep only these kinds, e.g. gpu,host,network")(
      "window", po::value(&window_text), "keep START:END of the trace, durations (30d:200d)")(
      "rack-of", po::value(&rack_text),
      "racks of the nodes: node/K (K nodes per rack) or the name of a trace column")(
      "resolution", po::value(&resolution_text),
      "the log's clock tick (default: the smallest positive gap)")(
      "burst-window", po::value(&burst_text), "events this close are one incident (default 60s)")(
      "repair-column", po::value(&repair_column),
      "column of repair times in seconds (default repair_s when the trace has it)")(
      "out,o", po::value(&out), "write the failures: YAML here (default: print it)");
  std::string file;
  const Positional positional{"trace", &file};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional)) return 0;
  if (file.empty()) throw std::invalid_argument("failures fit needs a trace file (see --help)");
  if (vm.count("nodes") && nodes < 1) throw std::invalid_argument("--nodes must be >= 1");
  const TraceWindow window = window_text.empty() ? TraceWindow{} : [&] {
    try {
      return parse_trace_window(window_text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("--window: {}", e.what()));
    }
  }();
  std::optional<RackOf> rack_of;
  if (!rack_text.empty()) {
    try {
      rack_of = parse_rack_of(rack_text);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("--rack-of: {}", e.what()));
    }
  }

  // Read once for the header, then again with the extra columns it turns out to have.
  FailureTrace trace = load_failure_trace(file);
  std::vector<std::string> extra;
  if (rack_of && !rack_of->column.empty()) extra.push_back(rack_of->column);
  if (repair_column.empty() &&
      std::find(trace.columns.begin() + 3, trace.columns.end(), "repair_s") != trace.columns.end())
    repair_column = "repair_s";
  if (!repair_column.empty()) extra.push_back(repair_column);
  if (!extra.empty()) trace = load_failure_trace(file, extra);
  if (trace.records.empty()) throw InputError(file, 1, 0, "", "the trace has no events");

  const std::vector<std::string> kinds = split_list(kinds_text);
  const std::vector<std::string> present = trace_kinds(trace);
  for (const std::string& k : kinds) {
    if (std::find(present.begin(), present.end(), k) == present.end()) {
      const std::string hint = closest_match(k, present);
      throw std::invalid_argument(fmt::format(
          "--kinds: kind \"{}\" does not occur in {}{}; kinds there: {}", k, file,
          hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint), fmt::join(present, ",")));
    }
  }
  const TraceSelection selection = select_trace(trace, kinds, window);
  if (selection.records.empty())
    throw std::invalid_argument(
        fmt::format("no events of {} are left in the window and kinds", file));
  if (!(selection.period_s > 0))
    throw std::invalid_argument("the kept events span no time: nothing to fit");
  for (const TraceRecord& r : selection.records) {
    if (nodes > 0 && r.node >= nodes) {
      throw InputError(file, r.line, 0, "",
                       fmt::format("column 'node': node {} is outside --nodes {}", r.node, nodes));
    }
  }

  TraceFitOptions opt;
  opt.nodes = nodes;
  opt.period_s = selection.period_s;
  if (!resolution_text.empty()) opt.resolution_s = option_duration(resolution_text, "resolution");
  opt.burst_window_s = option_duration(burst_text, "burst-window");
  std::optional<TraceRacks> racks;
  if (rack_of) racks = assign_trace_racks(*rack_of, selection.records, file, 0, nodes);
  const TraceFit fit = fit_trace(selection.records, opt, racks ? &*racks : nullptr);

  std::optional<LifetimeFit> repair;
  if (!repair_column.empty()) {
    LifetimeSample sample;  // repair times are logged to the second at best
    for (double t : repair_times(selection.records, extra.size() - 1, repair_column, file))
      sample.observe(t);
    repair = fit_lifetime(LifetimeModel::lognormal, sample);
  }

  print_table(fit, file, repair, repair_column.empty() ? "repair" : repair_column);
  FitProvenance provenance{file, kinds, window_text, "ckptlab failures fit"};
  for (const std::string& a : args) provenance.command += " " + a;
  const std::string yaml = failures_yaml(fit, provenance, repair);
  if (out.empty()) {
    std::printf("\n%s", yaml.c_str());
  } else {
    try {
      write_file_atomically(out, yaml);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(fmt::format("--out: {}", e.what()));  // a bad path: exit 2
    }
    std::printf("\nwrote %s (model %s)\n", out.c_str(),
                std::string(to_string(chosen_node_model(fit).model)).c_str());
  }
  return 0;
}

}  // namespace

int failures_command(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "fit") return fit_command({args.begin() + 1, args.end()});
  throw std::invalid_argument(
      fmt::format("unknown failures subcommand \"{}\"\n{}", args[0], kUsage));
}

}  // namespace ckptlab
