#include "policies/sync_full.hpp"

#include <fmt/format.h>

namespace ckptlab {

SyncFullPolicy::SyncFullPolicy(const ConfigNode& node, const PolicyContext& ctx)
    : DenseCheckpointPolicy(node, ctx, /*persist_blocking=*/true) {
  node.expect_keys({"name", "label", "interval", "interval_iterations", "tier"});
  set_interval(resolve_interval(node, ctx.iteration_time, overhead_per_checkpoint(),
                                ctx.job_mtbf_s, "daly"));
}

std::string SyncFullPolicy::describe() const {
  return fmt::format("blocking full checkpoint to {} every {} iterations ({}), {:.2f} s stall",
                     tier_name(tier_), interval_.iterations, interval_.rule, blocking_.value);
}

}  // namespace ckptlab
