// Memoryless failures: the exponential per-node model and whole-domain (rack) events.
//
// n independent units, each failing at rate 1/MTBF, superpose to one Poisson stream of rate
// n/MTBF in which every failure hits a uniformly chosen unit. Drawing that one stream costs one
// exponential and one uniform index per failure, so the cost does not depend on the node count
// (10,240 nodes for 30 days is about 1,200 draws). This is exact for the exponential model.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "failure/failure_kinds.hpp"
#include "failure/failure_process.hpp"
#include "util/units.hpp"

namespace ckptlab {

// Per-node exponential failures of `nodes` nodes with per-node MTBF `mtbf_node`. Each event
// takes one node down, with a kind drawn from `kinds` by weight. Times and nodes come from stream
// node_failures of `seed`, kinds from stream failure_kinds. REQUIRES: nodes >= 1, mtbf_node > 0.
std::unique_ptr<FailureProcess> make_exponential_node_failures(Seconds mtbf_node,
                                                               std::int64_t nodes,
                                                               std::vector<FailureKind> kinds,
                                                               std::uint64_t seed);

// Extra exponential failures of the listed nodes only (systematically bad nodes: the base process
// covers every node, this one adds the rest of their rate), per-node MTBF `mtbf_node`. Times and
// nodes come from `seed`, kinds from `kinds_seed`. REQUIRES: node_ids non-empty, mtbf_node > 0.
std::unique_ptr<FailureProcess> make_exponential_subset_failures(Seconds mtbf_node,
                                                                 std::vector<std::int64_t> node_ids,
                                                                 std::vector<FailureKind> kinds,
                                                                 std::uint64_t seed,
                                                                 std::uint64_t kinds_seed);

// Whole-domain events. The cluster's `nodes` are cut into domains of `nodes_per_domain`
// consecutive nodes (the last one may be partial), and each domain fails with MTBF
// `mtbf_domain`. An event takes down every node of its domain and carries the kind and detection
// of `kind`. Draws come from stream domain_failures of `seed`.
// REQUIRES: nodes >= 1, nodes_per_domain >= 1, mtbf_domain > 0.
std::unique_ptr<FailureProcess> make_domain_failures(Seconds mtbf_domain, std::int64_t nodes,
                                                     std::int64_t nodes_per_domain,
                                                     FailureKind kind, std::uint64_t seed);

}  // namespace ckptlab
