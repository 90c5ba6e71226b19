#include "advise/advise_confirm.hpp"

#include <algorithm>

#include "util/input_error.hpp"

namespace ckptlab {

Confirmation confirm_policy(CandidateEvaluator& ev, const PolicySearch& search,
                            const std::vector<const Evaluation*>& finalists, std::size_t reps,
                            std::size_t max_reps, double tolerance) {
  CKPTLAB_CHECK(reps >= 1 && max_reps >= reps, "a replication count within the cap");
  Confirmation out;
  if (finalists.empty()) return out;
  std::size_t n = reps;
  for (;;) {
    out.finalists.clear();
    for (const Evaluation* f : finalists) {
      out.finalists.push_back(&ev.evaluate(search.policy, f->settings, n));
    }
    out.replications = n;
    // finalists[0] is the search's choice when it has one.
    const std::optional<std::size_t> prior = search.choice && finalists.front() == search.choice
                                                 ? std::optional<std::size_t>(0)
                                                 : std::nullopt;
    const auto best = pick(out.finalists, prior);
    out.choice = best ? out.finalists[*best] : nullptr;
    out.choice_index = best.value_or(0);
    out.separated = best && (out.finalists.size() < 2 || separated(out.finalists, *best));
    out.settled = best && settled(out.finalists, *best, tolerance);
    if (out.separated || out.settled || n >= max_reps || out.finalists.size() < 2) break;
    n = std::min(max_reps, n + reps);
  }
  return out;
}

}  // namespace ckptlab
