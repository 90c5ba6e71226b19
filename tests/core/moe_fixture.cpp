#include "core/moe_fixture.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"
#include "failure/restart_model.hpp"

namespace ckptlab::testing {

MoeJob::MoeJob(const std::string& model_name, std::int64_t nodes, std::int64_t ep, int zero_stage,
               double iteration_s, double mtbf_s, const std::string& tokens)
    : iteration_time{iteration_s}, job_mtbf_s(mtbf_s) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  model = load_model(ConfigNode::load_string(model_name, "test"));
  cluster.nodes = nodes;
  cluster.gpus_per_node = 8;
  parallel = decode_parallel(
      ConfigNode::load_string(fmt::format("{{ep: {}, zero_stage: {}, global_batch_tokens: {}}}", ep,
                                          zero_stage, tokens),
                              "test"),
      cluster, model);
  hardware = load_hardware(ConfigNode::load_string("h100-ib-ndr", "test"));
  shards = std::make_unique<ShardMap>(model, parallel, cluster);
  executor = std::make_unique<AnalyticExecutor>(cluster, hardware);
}

std::unique_ptr<Policy> MoeJob::policy(const std::string& yaml) {
  const PolicyContext ctx{model,     parallel,       cluster,    hardware,  *shards,
                          *executor, iteration_time, job_mtbf_s, Seconds{0}};
  return make_policy(ConfigNode::load_string(yaml, "policy.yaml"), ctx);
}

RestartSpec instant_restart() {
  RestartSpec r;
  r.spares = 0;
  return r;
}

JobSettings job_settings(Seconds iteration_time, double horizon_s, double slowdown) {
  JobSettings s;
  s.iteration_time = iteration_time;
  s.horizon = Seconds{horizon_s};
  s.background_slowdown = slowdown;
  return s;
}

double ettr(const JobResult& r) {
  return static_cast<double>(r.ledger.of(TimeCategory::kProductive)) / static_cast<double>(r.wall);
}

MocPecPolicy& as_moc(Policy& policy) { return dynamic_cast<MocPecPolicy&>(policy); }

JobResult run_with_exponential_failures(Policy& policy, Executor& executor,
                                        const ClusterSpec& cluster, const JobSettings& settings,
                                        double mtbf_s, std::uint64_t seed) {
  const FailureSpec spec = decode_failures(
      ConfigNode::load_string(fmt::format("{{model: exponential, mtbf_job: {}s}}", mtbf_s),
                              "failures.yaml"),
      cluster);
  auto failures = make_failure_process(spec, cluster, seed);
  SparePool spares(instant_restart());
  return run_job(policy, executor, *failures, spares, settings);
}

}  // namespace ckptlab::testing
