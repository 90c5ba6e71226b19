#include "exec/analytic_executor.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "exec/fair_share.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

AnalyticExecutor::AnalyticExecutor(const ClusterSpec& cluster, const HardwareProfile& hardware)
    : cluster_(cluster), hardware_(hardware), capacity_(node_capacity(cluster, hardware)) {}

std::string AnalyticExecutor::method() const {
  std::string m =
      "formula: bytes / bandwidth per hop (PCIe per GPU, NICs per node, local disk per node), "
      "max-min fair share of shared storage; hops store-and-forward";
  if (hardware_.background_efficiency < 1) {
    m += fmt::format("; background ops at {:.3g} of their speed alone (background_efficiency)",
                     hardware_.background_efficiency);
  }
  return m;
}

Seconds AnalyticExecutor::op_duration(const Op& op) const {
  if (op.kind == OpKind::kRecompute || op.kind == OpKind::kReplay) return op.compute;
  const bool storage_hop = op.kind != OpKind::kTransfer && op.from != op.to &&
                           (op.from == Tier::kStorage || op.to == Tier::kStorage);
  if (!storage_hop) return full_rate_duration(op, capacity_, cluster_.nodes);
  // Through host memory: the storage hop at the max-min fair share of the tier among the nodes
  // that move data (each capped at its client rate), the other end's hop at the node's own rate.
  const bool writing = op.to == Tier::kStorage;
  Seconds total =
      fair_share_makespan(bytes_per_node(op.rank_bytes, cluster_.gpus_per_node, cluster_.nodes),
                          capacity_.storage_client,
                          writing ? hardware_.storage_write : hardware_.storage_read);
  const Tier other = writing ? op.from : op.to;
  if (other != Tier::kHost)
    total += full_rate_hop(other, /*outward=*/!writing, op.rank_bytes, capacity_, cluster_.nodes);
  return total;
}

PlanTiming AnalyticExecutor::execute(const Plan& plan) {
  if (!plan.signature.empty()) {
    if (auto it = memo_.find(plan.signature); it != memo_.end()) return it->second;
  }
  PlanTiming timing;
  timing.op_start.resize(plan.ops.size());
  timing.op_end.resize(plan.ops.size());
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    Seconds start{0};
    for (size_t dep : op.after) start = std::max(start, timing.op_end[dep]);
    timing.op_start[i] = start;
    // A byte-moving op training does not wait for runs beside training, at the profile's
    // background efficiency.
    Seconds d = op_duration(op);
    if (!op.blocking && op.kind != OpKind::kRecompute && op.kind != OpKind::kReplay)
      d = Seconds{d.value / hardware_.background_efficiency};
    timing.op_end[i] = start + d;
    timing.total = std::max(timing.total, timing.op_end[i]);
    if (op.blocking) timing.blocking = std::max(timing.blocking, timing.op_end[i]);
  }
  timing.background_share = background_share(plan, timing, capacity_, cluster_.nodes);
  if (!plan.signature.empty()) memo_.emplace(plan.signature, timing);
  return timing;
}

}  // namespace ckptlab
