// Decoding of the scenario's `failures:` mapping.
//
// Schema (every key is checked; a key that does not apply to the chosen model is an error):
//
//   failures:
//     model: exponential       # required: exponential | weibull | trace | none
//     # exponential: exactly one of
//     mtbf_node: "264d"        #   per-node mean time between failures, or
//     mtbf_job: "6h"           #   job MTBF from node failures (mtbf_node = mtbf_job * nodes);
//                              #   correlated events come on top of it
//     # weibull: each node a renewal process, new at t = 0 and replaced at each failure
//     shape: 0.7               #   k > 0; k < 1 = decreasing hazard (infant mortality)
//     scale: "300d"            #   lambda > 0; node MTBF = lambda * Gamma(1 + 1/k)
//     # trace: replay of a CSV `time_s,node,kind` (format: failure_trace.hpp)
//     trace:
//       file: "../data/traces/x.csv"  # relative to this scenario file
//       time_scale: 1.0        # > 0, multiplies every time (0.5 = twice the failure rate)
//       loop: false            # true: repeat forever with period last time + mean gap
//       kinds: [gpu, host]     # keep only these kinds (each must occur in the trace)
//       remap: none            # none: node ids >= cluster nodes are errors; modulo: id % nodes;
//                              # random: a seeded assignment; by_rack: trace racks onto cluster
//                              # racks (trace_remap.hpp); random and by_rack follow the seed
//       rack_of: "node/96"     # by_rack only: node/K, or the name of a rack column of the CSV
//       window: "30d:200d"     # keep START:END of the trace (durations; a side may be empty);
//                              # times count from START, and a looped window repeats its length
//       bursts: separate       # merge: rows at one instant on one cluster rack = one event
//     # any model but none: whole-rack events in addition, Poisson per rack
//     correlated:
//       domain: rack           # the only domain: ClusterSpec::nodes_per_rack nodes
//       mtbf_domain: "5y"      # > 0, mean time between events of one rack
//       kind: rack             # the events' kind name
//       detection: "1m"        # default: the detection of the listed kind of that name, else 1m
//     # exponential, weibull: systematically bad nodes, chosen per seed, failing more often
//     bad_nodes: {fraction: 0.15, rate_multiplier: 5}  # fraction in [0, 1], multiplier >= 1
//                              #   (weibull: their scale is divided by the multiplier)
//     # optional; default [{name: node, weight: 1, detection: "1m"}]
//     kinds:
//       - {name: gpu, weight: 0.61, detection: "2m"}  # weight: relative share of random node
//                                                     # failures (optional for trace, where the
//                                                     # trace gives the kind); detection >= 0
//
// With a trace and a listed `kinds`, every kept trace kind must be listed (its detection time is
// needed). Without `kinds`, every trace kind is detected after 1 minute.
#include "failure/failure_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

namespace ckptlab {

namespace {

const std::vector<std::string> kModelNames = {"exponential", "weibull", "trace", "none"};

// The keys each model accepts besides `model`.
std::vector<std::string> keys_for(FailureModel m) {
  switch (m) {
    case FailureModel::exponential:
      return {"mtbf_node", "mtbf_job", "correlated", "kinds", "bad_nodes"};
    case FailureModel::weibull:
      return {"shape", "scale", "correlated", "kinds", "bad_nodes"};
    case FailureModel::trace:
      return {"trace", "correlated", "kinds"};
    case FailureModel::none:
      return {};
  }
  return {};
}

// MTBFs and scales of 0 would mean infinitely many failures; only a positive duration is a model.
Seconds positive_duration(const ConfigNode& n) {
  const Seconds d = n.as_duration();
  if (!(d.value > 0)) n.fail(fmt::format("expected a duration > 0, got \"{}\"", n.as_string()));
  return d;
}

// Three significant digits in the largest unit that keeps the number readable: "264 d", "6.19 h".
std::string compact_duration(double s) {
  if (!std::isfinite(s)) return "infinite";
  struct Unit {
    double seconds;
    double below;  // use this unit while the value in it is below this
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1, 120, "s"},
                                    {60, 120, "min"},
                                    {3600, 72, "h"},
                                    {86400, 730, "d"},
                                    {365 * 86400.0, 1e300, "y"}};
  for (const Unit& u : kUnits) {
    const double v = s / u.seconds;
    if (v < u.below)
      return v >= 100 ? fmt::format("{:.0f} {}", v, u.name) : fmt::format("{:.3g} {}", v, u.name);
  }
  return fmt::format("{:.3g} s", s);
}

CorrelatedFailures decode_correlated(const ConfigNode& c, const FailureSpec& spec) {
  c.expect_keys({"domain", "mtbf_domain", "kind", "detection"});
  CorrelatedFailures out;
  if (auto n = c.find("domain")) {
    out.domain = n->as_string();
    if (out.domain != "rack") {
      n->fail(
          fmt::format("unknown failure domain \"{}\"; expected rack (cluster.nodes_per_rack "
                      "nodes)",
                      out.domain));
    }
  }
  out.mtbf_domain = positive_duration(c["mtbf_domain"]);
  if (auto n = c.find("kind")) {
    out.kind = n->as_string();
    if (out.kind.empty()) n->fail("expected a non-empty kind name");
  }
  if (auto n = c.find("detection")) {
    out.detection = decode_step_duration(*n);
  } else if (const FailureKind* k = find_kind(spec.kinds, out.kind); k && spec.kinds_listed) {
    out.detection = k->detection;
  }
  return out;
}

BadNodes decode_bad_nodes(const ConfigNode& b) {
  b.expect_keys({"fraction", "rate_multiplier"});
  BadNodes out;
  out.fraction = b["fraction"].as_fraction();
  const ConfigNode m = b["rate_multiplier"];
  out.rate_multiplier = m.as_double();
  if (!(out.rate_multiplier >= 1 && out.rate_multiplier <= 1e6)) {
    m.fail(fmt::format("expected a rate multiplier in [1, 1e6], got {}", out.rate_multiplier));
  }
  return out;
}

}  // namespace

std::int64_t BadNodes::count(std::int64_t nodes) const {
  return std::clamp<std::int64_t>(std::llround(fraction * static_cast<double>(nodes)), 0, nodes);
}

std::string_view to_string(FailureModel model) {
  switch (model) {
    case FailureModel::none:
      return "none";
    case FailureModel::exponential:
      return "exponential";
    case FailureModel::weibull:
      return "weibull";
    case FailureModel::trace:
      return "trace";
  }
  return "?";
}

FailureSpec decode_failures(const ConfigNode& node, const ClusterSpec& cluster) {
  node.expect_keys({"model", "mtbf_node", "mtbf_job", "shape", "scale", "trace", "correlated",
                    "kinds", "bad_nodes"});
  FailureSpec spec;
  spec.cluster = cluster;
  const ConfigNode model_node = node["model"];
  const std::string model = model_node.as_string();
  if (model == "exponential")
    spec.model = FailureModel::exponential;
  else if (model == "weibull")
    spec.model = FailureModel::weibull;
  else if (model == "trace")
    spec.model = FailureModel::trace;
  else if (model == "none")
    spec.model = FailureModel::none;
  else {
    const std::string hint = closest_match(model, kModelNames);
    model_node.fail(fmt::format("unknown failure model \"{}\"{}; expected one of {}", model,
                                hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                fmt::join(kModelNames, ", ")));
  }

  const std::vector<std::string> allowed = keys_for(spec.model);
  for (const std::string& key : node.keys()) {
    if (key == "model" || std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    node[key].fail(allowed.empty() ? std::string("model none takes no other keys")
                                   : fmt::format("'{}' does not apply to model {} (it takes {})",
                                                 key, model, fmt::join(allowed, ", ")));
  }

  if (auto k = node.find("kinds")) {
    spec.kinds = decode_failure_kinds(*k, spec.model != FailureModel::trace);
    spec.kinds_listed = true;
  }

  switch (spec.model) {
    case FailureModel::none:
      break;
    case FailureModel::exponential: {
      const auto per_node = node.find("mtbf_node");
      const auto per_job = node.find("mtbf_job");
      if (per_node && per_job) {
        per_job->fail("give either mtbf_node or mtbf_job, not both (mtbf_node = mtbf_job * nodes)");
      }
      if (!per_node && !per_job) node.fail("model exponential needs mtbf_node or mtbf_job");
      spec.mtbf_node = per_node ? positive_duration(*per_node)
                                : positive_duration(*per_job) * static_cast<double>(cluster.nodes);
      break;
    }
    case FailureModel::weibull:
      spec.shape = node["shape"].as_positive_double();
      spec.scale = positive_duration(node["scale"]);
      break;
    case FailureModel::trace: {
      spec.trace = decode_trace_replay(node["trace"], cluster);
      if (spec.kinds_listed) {
        for (const auto& r : spec.trace.events) {
          if (!find_kind(spec.kinds, r.kind)) {
            node["kinds"].fail(
                fmt::format("trace kind \"{}\" (line {} of {}) is not listed; "
                            "list it to give its detection time",
                            r.kind, r.line, spec.trace.file));
          }
        }
      }
      break;
    }
  }
  if (auto c = node.find("correlated")) spec.correlated = decode_correlated(*c, spec);
  if (auto b = node.find("bad_nodes")) spec.bad_nodes = decode_bad_nodes(*b);
  return spec;
}

double FailureSpec::job_mtbf_seconds(const ClusterSpec& on) const {
  const double nodes = static_cast<double>(on.nodes);
  double rate = 0;  // failures per second of the whole job
  switch (model) {
    case FailureModel::none:
      return std::numeric_limits<double>::infinity();
    case FailureModel::exponential:
      rate = nodes / mtbf_node.value;
      break;
    case FailureModel::weibull:
      rate = nodes / (scale.value * std::tgamma(1 + 1 / shape));
      break;
    case FailureModel::trace:
      // The trace has its own node count; its rate is what it recorded, whatever the cluster.
      rate = static_cast<double>(trace.events.size()) / trace.span.value;
      break;
  }
  if (bad_nodes && (model == FailureModel::exponential || model == FailureModel::weibull)) {
    // Bad nodes add (multiplier - 1) times their own rate (weibull: the long-run renewal rate).
    rate += rate / nodes * static_cast<double>(bad_nodes->count(on.nodes)) *
            (bad_nodes->rate_multiplier - 1);
  }
  if (correlated) rate += static_cast<double>(on.racks()) / correlated->mtbf_domain.value;
  return 1 / rate;
}

std::string FailureSpec::describe() const {
  std::string body;
  switch (model) {
    case FailureModel::none:
      return "none (no failures)";
    case FailureModel::exponential:
      body = fmt::format("exponential, node MTBF {}", compact_duration(mtbf_node.value));
      break;
    case FailureModel::weibull:
      body = fmt::format("weibull k={:.3g}, node scale {}, node MTBF {}", shape,
                         compact_duration(scale.value),
                         compact_duration(scale.value * std::tgamma(1 + 1 / shape)));
      break;
    case FailureModel::trace:
      body = fmt::format(
          "trace {}, {} of {} events{}{} over {}, time x{:.3g}{}{}{}",
          std::filesystem::path(trace.file).filename().string(), trace.events.size(),
          trace.file_events,
          trace.kinds.empty() ? "" : fmt::format(" ({})", fmt::join(trace.kinds, ",")),
          trace.window_text.empty() ? "" : " in " + trace.window_text,
          compact_duration(trace.span.value), trace.time_scale, trace.loop ? ", looped" : "",
          trace.remap == TraceRemap::none
              ? ""
              : fmt::format(", nodes {}", trace.remap == TraceRemap::by_rack
                                              ? "by rack (" + trace.rack_of->describe() + ")"
                                              : std::string(to_string(trace.remap))),
          trace.merge_bursts ? ", bursts merged per rack" : "");
      break;
  }
  if (bad_nodes) {
    body += fmt::format(", {} bad nodes ({:.3g}) failing x{:.3g}", bad_nodes->count(cluster.nodes),
                        bad_nodes->fraction, bad_nodes->rate_multiplier);
  }
  if (correlated) {
    body += fmt::format(", + {} events (MTBF {} per {})", correlated->kind,
                        compact_duration(correlated->mtbf_domain.value), correlated->domain);
  }
  return fmt::format("{} (job MTBF {})", body, compact_duration(job_mtbf_seconds(cluster)));
}

}  // namespace ckptlab
