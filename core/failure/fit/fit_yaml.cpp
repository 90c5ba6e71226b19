#include "failure/fit/fit_yaml.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

struct Unit {
  double seconds;
  const char* name;
};

// The unit readable_duration uses for `s`, so an interval shows in its estimate's unit.
Unit unit_for(double s) {
  if (!(s >= 120)) return {1, "s"};
  if (s < 7200) return {60, "min"};
  if (s < 3 * 86400) return {3600, "h"};
  if (s < 730 * 86400) return {86400, "d"};
  return {365 * 86400, "y"};
}

std::string interval(const Estimate& e, bool duration) {
  const Unit u = duration ? unit_for(e.value) : Unit{1, ""};
  const auto show = [&](double v) { return fmt::format("{:.3g}", v / u.seconds); };
  const std::string unit = duration ? std::string(" ") + u.name : "";
  if (!std::isfinite(e.lower) || !std::isfinite(e.upper))
    return fmt::format("{}{} [interval n/a]", show(e.value), unit);
  return fmt::format("{}{} [{}, {}]", show(e.value), unit, show(e.lower), show(e.upper));
}

// A duration the scenario parser reads back to within a second: days with 5 decimals.
std::string yaml_duration(double seconds) { return fmt::format("\"{:.5f}d\"", seconds / 86400); }

std::string fit_line(const LifetimeFit& f) {
  if (!f.valid) return fmt::format("{:<11} {}", to_string(f.model), fit_parameters_text(f));
  return fmt::format("{:<11} {}; mean {}; logL {:.1f}, AIC {:.1f}, KS {:.3f}", to_string(f.model),
                     fit_parameters_text(f), readable_duration(f.mean_s), f.log_likelihood, f.aic,
                     f.ks_distance);
}

}  // namespace

std::string readable_duration(double s) {
  if (!std::isfinite(s)) return "inf";
  const Unit u = unit_for(s);
  return fmt::format("{:.3g} {}", s / u.seconds, u.name);
}

std::string fit_parameters_text(const LifetimeFit& f) {
  if (!f.valid) return "no fit: " + f.why;
  switch (f.model) {
    case LifetimeModel::exponential:
      return "mean " + interval(f.scale, true);
    case LifetimeModel::weibull:
      return fmt::format("k {}, scale {}{}", interval(f.shape, false), interval(f.scale, true),
                         f.at_bound ? " (at the search bound)" : "");
    case LifetimeModel::lognormal:
      return fmt::format("median {}, sigma {}{}", interval(f.scale, true), interval(f.shape, false),
                         f.at_bound ? " (at the search bound)" : "");
  }
  return "?";
}

const LifetimeFit& chosen_node_model(const TraceFit& fit) {
  const LifetimeFit& exponential = fit.per_node[0];
  const LifetimeFit& weibull = fit.per_node[1];
  CKPTLAB_CHECK(exponential.valid, "no exponential per-node fit: " + exponential.why);
  return weibull.valid && !weibull.at_bound && weibull.aic < exponential.aic ? weibull
                                                                             : exponential;
}

std::string failures_yaml(const TraceFit& fit, const FitProvenance& p,
                          const std::optional<LifetimeFit>& repair) {
  std::string out;
  const auto line = [&](const std::string& s) { out += s + "\n"; };
  line(fmt::format("# Fitted by `{}`", p.command));
  line(fmt::format("# from {}: {} events{}{}, {} nodes ({} failing{}), {} observed, clock tick {}.",
                   p.file, fit.events,
                   p.kinds.empty() ? "" : fmt::format(" of kinds {}", fmt::join(p.kinds, ",")),
                   p.window.empty() ? "" : fmt::format(" in window {}", p.window), fit.nodes,
                   fit.failing_nodes, fit.nodes_given ? "" : "; only failing nodes known",
                   readable_duration(fit.period_s), readable_duration(fit.resolution_s)));
  line(fmt::format("# {:.3g} failures per 1,000 node-days.", fit.per_1000_node_days));
  line(
      "# Per-node times between failures (maximum likelihood, 95% intervals; each node new at "
      "the start,");
  line("# its last interval censored at the end):");
  for (const LifetimeFit& f : fit.per_node) line("#   " + fit_line(f));
  line("# Cluster-wide gaps between failures (the job's view at the trace's scale):");
  for (const LifetimeFit& f : fit.cluster) line("#   " + fit_line(f));
  line(
      fmt::format("# Bursts: {:.1f}% of events within {} of another; {} incidents after merging, "
                  "the largest on {} nodes.",
                  100 * fit.bursts.share, readable_duration(fit.burst_window_s),
                  fit.bursts.incidents, fit.bursts.largest_incident_nodes));
  if (fit.racks) {
    line(
        fmt::format("# Racks ({}): {} of {} multi-node incidents share a rack; {:.1f} expected "
                    "by chance.",
                    fit.racks->racks, fit.racks->sharing_rack, fit.racks->multi_node_incidents,
                    fit.racks->expected_sharing_rack));
  }
  if (repair) {
    if (repair->valid) {
      line(fmt::format("# Repair times: lognormal {}. For the scenario's restart: mapping:",
                       fit_parameters_text(*repair)));
      line(fmt::format("#   repair: {{distribution: lognormal, median: {}, sigma: {:.4g}}}",
                       yaml_duration(repair->scale.value), repair->shape.value));
    } else {
      line("# Repair times: " + fit_parameters_text(*repair));
    }
  }
  const LifetimeFit& chosen = chosen_node_model(fit);
  line(
      fmt::format("# Chosen: {} (the lowest AIC of the models a scenario runs; lognormal is "
                  "report-only).",
                  to_string(chosen.model)));
  line("# Detection times are not in the trace: 1 minute is assumed for every kind; edit them.");
  line("failures:");
  if (chosen.model == LifetimeModel::weibull && chosen.shape.value < 1) {
    // A renewal model starts every node new; with k < 1 all of them are in infant mortality at
    // once, which the logged cluster (of mixed ages) never was.
    line(
        fmt::format("# k < 1: every node starts new, so the first days fail at the infant rate "
                    "({:.3g} of nodes fail in the",
                    chosen.cdf(86400)));
    line(
        "# first day); use horizons of months, or replay the trace (model: trace) for a steady "
        "state.");
  }
  if (chosen.model == LifetimeModel::weibull) {
    line("  model: weibull");
    line(fmt::format("  shape: {:.6g}", chosen.shape.value));
    line(fmt::format("  scale: {}", yaml_duration(chosen.scale.value)));
  } else {
    line("  model: exponential");
    line(fmt::format("  mtbf_node: {}", yaml_duration(chosen.scale.value)));
  }
  line("  kinds:");
  for (const KindRate& k : fit.kinds) {
    line(fmt::format(
        "    - {{name: \"{}\", weight: {}, detection: 1m}}  # {:.3g} per 1,000 node-days", k.kind,
        k.events, k.per_1000_node_days));
  }
  return out;
}

}  // namespace ckptlab
