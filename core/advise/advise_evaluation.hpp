// One evaluated candidate of `ckptlab advise` and how two are compared. Every candidate of a
// scenario runs against the same failure streams (replication r uses replication_seed(seed, r)),
// so candidates are compared by paired differences, which are much tighter than each ETTR's own
// interval.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "advise/advise_settings.hpp"
#include "job/ledger.hpp"
#include "run/replication_stats.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct ReplicationFigures {
  std::array<double, kTimeCategoryCount> time_s{};  // by TimeCategory
  double wall_s = 0;
  double lost_tokens_fraction = 0;
  std::int64_t failures = 0;
};

struct Evaluation {
  std::size_t policy = 0;  // index in the scenario's policies
  Settings settings;
  std::string backend;
  std::size_t order = 0;  // 0-based position in the evaluator's sequence
  // The policy rejected the settings for a reason that is not an advise constraint.
  std::string invalid;
  // The advise constraint the candidate violates ("host_memory", "max_lost_tokens"), or "".
  // A host-memory violation is still run, with the limit lifted, so that the table can say
  // whether the limit binds.
  std::string violated;
  std::string violation_detail;
  std::vector<ReplicationFigures> runs;  // in replication order
  std::int64_t interval_iterations = 0;
  double interval_s = 0;
  Bytes checkpoint_bytes;
  std::string description;

  bool valid() const { return invalid.empty(); }
  bool feasible() const { return valid() && violated.empty(); }
  // Pooled ETTR over the runs with its 95% half-width (infinite with one run).
  Estimate ettr() const;
  // Share of wall time in `c`, pooled over the runs.
  double share(TimeCategory c) const;
  // Detection + restart + state load + replay, pooled.
  double recovery_share() const;
  double lost_tokens_fraction() const;  // mean over the runs
  std::vector<double> ettr_per_run() const;
};

// a - b paired by replication over the runs both have. REQUIRES: both have at least one run.
Estimate paired_ettr_difference(const Evaluation& a, const Evaluation& b);
// Whether a's ETTR is above b's by more than the paired 95% half-width (with a single shared run:
// by any margin, there being no interval).
bool significantly_better(const Evaluation& a, const Evaluation& b);

// Whether the paired difference of a and b cannot matter or cannot be resolved: below
// `tolerance` (absolute ETTR), or neither is significantly better than the other.
bool tied(const Evaluation& a, const Evaluation& b, double tolerance);
// Whether a and b are equivalent for practical purposes: the whole paired 95% interval of their
// difference lies within +-tolerance (so more replications would not change the advice).
bool equivalent(const Evaluation& a, const Evaluation& b, double tolerance);

// The search's score: the ETTR for feasible candidates; infeasible ones rank below every feasible
// one (ETTR - 1) and keep their order among themselves; invalid ones are -inf.
double search_score(const Evaluation& e);

// The candidate to recommend among `candidates` (feasible ones only): the highest ETTR, except
// that `preferred` (the closed form's, or the search's choice before confirmation) is kept unless
// another is significantly better than it: ties go to the prior. nullopt when none is feasible.
std::optional<std::size_t> pick(const std::vector<const Evaluation*>& candidates,
                                std::optional<std::size_t> preferred);

// Whether candidates[best] is significantly better than every other valid candidate.
bool separated(const std::vector<const Evaluation*>& candidates, std::size_t best);
// Whether every other valid candidate is significantly worse than candidates[best] or
// equivalent to it within `tolerance`: more replications would not change the choice.
bool settled(const std::vector<const Evaluation*>& candidates, std::size_t best, double tolerance);

}  // namespace ckptlab
