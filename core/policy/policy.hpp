// A Policy is a checkpoint/recovery strategy (DESIGN.md §3-§4): at iteration boundaries it may
// issue a checkpoint Plan; after a failure it says which version to restore and how to load it.
// Policies hold no clock: the job state machine (job/job_run) drives them, and the Catalog says
// which versions are complete.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  // Every rank that rolls back returns to this version. With `localized`, the job's progress
  // is not rolled back at all: the failed ranks restore `restore_iteration` and recompute up to
  // the failure point from logs while the others pause; that time is `replay`.
  std::int64_t restore_iteration = 0;
  const Plan* load = nullptr;  // how the state is loaded (blocking); nullptr: nothing to load
  Tier source = Tier::kStorage;
  bool localized = false;
  Seconds replay;  // charged to `replay` after the load (log replay, sparse-to-dense conversion)
  // The load restores some state from copies older than restore_iteration, and training goes on
  // from them: the updates since those copies are lost, not replayed (MoC-System's partial
  // checkpoints). Executors that hold real state check each part against its copy's version.
  bool lossy = false;
  std::string detail;  // one line for the timeline ("2 of 16 experts from version 400", ...)
};

class Policy {
 public:
  virtual ~Policy() = default;

  // The policy's kind, e.g. "sync_full".
  virtual std::string kind() const = 0;
  // The checkpoint to start now that `iteration` iterations are complete, or nullptr. The
  // plan's blocking ops stall training; its other ops run beside training. Each op that writes
  // a tier (snapshot -> host, replicate -> peer host, persist -> disk/storage) makes the version
  // complete on that tier when it ends (Catalog::complete, then on_tier_complete); a failure
  // before then aborts it, and the previous version stays in force.
  virtual const Plan* checkpoint_plan(std::int64_t iteration) = 0;
  // The tier on which a version counts as checkpointed (it is not written again after a
  // rollback to it); version 0, the initial state, is complete there and on storage.
  virtual Tier durable_tier() const = 0;
  // Recovery after `failure`, which struck when `iteration` iterations were complete.
  // REQUIRES: the returned version is complete in `catalog` on `source` (never a partially
  // written version), and not after `iteration`.
  virtual RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                                     std::int64_t iteration) = 0;
  // A version finished on a tier (for policies that track what each version holds).
  virtual void on_tier_complete(std::int64_t /*version*/, Tier /*tier*/) {}
  // The recovery last planned has finished and training resumes. (A failure during a recovery
  // calls plan_recovery again without this in between.)
  virtual void on_recovered() {}
  // The share of token-to-expert assignments whose updates were lost to recoveries so far
  // (MoC-System's PLT); 0 for policies that restore every update.
  virtual double lost_tokens_fraction() const { return 0; }

  // Representative plans for `ckptlab run --explain`: (what, plan) pairs. The default lists the
  // checkpoint plan at the first interval and the recovery from the newest checkpoint after a
  // failure of node 0.
  virtual std::vector<std::pair<std::string, const Plan*>> explain_plans();

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
