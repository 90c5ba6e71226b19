// The confirmation step of `ckptlab advise`: a policy's finalists run again on the confirmation
// backend (the SimGrid one when asked, else the analytic one, whose first replications are then
// the search's own), adding rounds of replications until the best is significantly better than
// every other finalist (paired 95% interval) or equivalent to it within the tolerance (the whole
// paired interval inside +-tolerance), or the replication cap is reached.
#pragma once

#include <cstddef>
#include <vector>

#include "advise/advise_search.hpp"
#include "advise/candidate_evaluator.hpp"

namespace ckptlab {

struct Confirmation {
  std::vector<const Evaluation*> finalists;  // on the confirmation backend, in search order
  const Evaluation* choice = nullptr;        // the recommendation; nullptr: none feasible
  std::size_t choice_index = 0;              // its position in `finalists`
  bool separated = false;                    // the choice is significantly better than the rest
  bool settled = false;                      // ... or the rest are equivalent to it
  std::size_t replications = 0;
};

// Runs `finalists` (evaluations of search.policy from the search, the search's choice first) on
// `evaluator` with `replications`, then `replications` more per round up to `max_replications`,
// stopping early once the best is settled. The search's choice stays the recommendation unless
// another finalist is significantly better. REQUIRES: max_replications >= replications >= 1.
Confirmation confirm_policy(CandidateEvaluator& evaluator, const PolicySearch& search,
                            const std::vector<const Evaluation*>& finalists,
                            std::size_t replications, std::size_t max_replications,
                            double tolerance);

}  // namespace ckptlab
