#include "exec/node_capacity.hpp"

#include <algorithm>

#include "util/input_error.hpp"

namespace ckptlab {

NodeCapacity node_capacity(int gpus_per_node, BytesPerSecond pcie_d2h, BytesPerSecond pcie_h2d,
                           BytesPerSecond network, BytesPerSecond disk_write,
                           BytesPerSecond disk_read, BytesPerSecond storage_per_client) {
  return {gpus_per_node, pcie_d2h,  pcie_h2d,
          network,       disk_write, disk_read,
          BytesPerSecond{std::min(network.value, storage_per_client.value)}};
}

NodeCapacity node_capacity(const ClusterSpec& cluster, const HardwareProfile& hardware) {
  return node_capacity(cluster.gpus_per_node, hardware.pcie_d2h, hardware.pcie_h2d,
                       hardware.node_network(), hardware.local_disk_write,
                       hardware.local_disk_read, hardware.storage_per_client);
}

std::vector<Bytes> bytes_per_node(const std::vector<Bytes>& rank_bytes, int gpus_per_node,
                                  std::int64_t nodes) {
  std::vector<Bytes> out(static_cast<size_t>(nodes));
  for (size_t r = 0; r < rank_bytes.size(); ++r) {
    out.at(r / static_cast<size_t>(gpus_per_node)) += rank_bytes[r];
  }
  return out;
}

namespace {

Seconds busiest(const std::vector<Bytes>& bytes, BytesPerSecond rate) {
  Bytes most;
  for (Bytes b : bytes) most = std::max(most, b);
  return transfer_time(most, rate);
}

}  // namespace

Seconds full_rate_hop(Tier far, bool outward, const std::vector<Bytes>& rank_bytes,
                      const NodeCapacity& c, std::int64_t nodes) {
  switch (far) {
    case Tier::kGpu: return busiest(rank_bytes, outward ? c.pcie_h2d : c.pcie_d2h);
    case Tier::kPeerHost:
      return busiest(bytes_per_node(rank_bytes, c.gpus_per_node, nodes), c.network);
    case Tier::kLocalDisk:
      return busiest(bytes_per_node(rank_bytes, c.gpus_per_node, nodes),
                     outward ? c.disk_write : c.disk_read);
    case Tier::kStorage:
      return busiest(bytes_per_node(rank_bytes, c.gpus_per_node, nodes), c.storage_client);
    case Tier::kHost: break;
  }
  CKPTLAB_CHECK(false, "a hop needs a tier other than host memory");
}

Seconds full_rate_duration(const Op& op, const NodeCapacity& capacity, std::int64_t nodes) {
  switch (op.kind) {
    case OpKind::kRecompute:
    case OpKind::kReplay:
    case OpKind::kBarrier: return {0};
    case OpKind::kTransfer: return full_rate_hop(Tier::kPeerHost, true, op.rank_bytes, capacity, nodes);
    default: break;
  }
  if (op.from == op.to) return {0};
  Seconds total{0};
  if (op.from != Tier::kHost) total += full_rate_hop(op.from, false, op.rank_bytes, capacity, nodes);
  if (op.to != Tier::kHost) total += full_rate_hop(op.to, true, op.rank_bytes, capacity, nodes);
  return total;
}

double background_share(const Plan& plan, const PlanTiming& timing, const NodeCapacity& capacity,
                        std::int64_t nodes) {
  const double window_start = timing.blocking.value;
  const double window = timing.total.value - window_start;
  if (!(window > 0)) return 0;
  double held = 0;  // full-rate seconds of background traffic inside the window
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    if (op.blocking) continue;
    const double start = timing.op_start.at(i).value;
    const double end = timing.op_end.at(i).value;
    const double full = full_rate_duration(op, capacity, nodes).value;
    if (!(end > start) || full <= 0) continue;
    const double inside = std::max(0.0, end - std::max(start, window_start));
    held += full * std::min(1.0, inside / (end - start));
  }
  return std::min(1.0, held / window);
}

Seconds background_overhead(const PlanTiming& timing, double background_slowdown) {
  const double s = background_slowdown * timing.background_share;
  return (timing.total - timing.blocking) * (s / (1 + s));
}

}  // namespace ckptlab
