#include "hw/common/plan_scaler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ckptlab::hw {

Plan PlanScaler::scale(const Plan& plan) const {
  Plan out;
  out.signature = "harness:" + plan.signature;
  for (const Op& op : plan.ops) {
    Op scaled = op;
    if (!op.rank_bytes.empty()) {
      scaled.rank_bytes.clear();
      for (const RankLayout& r : layout_.ranks) {
        const auto s = static_cast<size_t>(r.scenario_rank);
        if (s >= op.rank_bytes.size()) {
          throw std::invalid_argument(
              fmt::format("op '{}' covers {} ranks; the harness samples scenario rank {}", op.label,
                          op.rank_bytes.size(), r.scenario_rank));
        }
        const std::int64_t full = op.rank_bytes[s].value;
        std::int64_t b = 0;
        if (full >= r.scenario_bytes) {
          b = r.bytes();
        } else if (full > 0) {
          const double fraction = static_cast<double>(full) / static_cast<double>(r.scenario_bytes);
          b = std::max<std::int64_t>(1, std::llround(fraction * static_cast<double>(r.bytes())));
        }
        scaled.rank_bytes.push_back(Bytes{b});
      }
    }
    out.ops.push_back(std::move(scaled));
  }
  return out;
}

std::string ScaledExecutor::method() const {
  return inner_.method() + "; on the harness-scaled plan (bytes of the sampled ranks, scaled)";
}

ClusterSpec harness_cluster(const HarnessLayout& layout) {
  ClusterSpec c;
  c.nodes = 1;
  c.gpus_per_node = std::max(1, layout.world());
  c.nodes_per_rack = 1;
  return c;
}

}  // namespace ckptlab::hw
