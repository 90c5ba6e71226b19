#include "policies/dense_checkpoint.hpp"

#include <fmt/format.h>

#include "exec/node_capacity.hpp"

namespace ckptlab {

namespace {
Tier decode_tier(const ConfigNode& node) {
  auto t = node.find("tier");
  if (!t) return Tier::kStorage;
  const std::string name = t->as_string();
  if (name == "storage") return Tier::kStorage;
  if (name == "local_disk") return Tier::kLocalDisk;
  t->fail(fmt::format("unknown tier \"{}\"; expected storage or local_disk", name));
}
}  // namespace

DenseCheckpointPolicy::DenseCheckpointPolicy(const ConfigNode& node, const PolicyContext& ctx,
                                             bool persist_blocking)
    : tier_(decode_tier(node)), executor_method_(ctx.executor.method()) {
  const auto writes = full_checkpoint_bytes(ctx.shards, ctx.parallel.zero_stage, ctx.parallel.ep);
  const std::string tag = fmt::format("{}:{}", persist_blocking ? "blocking" : "async",
                                      tier_name(tier_));
  checkpoint_ = full_checkpoint_plan(writes, tier_, persist_blocking, "full_checkpoint:" + tag);
  load_ = full_load_plan(full_load_bytes(ctx.shards), tier_,
                         std::string("full_load:") + tier_name(tier_));
  bytes_ = checkpoint_.ops.front().total_bytes();
  const PlanTiming timing = ctx.executor.execute(checkpoint_);
  blocking_ = timing.blocking;
  background_ = timing.total - timing.blocking;
  background_share_ = timing.background_share;
  overhead_ = blocking_ + background_overhead(timing, ctx.hardware.background_slowdown);
}

const Plan* DenseCheckpointPolicy::checkpoint_plan(std::int64_t iteration) {
  if (iteration == 0 || iteration % interval_.iterations != 0) return nullptr;
  return &checkpoint_;
}

RecoveryPlan DenseCheckpointPolicy::plan_recovery(const FailureEvent&, const Catalog& catalog,
                                                  std::int64_t) {
  RecoveryPlan r;
  r.restore_iteration = catalog.newest_complete(tier_).value_or(0);
  r.load = &load_;
  r.source = tier_;
  return r;
}

std::map<std::string, std::string> DenseCheckpointPolicy::sources() const {
  return {
      {"checkpoint_bytes",
       "ShardMap: unique training state (bf16 weights + fp32 master + Adam), written once per "
       "shard (Megatron layout)"},
      {"checkpoint_interval", fmt::format("{}: {}", interval_.rule, interval_.source)},
      {"checkpoint_time",
       fmt::format("executor ({}); blocking {:.3f} s, background {:.3f} s taking {:.1f}% of a "
                   "node's resources",
                   executor_method_, blocking_.value, background_.value, background_share_ * 100)},
  };
}

}  // namespace ckptlab
