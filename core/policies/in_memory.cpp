#include "policies/in_memory.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "policies/full_state.hpp"

namespace ckptlab {

InMemoryPolicy::InMemoryPolicy(const ConfigNode& node, const PolicyContext& ctx)
    : shards_(ctx.shards), cluster_(ctx.cluster) {
  node.expect_keys({"name", "label", "replicas", "placement", "across_racks",
                    "network_idle_fraction", "interval_iterations", "persist_interval"});
  if (auto n = node.find("replicas")) {
    replicas_ = static_cast<int>(n->as_positive_int());
    if (replicas_ >= cluster_.nodes) {
      n->fail(fmt::format("{} replicas need at least {} nodes; the cluster has {}", replicas_,
                          replicas_ + 1, cluster_.nodes));
    }
  }
  if (auto n = node.find("placement")) {
    const std::string p = n->as_string();
    if (p != "group" && p != "ring") n->fail("expected group or ring");
    group_placement_ = p == "group";
  }
  const bool across = node.bool_or("across_racks", true);
  stride_ = across && cluster_.nodes >= static_cast<std::int64_t>(replicas_ + 1) *
                                            cluster_.nodes_per_rack
                ? cluster_.nodes_per_rack
                : 1;
  if (auto n = node.find("network_idle_fraction")) {
    idle_fraction_ = n->as_fraction();
    if (idle_fraction_ <= 0) n->fail("the idle fraction must be above 0");
  }

  // Every rank snapshots what it holds; a node sends its ranks' snapshots to each holder.
  rank_bytes_ = full_load_bytes(ctx.shards);
  Bytes largest_node;
  {
    std::vector<Bytes> per_node(static_cast<size_t>(cluster_.nodes));
    for (size_t r = 0; r < rank_bytes_.size(); ++r) {
      per_node[r / static_cast<size_t>(cluster_.gpus_per_node)] += rank_bytes_[r];
    }
    for (Bytes b : per_node) largest_node = std::max(largest_node, b);
  }
  const Bytes host_needed = largest_node * (replicas_ + 1);
  if (host_needed > ctx.hardware.host_memory) {
    node.fail(fmt::format("a node's snapshot ({}) plus {} replicas of its peers need {} of host "
                          "memory; the hardware has {}",
                          format_size(largest_node), replicas_, format_size(host_needed),
                          format_size(ctx.hardware.host_memory)));
  }
  for (Bytes b : rank_bytes_) bytes_ += b;

  const auto build = [&](bool persist, const std::string& signature) {
    Plan plan;
    plan.signature = signature;
    Op snapshot{OpKind::kSnapshot, Tier::kGpu, Tier::kHost, rank_bytes_, {}, {}, false,
                "snapshot GPU -> own host memory"};
    const size_t s = plan.add(snapshot);
    // One replicate op per copy: each moves every node's state to one more peer.
    size_t last = s;
    for (int k = 0; k < replicas_; ++k) {
      Op replicate{OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, rank_bytes_, {}, {last},
                   false, fmt::format("replicate host -> peer host (copy {})", k + 1)};
      last = plan.add(replicate);
    }
    if (persist) {
      Op to_storage{OpKind::kPersist, Tier::kHost, Tier::kStorage,
                    full_checkpoint_bytes(ctx.shards, ctx.parallel.zero_stage, ctx.parallel.ep),
                    {}, {s}, false, "persist host -> storage"};
      plan.add(to_storage);
    }
    return plan;
  };
  checkpoint_ = build(false, fmt::format("in_memory:checkpoint:r{}", replicas_));
  checkpoint_and_persist_ = build(true, fmt::format("in_memory:checkpoint+persist:r{}", replicas_));
  storage_load_ = full_load_plan(rank_bytes_, Tier::kStorage, "full_load:storage");

  const PlanTiming t = ctx.executor.execute(checkpoint_);
  snapshot_time_ = t.op_end.front();
  replicate_time_ = t.total - snapshot_time_;
  if (auto n = node.find("interval_iterations")) {
    interval_ = n->as_positive_int();
    interval_source_ = "scenario: interval_iterations";
  } else {
    const double needed = snapshot_time_.value + replicate_time_.value / idle_fraction_;
    interval_ = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(needed / ctx.iteration_time.value)));
    interval_source_ = fmt::format(
        "Gemini rule: smallest k with snapshot + replication / idle fraction <= k t_iter: "
        "{:.3f} s + {:.3f} s / {} <= k * {:.3f} s (executor times; idle fraction {})",
        snapshot_time_.value, replicate_time_.value, idle_fraction_, ctx.iteration_time.value,
        node.has("network_idle_fraction") ? "from the scenario" : "assumed");
  }
  const Seconds persist = node.duration_or("persist_interval", Seconds{3 * 3600.0});
  if (persist.value <= 0) node["persist_interval"].fail("must be positive");
  const double every = std::round(persist.value / ctx.iteration_time.value / interval_);
  persist_every_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(every)) * interval_;
}

const Plan* InMemoryPolicy::checkpoint_plan(std::int64_t iteration) {
  if (iteration == 0 || iteration % interval_ != 0) return nullptr;
  return iteration % persist_every_ == 0 ? &checkpoint_and_persist_ : &checkpoint_;
}

std::vector<std::int64_t> InMemoryPolicy::replica_holders(std::int64_t node) const {
  const std::int64_t n = cluster_.nodes, m = replicas_ + 1, s = stride_;
  std::vector<std::int64_t> holders;
  const std::int64_t block = m * s;
  const std::int64_t base = (node / block) * block;
  if (group_placement_ && base + block <= n) {
    const std::int64_t offset = node % s;
    for (std::int64_t j = 0; j < m; ++j) {
      const std::int64_t member = base + j * s + offset;
      if (member != node) holders.push_back(member);
    }
    return holders;
  }
  // Ring placement (and the nodes of a last, partial group).
  for (std::int64_t j = 1; j <= replicas_; ++j) holders.push_back((node + j * s) % n);
  return holders;
}

bool InMemoryPolicy::survives_in_memory(const std::vector<std::int64_t>& failed) const {
  for (std::int64_t f : failed) {
    const auto holders = replica_holders(f);
    const bool any_alive = std::any_of(holders.begin(), holders.end(), [&](std::int64_t h) {
      return !std::binary_search(failed.begin(), failed.end(), h);
    });
    if (!any_alive) return false;
  }
  return true;
}

const Plan& InMemoryPolicy::peer_recovery_plan(const std::vector<std::int64_t>& failed) {
  // Replacement nodes fetch their ranks' state from a surviving holder; then every rank copies
  // the restored version host -> GPU. Built per failure (which ranks fetch depends on which
  // nodes failed); the signature names the nodes so executors memoize it correctly.
  std::vector<Bytes> fetch(rank_bytes_.size());
  for (size_t r = 0; r < rank_bytes_.size(); ++r) {
    const std::int64_t node = static_cast<std::int64_t>(r) / cluster_.gpus_per_node;
    if (std::binary_search(failed.begin(), failed.end(), node)) fetch[r] = rank_bytes_[r];
  }
  Plan plan;
  plan.signature = fmt::format("in_memory:peer_load:nodes={}", fmt::join(failed, ","));
  const size_t t = plan.add(Op{OpKind::kTransfer, Tier::kPeerHost, Tier::kHost, fetch, {}, {},
                               true, "replacement nodes fetch state from peer host memory"});
  plan.add(Op{OpKind::kLoad, Tier::kHost, Tier::kGpu, rank_bytes_, {}, {t}, true,
              "load host -> GPU on every rank"});
  peer_load_ = std::move(plan);
  return peer_load_;
}

RecoveryPlan InMemoryPolicy::plan_recovery(const FailureEvent& failure, const Catalog& catalog,
                                           std::int64_t) {
  RecoveryPlan r;
  const auto in_memory = catalog.newest_complete(Tier::kPeerHost);
  if (in_memory && survives_in_memory(failure.nodes)) {
    r.restore_iteration = *in_memory;
    r.source = Tier::kPeerHost;
    r.load = &peer_recovery_plan(failure.nodes);
    r.detail = "from peer host memory";
    return r;
  }
  r.restore_iteration = catalog.newest_complete(Tier::kStorage).value_or(0);
  r.source = Tier::kStorage;
  r.load = &storage_load_;
  r.detail = "every replica lost: from storage";
  return r;
}

std::string InMemoryPolicy::describe() const {
  return fmt::format(
      "snapshot + {} {} replica(s) in peer host memory every {} iteration(s) ({:.3f} s snapshot, "
      "{:.3f} s replication), persist every {} iterations",
      replicas_, group_placement_ ? "group" : "ring", interval_, snapshot_time_.value,
      replicate_time_.value, persist_every_);
}

std::map<std::string, std::string> InMemoryPolicy::sources() const {
  return {
      {"checkpoint_bytes", "ShardMap: the state every rank holds (weights + optimizer shard)"},
      {"checkpoint_interval", interval_source_},
      {"placement", fmt::format("{} placement, peers {} node(s) apart", group_placement_ ? "group" : "ring",
                                stride_)},
  };
}

}  // namespace ckptlab
