// Fixtures for MoE policy tests: a real job context for any catalog MoE model on a few nodes,
// timed by the analytic executor (so plan timings follow from bytes), and helpers to run a job
// against scripted or random failures.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/hardware_profile.hpp"
#include "cluster/parallel_config.hpp"
#include "cluster/shard_map.hpp"
#include "exec/analytic_executor.hpp"
#include "job/job_run.hpp"
#include "model/model_spec.hpp"
#include "policies/moc_pec.hpp"
#include "policy/policy.hpp"

namespace ckptlab::testing {

// `nodes` x 8 H100 (shipped profile), TP = PP = 1, DP = all GPUs, the given EP and ZeRO stage,
// `tokens` per iteration, a fixed iteration time.
struct MoeJob {
  MoeJob(const std::string& model_name, std::int64_t nodes, std::int64_t ep, int zero_stage,
         double iteration_s, double job_mtbf_s = 1e18, const std::string& tokens = "1M");
  std::unique_ptr<Policy> policy(const std::string& yaml);

  ModelSpec model;
  ClusterSpec cluster;
  ParallelConfig parallel;
  HardwareProfile hardware;
  std::unique_ptr<ShardMap> shards;
  std::unique_ptr<AnalyticExecutor> executor;
  Seconds iteration_time;
  double job_mtbf_s;
};

// Restarts that take no time (no spares, zero waits), so scripted cases stay hand-computable.
RestartSpec instant_restart();
JobSettings job_settings(Seconds iteration_time, double horizon_s, double slowdown = 0);
double ettr(const JobResult& r);
// The policy as MoC-System's, for its introspection. REQUIRES: kind() == "moc_pec".
MocPecPolicy& as_moc(Policy& policy);
// Runs `policy` to the horizon against an exponential failure process of job MTBF `mtbf_s`
// (seeded), with instant restarts.
JobResult run_with_exponential_failures(Policy& policy, Executor& executor,
                                        const ClusterSpec& cluster, const JobSettings& settings,
                                        double mtbf_s, std::uint64_t seed);

}  // namespace ckptlab::testing
