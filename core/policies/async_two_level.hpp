// async_two_level: CheckFreq (Mohan, Phanishayee, Chidambaram, FAST '21). A checkpoint is a
// blocking snapshot of the state GPU -> host memory, then a persist host -> storage in the
// background while training continues (slowed by hardware.background_slowdown times
// the persist's share of the node's resources, exec/node_capacity.hpp). A version
// counts only once persisted. A new snapshot waits until the previous persist has finished
// (CheckFreq keeps one checkpoint in flight). Recovery: every rank reloads the newest persisted
// version from storage.
//
// Parameters: interval ("30m" | daly | young | checkfreq; default checkfreq) or
//             interval_iterations; overhead_bound (checkfreq rule, default 0.035);
//             tier (storage | local_disk).
// Choices where the paper leaves room: the `checkfreq` rule picks the smallest interval k
// (iterations) whose overhead per iteration, (stall + slowdown * share * persist) / (k * t_iter), is at
// most overhead_bound (CheckFreq's profile-guided frequency targets <= 3.5%), and at least the
// persist time so persists never queue. CheckFreq also pipelines the snapshot with the next
// iteration's forward/backward pass; here the snapshot blocks (conservative, stated in output).
#pragma once

#include "policies/dense_checkpoint.hpp"

namespace ckptlab {

class AsyncTwoLevelPolicy final : public DenseCheckpointPolicy {
 public:
  AsyncTwoLevelPolicy(const ConfigNode& node, const PolicyContext& context);
  std::string kind() const override { return "async_two_level"; }
  std::string describe() const override;
};

}  // namespace ckptlab
