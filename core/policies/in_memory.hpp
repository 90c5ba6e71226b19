// in_memory: Gemini (Wang et al., "GEMINI: Fast Failure Recovery in Distributed Training with
// In-Memory Checkpoints", SOSP '23). Every rank snapshots its state GPU -> own host memory and
// the node sends copies to the host memory of `replicas` peer nodes; checkpoint traffic is
// interleaved with training traffic in the network's idle time, so a checkpoint can be taken as
// often as every iteration; a persist to shared storage runs rarely. Recovery: when every failed
// node's state survives in some peer's host memory, the replacement nodes fetch it from their
// peers and every rank restores that version from host memory; otherwise all ranks reload the
// newest persisted version from storage.
//
// Parameters: replicas (peer copies, default 1), placement (group | ring, default group),
// across_racks (place peers in other racks, default true), network_idle_fraction (share of an
// iteration's network time free for checkpoint traffic, default 0.5), interval_iterations
// (default: auto), persist_interval (duration, default 3h).
//
// Choices where the paper leaves room (or this session could not read it):
// - Group placement: nodes form groups of replicas + 1 and each stores every member's
//   checkpoint; with across_racks the members are a rack apart (node, node + nodes_per_rack,
//   ...), so a whole-rack failure never takes a group down. Ring: node i's copies go to
//   i + s, i + 2s, ... (s = nodes_per_rack with across_racks, else 1).
// - Each rank checkpoints what it holds (weights and its optimizer shard): that is what a
//   replacement needs without asking other data-parallel replicas.
// - "auto" interval: the smallest k with snapshot + replication / network_idle_fraction
//   <= k * t_iter, i.e. the checkpoint traffic fits in the idle network time of k iterations.
// - The host memory of a node must hold its own snapshot and the replicas it stores:
//   (1 + replicas) x its state, else the scenario is rejected with the numbers.
// - Training is slowed by hardware.background_slowdown times the share of the node's resources
//   the checkpoint traffic takes while it runs, as for every background policy
//   (exec/node_capacity.hpp; Gemini reports little interference; this is conservative).
#pragma once

#include <vector>

#include "policy/policy.hpp"

namespace ckptlab {

class InMemoryPolicy final : public Policy {
 public:
  InMemoryPolicy(const ConfigNode& node, const PolicyContext& context);

  std::string kind() const override { return "in_memory"; }
  const Plan* checkpoint_plan(std::int64_t iteration) override;
  Tier durable_tier() const override { return Tier::kPeerHost; }
  RecoveryPlan plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                             std::int64_t iteration) override;
  Bytes checkpoint_bytes() const override { return bytes_; }
  std::int64_t interval_iterations() const override { return interval_; }
  std::string describe() const override;
  std::map<std::string, std::string> sources() const override;

  // Nodes whose host memory holds a copy of `node`'s checkpoint (excluding the node itself).
  std::vector<std::int64_t> replica_holders(std::int64_t node) const;
  // Whether every failed node's checkpoint survives on some peer that did not fail.
  bool survives_in_memory(const std::vector<std::int64_t>& failed_nodes) const;

 private:
  const Plan& peer_recovery_plan(const std::vector<std::int64_t>& failed_nodes);

  const ShardMap& shards_;
  ClusterSpec cluster_;
  int replicas_ = 1;
  bool group_placement_ = true;
  std::int64_t stride_ = 1;
  double idle_fraction_ = 0.5;
  std::int64_t interval_ = 1;
  std::int64_t persist_every_ = 1;
  std::vector<Bytes> rank_bytes_;
  Bytes bytes_;
  Plan checkpoint_;
  Plan checkpoint_and_persist_;
  Plan storage_load_;
  Plan peer_load_;  // the last recovery's plan (valid until the next plan_recovery)
  Seconds snapshot_time_;
  Seconds replicate_time_;
  std::string interval_source_;
};

}  // namespace ckptlab
