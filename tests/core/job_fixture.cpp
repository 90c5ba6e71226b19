#include "core/job_fixture.hpp"

#include <cstdlib>
#include <stdexcept>

namespace ckptlab::testing {

PlanTiming FixedTimingExecutor::execute(const Plan& plan) {
  // The longest matching prefix wins ("in_memory:peer_load" over "in_memory").
  const std::pair<const std::string, std::pair<double, double>>* best = nullptr;
  for (const auto& entry : timings_) {
    if (plan.signature.rfind(entry.first, 0) == 0 &&
        (!best || entry.first.size() > best->first.size())) {
      best = &entry;
    }
  }
  if (!best) throw std::logic_error("FixedTimingExecutor: no timing set for plan " + plan.signature);
  const auto [blocking, background] = best->second;
  PlanTiming timing;
  timing.op_start.assign(plan.ops.size(), Seconds{0});
  timing.op_end.assign(plan.ops.size(), Seconds{blocking + background});
  timing.blocking = Seconds{blocking};
  timing.total = Seconds{blocking + background};
  return timing;
}

FailureEvent failure_at(double seconds, double detection_s) {
  FailureEvent f;
  f.time = to_nanos(Seconds{seconds});
  f.nodes = {0};
  f.kind = "gpu";
  f.detection = Seconds{detection_s};
  return f;
}

SmallJob::SmallJob(double iteration_s, double mtbf_s, double restart_s, std::int64_t nodes,
                   const std::string& parallel_yaml, int nodes_per_rack)
    : iteration_time{iteration_s}, job_mtbf_s(mtbf_s), restart{restart_s} {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  model = load_model(ConfigNode::load_string("gpt-moe-125m-8e", "test"));
  cluster.nodes = nodes;
  cluster.gpus_per_node = 8;
  cluster.nodes_per_rack = nodes_per_rack;
  parallel = decode_parallel(ConfigNode::load_string(parallel_yaml, "test"), cluster, model);
  hardware = load_hardware(ConfigNode::load_string("h100-ib-ndr", "test"));
  shards = std::make_unique<ShardMap>(model, parallel, cluster);
  executor.set("full_checkpoint", 0, 0);
  executor.set("full_load", 0, 0);
  executor.set("in_memory", 0, 0);
  executor.set("moetion", 0, 0);
}

std::unique_ptr<Policy> SmallJob::policy(const std::string& yaml) {
  const PolicyContext ctx{model,          parallel,   cluster, hardware, *shards, executor,
                          iteration_time, job_mtbf_s, restart};
  return make_policy(ConfigNode::load_string(yaml, "policy.yaml"), ctx);
}

}  // namespace ckptlab::testing
