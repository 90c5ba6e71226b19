// sync_full: the Megatron-LM / DeepSpeed default. Every `interval`, training stops; every rank
// copies its shards GPU -> host and writes them to shared storage; training resumes when the
// last write has finished. Recovery: every rank reloads the newest complete checkpoint.
// Source: Megatron-LM `save_checkpoint` (torch.save of each rank's shard, synchronous), and
// DeepSpeed's `save_checkpoint`, whose default is synchronous too.
//
// Parameters: interval ("30m" | daly | young; default daly) or interval_iterations,
//             tier (storage | local_disk; default storage).
#pragma once

#include "policies/dense_checkpoint.hpp"

namespace ckptlab {

class SyncFullPolicy final : public DenseCheckpointPolicy {
 public:
  SyncFullPolicy(const ConfigNode& node, const PolicyContext& context);
  std::string kind() const override { return "sync_full"; }
  std::string describe() const override;
};

}  // namespace ckptlab
