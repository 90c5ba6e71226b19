// Checkpoint interval rules: fixed, Young (1974) and Daly (2006), and Daly's ETTR model.
#pragma once

#include <cstdint>
#include <string>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

// Young: tau = sqrt(2 * delta * M).
Seconds young_interval(Seconds checkpoint_cost, double mtbf_s);
// Daly (FGCS 22, 2006), for delta < 2M: tau = sqrt(2 delta M) [1 + 1/3 sqrt(delta/2M) +
// 1/9 (delta/2M)] - delta; tau = M otherwise.
Seconds daly_interval(Seconds checkpoint_cost, double mtbf_s);
// Daly's expected ETTR for work tau between checkpoints of cost delta, restart R, exponential
// failures of mean M that may also strike checkpoints and restarts:
//   ETTR = tau / (M e^{R/M} (e^{(tau+delta)/M} - 1)).
double daly_ettr(Seconds tau, Seconds checkpoint_cost, Seconds restart, double mtbf_s);

// How a policy's `interval` key was resolved.
struct IntervalChoice {
  std::int64_t iterations = 1;
  std::string rule;    // "fixed 30 min", "Daly", "Young", "every 100 iterations"
  std::string source;  // formula or citation
};

// Resolves a policy's interval keys: `interval: "30m" | daly | young` or
// `interval_iterations: N` (exactly one may be given; default `fallback`). `cost` is the
// checkpoint's overhead to training (delta) for the Young/Daly rules, `mtbf_s` the job MTBF.
IntervalChoice resolve_interval(const ConfigNode& policy_node, Seconds iteration_time,
                                Seconds cost, double mtbf_s, const std::string& fallback);

}  // namespace ckptlab
