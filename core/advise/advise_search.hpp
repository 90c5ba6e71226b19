// The search of `ckptlab advise` (docs/advise.md): per policy, a coordinate search over its
// discrete parameters (policy_space.hpp), each candidate at its own closed-form interval (Daly,
// or the policy's own rule), then a 1-D search of the interval around the closed form. Moves
// follow the point estimates under common random numbers; the final choice of each step keeps
// the prior (the scenario's value, the closed-form interval) unless another candidate is
// significantly better (advise_evaluation.hpp: pick), because near an optimum ETTR is flat and
// the noise, not the model, would otherwise decide.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "advise/candidate_evaluator.hpp"
#include "advise/policy_space.hpp"

namespace ckptlab {

// Integer search of a maximum over [lo, hi] starting at `start`: brackets it with steps of a
// factor 2 (expanding while an end improves), then narrows the bracket by golden-section steps
// in log k until its ends are within a factor `ratio`, hold no integer between them, or the last
// probe is `tied` with the bracket's best (no step at all when both ends are tied with it) (not
// separated by its paired interval: finer steps cannot be resolved at this noise level). Each k is
// scored once. Returns the k's scored, in order. REQUIRES: 1 <= lo <= hi.
std::vector<std::int64_t> search_interval(
    std::int64_t start, std::int64_t lo, std::int64_t hi,
    const std::function<double(std::int64_t)>& score,
    const std::function<bool(std::int64_t, std::int64_t)>& tied, double ratio = 1.1);

// Hill climb over ordinal indices 0..count-1 from `start`: downwards while it improves, and
// upwards only when the first step down did not improve. Returns the indices scored, in order.
// REQUIRES: start < count.
// A step is taken only when it gains more than `min_gain`: on a flat dimension the climb stops at
// once instead of following the noise.
std::vector<std::size_t> climb_ordinal(std::size_t start, std::size_t count,
                                       const std::function<double(std::size_t)>& score,
                                       double min_gain = 0);

struct PolicySearch {
  std::size_t policy = 0;
  std::string label;
  std::string kind;
  PolicySpace space;
  Settings chosen;                          // the recommended settings (before confirmation)
  const Evaluation* choice = nullptr;       // nullptr: no feasible candidate
  std::optional<std::int64_t> closed_form;  // the interval the search started from
  std::string closed_form_rule;             // "Daly (interval: daly)", "policy default rule"
  std::size_t evaluations = 0;              // distinct candidates this policy asked for
};

struct SearchOptions {
  std::size_t replications = 1;  // per candidate
  // ETTR differences below this (absolute) do not matter: a climb does not step for less, and
  // the interval search stops refining when its probes differ by less.
  double tolerance = 0.001;
};

// Searches policy `policy` of the evaluator's scenario.
PolicySearch search_policy(CandidateEvaluator& evaluator, std::size_t policy,
                           const SearchOptions& options);

// The constraint that binds among `all` (one policy's evaluations): the one the best candidate
// ignoring constraints violates, when it is significantly better than `choice` (or nothing is
// feasible); "" when none binds.
std::string binding_constraint(const std::vector<const Evaluation*>& all, const Evaluation* choice);

// The search's choice and up to `extra` other feasible candidates with the highest ETTR.
std::vector<const Evaluation*> finalists(const std::vector<const Evaluation*>& all,
                                         const Evaluation* choice, std::size_t extra);

}  // namespace ckptlab
