#include "core/job_fixture.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ckptlab::testing {

PlanTiming FixedTimingExecutor::execute(const Plan& plan) {
  for (const auto& [prefix, t] : timings_) {
    if (plan.signature.rfind(prefix, 0) == 0) {
      PlanTiming timing;
      timing.op_start.assign(plan.ops.size(), Seconds{0});
      timing.op_end.assign(plan.ops.size(), Seconds{t.first + t.second});
      timing.blocking = Seconds{t.first};
      timing.total = Seconds{t.first + t.second};
      return timing;
    }
  }
  throw std::logic_error("FixedTimingExecutor: no timing set for plan " + plan.signature);
}

FailureEvent failure_at(double seconds, double detection_s) {
  FailureEvent f;
  f.time = to_nanos(Seconds{seconds});
  f.nodes = {0};
  f.kind = "gpu";
  f.detection = Seconds{detection_s};
  return f;
}

SmallJob::SmallJob(double iteration_s, double mtbf_s, double restart_s)
    : iteration_time{iteration_s}, job_mtbf_s(mtbf_s), restart{restart_s} {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  model = load_model(ConfigNode::load_string("gpt-moe-125m-8e", "test"));
  cluster.nodes = 1;
  cluster.gpus_per_node = 8;
  parallel = decode_parallel(
      ConfigNode::load_string("{ep: 8, zero_stage: 1, global_batch_tokens: 1M}", "test"), cluster,
      model);
  hardware = load_hardware(ConfigNode::load_string("h100-ib-ndr", "test"));
  shards = std::make_unique<ShardMap>(model, parallel, cluster);
  executor.set("full_checkpoint", 0, 0);
  executor.set("full_load", 0, 0);
}

std::unique_ptr<Policy> SmallJob::policy(const std::string& yaml) {
  const PolicyContext ctx{model,          parallel,   cluster, hardware, *shards, executor,
                          iteration_time, job_mtbf_s, restart};
  return make_policy(ConfigNode::load_string(yaml, "policy.yaml"), ctx);
}

}  // namespace ckptlab::testing
