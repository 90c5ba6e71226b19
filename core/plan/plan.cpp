#include "plan/plan.hpp"

#include "util/input_error.hpp"

namespace ckptlab {

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::kGpu: return "gpu";
    case Tier::kHost: return "host";
    case Tier::kPeerHost: return "peer_host";
    case Tier::kLocalDisk: return "local_disk";
    case Tier::kStorage: return "storage";
  }
  return "?";
}

const char* op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::kSnapshot: return "snapshot";
    case OpKind::kReplicate: return "replicate";
    case OpKind::kPersist: return "persist";
    case OpKind::kLoad: return "load";
    case OpKind::kTransfer: return "transfer";
    case OpKind::kRecompute: return "recompute";
    case OpKind::kReplay: return "replay_from_log";
    case OpKind::kBarrier: return "barrier";
  }
  return "?";
}

Bytes Op::total_bytes() const {
  Bytes sum;
  for (Bytes b : rank_bytes) sum += b;
  return sum;
}

Bytes Plan::total_bytes() const {
  Bytes sum;
  for (const Op& op : ops) sum += op.total_bytes();
  return sum;
}

size_t Plan::add(Op op) {
  for (size_t dep : op.after) CKPTLAB_CHECK(dep < ops.size(), "an op may only wait on earlier ops");
  ops.push_back(std::move(op));
  return ops.size() - 1;
}

}  // namespace ckptlab
