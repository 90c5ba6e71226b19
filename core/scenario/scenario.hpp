// A scenario: the model, how it is parallelised, the cluster and its hardware, how it fails,
// how it restarts, the policies to compare and for how long (DESIGN.md §6; schema in
// docs/scenario.md). Loading validates everything that can be checked without running, so a
// bad scenario fails before any result is written.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "cluster/parallel_config.hpp"
#include "cluster/shard_map.hpp"
#include "failure/failure_spec.hpp"
#include "failure/restart_model.hpp"
#include "model/model_spec.hpp"
#include "util/config_node.hpp"

namespace ckptlab {

struct PolicyEntry {
  ConfigNode node;    // the policy's mapping: name + parameters (decoded by make_policy)
  std::string label;  // `label:` or the name; unique within the scenario
};

struct Scenario {
  std::string name;
  std::string file;
  std::uint64_t seed = 1;
  std::size_t replications = 1;  // independent runs pooled with confidence intervals
  // `limits: {max_events: N}`: simulation steps (iterations, checkpoints, failures) one policy
  // may take in one replication before it stops early at the time it reached (JobSettings).
  std::uint64_t max_events = 50'000'000;
  std::string backend = "analytic";
  ModelSpec model;
  ClusterSpec cluster;
  ParallelConfig parallel;
  HardwareProfile hardware;
  FailureSpec failures;
  RestartSpec restart;
  std::vector<PolicyEntry> policies;
  Seconds horizon;
  std::unique_ptr<ShardMap> shards;  // built from model, parallel and cluster

  Seconds iteration_time;           // from the hardware profile or the FLOPs formula
  std::string iteration_time_source;
  std::string canonical_yaml;       // the document after --set overrides, for hashing
  std::string hash;                 // 16 hex digits of XXH3-64 of canonical_yaml

  Scenario() = default;
  Scenario(Scenario&&) noexcept = default;
  Scenario& operator=(Scenario&&) noexcept = default;
};

// Loads and validates a scenario file. `overrides` are "key.path=value" strings applied to the
// document before decoding (--set). Throws InputError (file, line, column, key) on any problem,
// including physically impossible set-ups (model state that does not fit GPU memory, parallel
// degrees that do not divide the cluster).
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace ckptlab
