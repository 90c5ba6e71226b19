// What fails, how often, and how it is noticed: the decoded `failures:` mapping of a scenario.
// The YAML schema is documented at the top of failure_spec.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_kinds.hpp"
#include "failure/trace_spec.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

enum class FailureModel {
  none,         // no failures: the ideal-hardware baseline
  exponential,  // memoryless per-node failures (constant hazard)
  weibull,      // per-node renewal with shape k (k < 1: decreasing hazard, as HPC logs show)
  trace,        // replay of a recorded failure log
};
std::string_view to_string(FailureModel model);

// Whole-domain events (a rack's power, its top-of-rack switch). They take down every node of one
// domain at once, in addition to the per-node failures. Each domain fails as an independent
// Poisson process.
struct CorrelatedFailures {
  std::string domain = "rack";  // the only domain so far: ClusterSpec::nodes_per_rack nodes
  Seconds mtbf_domain;          // mean time between events of one domain
  std::string kind = "rack";    // FailureEvent::kind of these events
  Seconds detection{60};        // a down rack is noticed like a down node: 1 min unless set
};

// Systematically bad nodes (exponential and weibull): a fixed share of the nodes, chosen per
// seed (stream bad_nodes), fails `rate_multiplier` times as often as the others.
struct BadNodes {
  double fraction = 0;         // in [0, 1]; round(fraction * nodes) nodes
  double rate_multiplier = 1;  // >= 1
  std::int64_t count(std::int64_t nodes) const;
};

struct FailureSpec {
  FailureModel model = FailureModel::none;
  Seconds mtbf_node;  // exponential: per-node MTBF (from mtbf_node, or mtbf_job * nodes)
  double shape = 1;   // weibull: shape k
  Seconds scale;      // weibull: per-node scale lambda (node MTBF = lambda * Gamma(1 + 1/k))
  TraceReplaySpec trace;
  std::optional<CorrelatedFailures> correlated;
  std::optional<BadNodes> bad_nodes;  // exponential, weibull: `bad_nodes:`
  // Kinds of random node failures, with weights (exponential, weibull), and the detection time
  // of every kind (all models). When the scenario lists none: default_failure_kinds().
  std::vector<FailureKind> kinds = default_failure_kinds();
  bool kinds_listed = false;  // whether `kinds` came from the scenario
  // The cluster this spec was decoded for (trace node ids were checked against it). describe()
  // reports its job MTBF.
  ClusterSpec cluster;

  // Expected job-level mean time between failures on `cluster`, in seconds, for reports. Any
  // failure of any node interrupts the job, so the rates of all nodes and domains add:
  //   exponential: 1 / (nodes / mtbf_node + racks / mtbf_domain)
  //   weibull:     long-run renewal rate, mtbf_node = scale * Gamma(1 + 1/k), same sum
  //   trace:       span / kept events (plus rack events when correlated is set)
  //   none:        +infinity
  double job_mtbf_seconds(const ClusterSpec& cluster) const;

  // One line for logs and reports, for example
  // "exponential, node MTBF 264 d (job MTBF 6.19 h)".
  std::string describe() const;
};

// Decodes the `failures:` mapping for `cluster`. Every key is validated, so a typo is an error
// with a "did you mean". Keys that do not apply to the chosen model are errors too. A trace file
// is read here (relative to the scenario file), so a bad trace fails at load time, not hours
// into a sweep. Throws InputError, located at the offending key or trace line.
FailureSpec decode_failures(const ConfigNode& node, const ClusterSpec& cluster);

}  // namespace ckptlab
