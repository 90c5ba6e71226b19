#include "policies/full_state.hpp"

namespace ckptlab {

std::vector<Bytes> full_checkpoint_bytes(const ShardMap& shards, int zero_stage, std::int64_t ep) {
  std::vector<Bytes> writes;
  writes.reserve(shards.ranks().size());
  for (const RankShard& r : shards.ranks()) {
    const bool first_dense_replica = r.dp_index == 0;
    const bool first_expert_replica = r.dp_index / ep == 0;
    Bytes b;
    const bool weights_sharded = zero_stage >= 3;
    const bool optimizer_sharded = zero_stage >= 1;
    if (weights_sharded || first_dense_replica) b += r.dense.weights;
    if (weights_sharded || first_expert_replica) b += r.expert.weights;
    if (optimizer_sharded || first_dense_replica) b += r.dense.master + r.dense.optimizer;
    if (optimizer_sharded || first_expert_replica) b += r.expert.master + r.expert.optimizer;
    writes.push_back(b);
  }
  return writes;
}

std::vector<Bytes> full_load_bytes(const ShardMap& shards) {
  std::vector<Bytes> loads;
  loads.reserve(shards.ranks().size());
  for (const RankShard& r : shards.ranks()) loads.push_back(r.total().total());
  return loads;
}

Plan full_checkpoint_plan(const std::vector<Bytes>& writes, Tier to, bool persist_blocking,
                          const std::string& signature) {
  Plan plan;
  plan.signature = signature;
  Op snapshot;
  snapshot.kind = OpKind::kSnapshot;
  snapshot.from = Tier::kGpu;
  snapshot.to = Tier::kHost;
  snapshot.rank_bytes = writes;
  snapshot.blocking = true;
  snapshot.label = "snapshot GPU -> host";
  const size_t s = plan.add(std::move(snapshot));
  Op persist;
  persist.kind = OpKind::kPersist;
  persist.from = Tier::kHost;
  persist.to = to;
  persist.rank_bytes = writes;
  persist.after = {s};
  persist.blocking = persist_blocking;
  persist.label = std::string("persist host -> ") + tier_name(to);
  plan.add(std::move(persist));
  return plan;
}

Plan full_load_plan(const std::vector<Bytes>& loads, Tier from, const std::string& signature) {
  Plan plan;
  plan.signature = signature;
  Op load;
  load.kind = OpKind::kLoad;
  load.from = from;
  load.to = Tier::kGpu;
  load.rank_bytes = loads;
  load.blocking = true;
  load.label = std::string("load ") + tier_name(from) + " -> GPU";
  plan.add(std::move(load));
  return plan;
}

}  // namespace ckptlab
