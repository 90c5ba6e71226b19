// Fixtures for job state machine tests: an executor whose plan timings are set by the test
// (like LevelDB's in-memory Env, it makes durations exact), a scripted failure process, and a
// small real job context (GPT-MoE-125M-8E on one 8-GPU node).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/hardware_profile.hpp"
#include "cluster/parallel_config.hpp"
#include "cluster/shard_map.hpp"
#include "exec/executor.hpp"
#include "failure/failure_process.hpp"
#include "model/model_spec.hpp"
#include "policy/policy.hpp"
#include "util/config_node.hpp"

namespace ckptlab::testing {

// Times plans by signature prefix (the longest matching prefix wins): "full_checkpoint" ->
// (blocking, background), "full_load" -> (blocking, 0). Unknown signatures are a test bug.
class FixedTimingExecutor final : public Executor {
 public:
  void set(const std::string& signature_prefix, double blocking_s, double background_s) {
    timings_[signature_prefix] = {blocking_s, background_s};
  }
  PlanTiming execute(const Plan& plan) override;
  std::string backend_name() const override { return "fixed"; }
  std::string method() const override { return "test: fixed durations"; }

 private:
  std::map<std::string, std::pair<double, double>> timings_;
};

class ScriptedFailures final : public FailureProcess {
 public:
  explicit ScriptedFailures(std::vector<FailureEvent> events) : events_(std::move(events)) {}
  std::optional<FailureEvent> next() override {
    if (i_ >= events_.size()) return std::nullopt;
    return events_[i_++];
  }

 private:
  std::vector<FailureEvent> events_;
  size_t i_ = 0;
};

FailureEvent failure_at(double seconds, double detection_s = 0);

// A GPT-MoE-125M-8E job (default: one node, DP 8, EP 8) with the shipped H100 profile and the
// given iteration time; owns everything a PolicyContext refers to.
struct SmallJob {
  explicit SmallJob(double iteration_s, double job_mtbf_s = 1e18, double restart_s = 0,
                    std::int64_t nodes = 1,
                    const std::string& parallel_yaml = "{ep: 8, zero_stage: 1, global_batch_tokens: 1M}",
                    int nodes_per_rack = 32);
  std::unique_ptr<Policy> policy(const std::string& yaml);

  ModelSpec model;
  ClusterSpec cluster;
  ParallelConfig parallel;
  HardwareProfile hardware;
  std::unique_ptr<ShardMap> shards;
  FixedTimingExecutor executor;
  Seconds iteration_time;
  double job_mtbf_s;
  Seconds restart;
};

}  // namespace ckptlab::testing
