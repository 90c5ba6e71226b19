// A Policy is a checkpoint/recovery strategy (DESIGN.md §3-§4): at iteration boundaries it may
// issue a checkpoint Plan; after a failure it says which version to restore and how to load it.
// Policies hold no clock: the job state machine (job/job_run) drives them, and the Catalog says
// which versions are complete.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "cluster/parallel_config.hpp"
#include "cluster/shard_map.hpp"
#include "exec/executor.hpp"
#include "failure/failure_event.hpp"
#include "model/model_spec.hpp"
#include "plan/plan.hpp"
#include "policy/catalog.hpp"
#include "util/config_node.hpp"

namespace ckptlab {

// What a policy may know when it is built: the job's shape and its expected costs.
struct PolicyContext {
  const ModelSpec& model;
  const ParallelConfig& parallel;
  const ClusterSpec& cluster;
  const HardwareProfile& hardware;
  const ShardMap& shards;
  Executor& executor;         // to cost candidate plans (e.g. for Daly's interval)
  Seconds iteration_time;
  double job_mtbf_s;          // expected job MTBF of the failure model (inf: no failures)
  Seconds expected_restart;   // mean detection + restart, without state load
};

struct RecoveryPlan {
  std::int64_t restore_iteration = 0;  // every rank rolls back to this version
  const Plan* load = nullptr;          // how the state is loaded (blocking)
  Tier source = Tier::kStorage;
};

class Policy {
 public:
  virtual ~Policy() = default;

  // The policy's kind, e.g. "sync_full".
  virtual std::string kind() const = 0;
  // The checkpoint to start now that `iteration` iterations are complete, or nullptr. The
  // plan's blocking ops stall training; its other ops run beside training. The version counts
  // (Catalog::complete on durable_tier()) only when every op has finished.
  virtual const Plan* checkpoint_plan(std::int64_t iteration) = 0;
  virtual Tier durable_tier() const = 0;
  // Recovery after `failure`. REQUIRES: the returned iteration is complete in `catalog`
  // (never a partially written version).
  virtual RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog) = 0;

  // Size of one checkpoint (all ranks together).
  virtual Bytes checkpoint_bytes() const = 0;
  // Iterations between checkpoint starts.
  virtual std::int64_t interval_iterations() const = 0;
  // One line with the resolved parameters ("every 412 iterations (30.0 min, Daly)").
  virtual std::string describe() const = 0;
  // Where the policy's own numbers come from (interval rule, formula), for summary.json.
  virtual std::map<std::string, std::string> sources() const = 0;
};

// Builds the policy named by `node["name"]` (sync_full, async_two_level), decoding and
// validating its parameters (InputError on unknown names, keys or values).
std::unique_ptr<Policy> make_policy(const ConfigNode& node, const PolicyContext& context);

}  // namespace ckptlab
