#include "policy/policy.hpp"

#include <fmt/format.h>

namespace ckptlab {

std::vector<std::pair<std::string, const Plan*>> Policy::explain_plans() {
  std::vector<std::pair<std::string, const Plan*>> plans;
  const std::int64_t first = interval_iterations();
  if (const Plan* p = checkpoint_plan(first)) {
    plans.emplace_back(fmt::format("checkpoint at iteration {}", first), p);
  }
  Catalog catalog;
  catalog.seed(0, Tier::kStorage);
  for (Tier t : {Tier::kHost, Tier::kPeerHost, Tier::kLocalDisk, Tier::kStorage}) {
    catalog.seed(first, t);
  }
  FailureEvent failure;
  failure.time = 0;
  failure.nodes = {0};
  failure.kind = "explain";
  const RecoveryPlan r = plan_recovery(failure, catalog, first + first / 2);
  if (r.load) {
    plans.emplace_back(fmt::format("recovery after a failure of node 0 at iteration {}: restore "
                                   "version {} from {}{}",
                                   first + first / 2, r.restore_iteration, tier_name(r.source),
                                   r.localized ? " (localized)" : ""),
                       r.load);
  }
  return plans;
}

}  // namespace ckptlab
