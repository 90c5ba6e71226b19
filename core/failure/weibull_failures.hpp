// Weibull per-node failures. Each node is a renewal process: its lifetime is Weibull(k, lambda)
// from t = 0 (every node new at job start) and again from each of its failures (the failed node
// is replaced by a new one, or repaired as good as new). Shape k < 1 gives the decreasing hazard
// of real HPC and GPU logs (Schroeder & Gibson, DSN '06): many early failures, then long quiet
// stretches. k = 1 is the exponential model.
//
// Unlike the exponential model, nodes are not interchangeable (each has its own age), so every
// node keeps its next failure time in a min-heap. Generation costs one Weibull draw per node up
// front and O(log nodes) per failure.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "failure/failure_kinds.hpp"
#include "failure/failure_process.hpp"
#include "util/units.hpp"

namespace ckptlab {

// Weibull renewal failures of `nodes` nodes with shape `shape` and scale `scale`. Each event takes
// one node down, with a kind drawn from `kinds` by weight. The initial lifetimes are drawn for
// nodes 0, 1, ..., then one draw per failure, all from stream node_failures of `seed`. Ties in
// time go to the lower node id. REQUIRES: nodes >= 1, shape > 0, scale > 0.
// `bad`: node ids whose scale is divided by `rate_multiplier` (systematically bad nodes; their
// long-run failure rate is multiplied by it). The draws are the same either way.
std::unique_ptr<FailureProcess> make_weibull_node_failures(
    double shape, Seconds scale, std::int64_t nodes, std::vector<FailureKind> kinds,
    std::uint64_t seed, const std::vector<std::int64_t>& bad = {}, double rate_multiplier = 1);

}  // namespace ckptlab
