// Common machinery of the policies that checkpoint the whole training state to one durable
// tier and restore every rank from it: sync_full (Megatron/DeepSpeed) and async_two_level
// (CheckFreq). They differ in whether the persist blocks training and how the interval is set.
#pragma once

#include "policies/full_state.hpp"
#include "policy/checkpoint_interval.hpp"
#include "policy/policy.hpp"

namespace ckptlab {

class DenseCheckpointPolicy : public Policy {
 public:
  const Plan* checkpoint_plan(std::int64_t iteration) override;
  Tier durable_tier() const override { return tier_; }
  RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                             std::int64_t iteration) override;
  Bytes checkpoint_bytes() const override { return bytes_; }
  std::int64_t interval_iterations() const override { return interval_.iterations; }
  std::map<std::string, std::string> sources() const override;

  // Overhead one checkpoint adds to training, as Young/Daly's delta: the blocking part plus the
  // slow-down the background part causes.
  Seconds overhead_per_checkpoint() const { return overhead_; }
  const Plan& plan() const { return checkpoint_; }

 protected:
  // Builds the plans; `persist_blocking` false makes the persist run beside training.
  DenseCheckpointPolicy(const ConfigNode& node, const PolicyContext& context,
                        bool persist_blocking);
  // Decodes the interval keys once the checkpoint's overhead is known.
  void set_interval(IntervalChoice choice) { interval_ = std::move(choice); }

  Tier tier_ = Tier::kStorage;
  Plan checkpoint_;
  Plan load_;
  Bytes bytes_;
  Seconds overhead_;
  double background_share_ = 0;  // PlanTiming::background_share of the checkpoint
  Seconds blocking_;
  Seconds background_;
  IntervalChoice interval_;
  std::string executor_method_;
};

}  // namespace ckptlab
