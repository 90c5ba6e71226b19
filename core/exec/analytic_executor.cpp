#include "exec/analytic_executor.hpp"

#include <algorithm>

#include "exec/fair_share.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

AnalyticExecutor::AnalyticExecutor(const ClusterSpec& cluster, const HardwareProfile& hardware)
    : cluster_(cluster), hardware_(hardware) {}

std::string AnalyticExecutor::method() const {
  return "formula: bytes / bandwidth per hop (PCIe per GPU, NICs per node, local disk per node), "
         "max-min fair share of shared storage; hops store-and-forward";
}

std::vector<Bytes> AnalyticExecutor::node_bytes(const std::vector<Bytes>& rank_bytes) const {
  std::vector<Bytes> nodes(static_cast<size_t>(cluster_.nodes));
  for (size_t r = 0; r < rank_bytes.size(); ++r) {
    nodes.at(r / static_cast<size_t>(cluster_.gpus_per_node)) += rank_bytes[r];
  }
  return nodes;
}

namespace {
Seconds max_time(const std::vector<Bytes>& bytes, BytesPerSecond rate) {
  Bytes most;
  for (Bytes b : bytes) most = std::max(most, b);
  return transfer_time(most, rate);
}
int tier_rank(Tier t) { return static_cast<int>(t); }
}  // namespace

// One hop between adjacent tiers (host is the hub every path crosses).
Seconds AnalyticExecutor::hop(Tier a, Tier b, const std::vector<Bytes>& rank_bytes) const {
  const bool outward = tier_rank(a) < tier_rank(b);
  const Tier far = outward ? b : a;
  switch (far) {
    case Tier::kHost:
      return max_time(rank_bytes, outward ? hardware_.pcie_d2h : hardware_.pcie_h2d);
    case Tier::kPeerHost:
      return max_time(node_bytes(rank_bytes), hardware_.node_network());
    case Tier::kLocalDisk:
      return max_time(node_bytes(rank_bytes),
                      outward ? hardware_.local_disk_write : hardware_.local_disk_read);
    case Tier::kStorage: {
      const BytesPerSecond cap{
          std::min(hardware_.node_network().value, hardware_.storage_per_client.value)};
      return fair_share_makespan(node_bytes(rank_bytes), cap,
                                 outward ? hardware_.storage_write : hardware_.storage_read);
    }
    case Tier::kGpu: break;
  }
  CKPTLAB_CHECK(false, "a hop needs two different tiers");
}

Seconds AnalyticExecutor::op_duration(const Op& op) const {
  switch (op.kind) {
    case OpKind::kRecompute:
    case OpKind::kReplay: return op.compute;
    case OpKind::kBarrier: return {0};
    case OpKind::kTransfer: return max_time(node_bytes(op.rank_bytes), hardware_.node_network());
    default: break;
  }
  if (op.from == op.to) return {0};
  // Walk from source to destination through the host hub: e.g. GPU->storage = GPU->host,
  // host->storage; storage->GPU = storage->host, host->GPU; peer->local disk via host.
  Seconds total{0};
  if (op.from != Tier::kHost) total += hop(op.from, Tier::kHost, op.rank_bytes);
  if (op.to != Tier::kHost) total += hop(Tier::kHost, op.to, op.rank_bytes);
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
    timing.op_end[i] = start + op_duration(op);
    timing.total = std::max(timing.total, timing.op_end[i]);
    if (op.blocking) timing.blocking = std::max(timing.blocking, timing.op_end[i]);
  }
  if (!plan.signature.empty()) memo_.emplace(plan.signature, timing);
  return timing;
}

}  // namespace ckptlab
