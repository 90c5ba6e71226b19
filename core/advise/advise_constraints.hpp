// The constraints a recommendation of `ckptlab advise` must meet (docs/advise.md):
// - host_memory: the hardware profile's host memory per node. The policies that keep copies in
//   host memory (in_memory, moetion) reject settings that do not fit when they are built; the
//   evaluator tells that apart from other rejections by building again with the limit lifted.
// - max_lost_tokens: the largest lost_tokens_fraction (MoC-System's PLT) a partial policy may
//   report, mean over the replications (--max-lost-tokens; no bound by default: the scenario
//   format has no such key).
// Storage bandwidth is not a constraint but a cost: the executors already time every persist
// and load with it. Storage capacity is not modelled by the hardware profile.
#pragma once

#include <optional>
#include <string>

#include "advise/advise_evaluation.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

struct AdviseConstraints {
  std::optional<double> max_lost_tokens;
};

inline constexpr const char* kHostMemoryConstraint = "host_memory";
inline constexpr const char* kLostTokensConstraint = "max_lost_tokens";

// Marks `e` as violating max_lost_tokens when its mean lost_tokens_fraction is above the bound
// (a host-memory violation found while building stays the one reported).
void check_lost_tokens(Evaluation& e, const AdviseConstraints& constraints);

// One line per constraint for the table header and advice.json ("host memory 2.00 TB per node").
std::string describe_constraint(const std::string& name, const Scenario& scenario,
                                const AdviseConstraints& constraints);

}  // namespace ckptlab
