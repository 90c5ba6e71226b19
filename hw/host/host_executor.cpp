#include "hw/host/host_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "util/input_error.hpp"

namespace ckptlab::hw {

namespace {

bool writes_tier(OpKind k) {
  return k == OpKind::kSnapshot || k == OpKind::kReplicate || k == OpKind::kPersist;
}

}  // namespace

HostExecutor::HostExecutor(TrainerState& state, HostExecutorOptions options)
    : state_(state),
      options_(std::move(options)),
      slots_(static_cast<size_t>(state.world())),
      peer_offset_(state.layout().peer_offset()) {
  if (options_.storage_dir.empty()) throw std::invalid_argument("HostExecutor needs a storage_dir");
  if (options_.keep_versions < 2) throw std::invalid_argument("keep_versions must be >= 2");
  if (options_.local_disk_dir.empty())
    options_.local_disk_dir = options_.storage_dir.string() + "-local";
  storage_ = std::make_unique<CheckpointStore>(options_.storage_dir);
  local_disk_ = std::make_unique<CheckpointStore>(options_.local_disk_dir);
  link_mu_ = std::make_unique<std::mutex[]>(static_cast<size_t>(state.world()));
  to_next_.resize(slots_.size());
  from_prev_.resize(slots_.size());
  for (int r = 0; r < state_.world(); ++r) reset_link(r);
}

HostExecutor::~HostExecutor() {
  if (runner_) runner_->wait_all();
}

std::string HostExecutor::method() const {
  return "measured on the host: memcpy into page-locked host slots (snapshot), loopback TCP to "
         "the next rank with XXH3 framing (replicate), XXH3 shard files with temp + fsync + "
         "rename (persist), read + verify (load); steady-clock op times";
}

std::size_t HostExecutor::shards_covering(int rank, Bytes bytes) const {
  const RankLayout& l = state_.layout().ranks.at(static_cast<size_t>(rank));
  std::int64_t sum = 0;
  std::size_t n = 0;
  while (n < l.shards.size() && sum < bytes.value) sum += l.shards[n++].bytes;
  return n;
}

std::int64_t HostExecutor::bytes_of(int rank, std::size_t shards) const {
  const RankLayout& l = state_.layout().ranks.at(static_cast<size_t>(rank));
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < shards; ++i) sum += l.shards[i].bytes;
  return sum;
}

std::size_t HostExecutor::Slot::leading() const {
  std::size_t n = 0;
  while (n < shard_version.size() && shard_version[n] >= 0) ++n;
  return n;
}

bool HostExecutor::Slot::holds_all() const {
  return !shard_version.empty() && leading() == shard_version.size();
}

void HostExecutor::Slot::clear() {
  version.reset();
  std::fill(shard_version.begin(), shard_version.end(), -1);
}

void HostExecutor::Slot::take_leading(const Slot& from, std::size_t n, std::int64_t v) {
  clear();
  std::copy_n(from.shard_version.begin(), n, shard_version.begin());
  version = v;
}

std::size_t HostExecutor::older_slot(const SlotPair& pair) {
  if (!pair[0].version) return 0;
  if (!pair[1].version) return 1;
  return *pair[0].version < *pair[1].version ? 0 : 1;
}

std::size_t HostExecutor::building_slot(SlotPair& pair, bool fresh) {
  const std::size_t pick = older_slot(pair);
  if (pair[pick].version || fresh) pair[pick].clear();
  return pick;
}

void HostExecutor::allocate(Slot& slot, int rank) {
  const RankState& rs = state_.rank(rank);
  if (slot.buffer.size() == 0) slot.buffer = HostBuffer(rs.bytes().size(), options_.lock_buffers);
  if (slot.shard_version.empty()) slot.shard_version.assign(rs.layout().shards.size(), -1);
}

std::size_t HostExecutor::shard_offset(int rank, std::size_t k) const {
  const RankState& rs = state_.rank(rank);
  return static_cast<std::size_t>(rs.shard(k).data() - rs.shard(0).data());
}

void HostExecutor::hook(const HookPoint& p) const {
  if (hook_) hook_(p);
}

void HostExecutor::set_failure_hook(FailureHook hook) {
  CKPTLAB_CHECK(!in_flight(), "the failure hook changes only between plans");
  hook_ = std::move(hook);
}

void HostExecutor::set_load_version(std::optional<std::int64_t> version) {
  load_version_ = version;
}

HostExecutor::Slot* HostExecutor::find_own(int rank, std::int64_t version) {
  RankSlots& r = slots_[static_cast<size_t>(rank)];
  for (SlotPair* pair : {&r.own, &r.window}) {
    for (Slot& s : *pair) {
      if (s.version == version) return &s;
    }
  }
  return nullptr;
}

HostExecutor::Slot* HostExecutor::find_replica(int holder, std::int64_t version) {
  RankSlots& r = slots_[static_cast<size_t>(holder)];
  for (SlotPair* pair : {&r.replica, &r.window_replica}) {
    for (Slot& s : *pair) {
      if (s.version == version) return &s;
    }
  }
  return nullptr;
}

CheckpointStore& HostExecutor::store_for(Tier tier) {
  if (tier == Tier::kStorage) return *storage_;
  if (tier == Tier::kLocalDisk) return *local_disk_;
  throw std::invalid_argument(fmt::format("no checkpoint store for tier {}", tier_name(tier)));
}

const CheckpointStore& HostExecutor::store(Tier tier) const {
  return const_cast<HostExecutor*>(this)->store_for(tier);
}

std::optional<std::int64_t> HostExecutor::newest_complete(Tier tier) const {
  const auto v = complete_versions(tier);
  return v.empty() ? std::nullopt : std::optional(v.front());
}

std::vector<std::int64_t> HostExecutor::complete_versions(Tier tier) const {
  return complete_versions(tier, all_ranks());
}

std::vector<std::int64_t> HostExecutor::complete_versions(Tier tier,
                                                          const std::vector<int>& ranks) const {
  if (tier == Tier::kStorage || tier == Tier::kLocalDisk)
    return store(tier).complete_versions(ranks);
  if (tier != Tier::kHost && tier != Tier::kPeerHost) return {};
  std::set<std::int64_t> common;
  bool first = true;
  for (int r : ranks) {
    const RankSlots& held = slots_[static_cast<size_t>(tier == Tier::kHost ? r : next(r))];
    std::set<std::int64_t> mine;
    for (const SlotPair* pair : tier == Tier::kHost
                                    ? std::array{&held.own, &held.window}
                                    : std::array{&held.replica, &held.window_replica}) {
      for (const Slot& s : *pair) {
        if (s.version && s.holds_all()) mine.insert(*s.version);
      }
    }
    if (first) {
      common = std::move(mine);
      first = false;
      continue;
    }
    std::set<std::int64_t> both;
    std::set_intersection(common.begin(), common.end(), mine.begin(), mine.end(),
                          std::inserter(both, both.begin()));
    common = std::move(both);
  }
  return {common.rbegin(), common.rend()};
}

void HostExecutor::lose_host_memory(int rank) {
  CKPTLAB_CHECK(!in_flight(), "host memory is lost between plans (finish the plan first)");
  RankSlots& r = slots_.at(static_cast<size_t>(rank));
  for (SlotPair* pair : {&r.own, &r.replica, &r.window, &r.window_replica, &r.partial}) {
    for (Slot& s : *pair) s.clear();
  }
}

bool HostExecutor::running() const { return runner_ && !runner_->finished(); }

bool HostExecutor::gpu_reads_in_flight() const { return runner_ && runner_->gpu_reads_in_flight(); }

void HostExecutor::wait_gpu_reads() {
  if (runner_) runner_->wait_gpu_reads();
}

void HostExecutor::start(const HarnessPlan& harness_plan) {
  if (in_flight()) throw std::logic_error("HostExecutor::start: finish() the previous plan first");
  const Plan& plan = harness_plan.plan;
  const auto world = static_cast<size_t>(state_.world());
  if (!harness_plan.shards.empty() && harness_plan.shards.size() != plan.ops.size())
    throw std::invalid_argument("shard selections: one per op of the plan, or none");
  bool checkpoints = false;
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    if (!op.rank_bytes.empty() && op.rank_bytes.size() != world) {
      throw std::invalid_argument(
          fmt::format("op '{}' has {} ranks, the harness has {} (scale the plan first)", op.label,
                      op.rank_bytes.size(), world));
    }
    if (const OpShards* sel = harness_plan.selection(i)) {
      const bool per_shard_kind = op.kind == OpKind::kSnapshot || op.kind == OpKind::kPersist ||
                                  (op.kind == OpKind::kLoad && op.from != Tier::kGpu);
      if (sel->per_shard ? !per_shard_kind
                         : op.kind != OpKind::kSnapshot && op.kind != OpKind::kReplicate)
        throw std::invalid_argument(fmt::format("op '{}': {} do not move a selection of shards",
                                                op.label, op_kind_name(op.kind)));
      if (sel->per_shard && op.kind == OpKind::kPersist && op.from != Tier::kHost)
        throw std::invalid_argument(
            fmt::format("op '{}': a persist of chosen shards writes their host copies", op.label));
      if (sel->ranks.size() != world)
        throw std::invalid_argument(
            fmt::format("op '{}': a shard selection for every rank is needed", op.label));
    }
    // A fetch (peer host -> host transfer) restores; any other transfer reads the live state.
    checkpoints = checkpoints || writes_tier(op.kind) ||
                  (op.kind == OpKind::kTransfer && op.from != Tier::kPeerHost);
  }
  version_.reset();
  const std::optional<std::int64_t> first = state_.rank(0).iteration();
  bool in_step = first.has_value();
  for (int r = 0; r < state_.world(); ++r) in_step = in_step && state_.rank(r).iteration() == first;
  if (in_step) version_ = first;
  if (checkpoints && !version_) {
    throw std::logic_error("a checkpoint needs every rank alive and at the same iteration");
  }
  reserve(harness_plan);
  snapshot_slot_.assign(world, 0);
  window_slot_.assign(world, 0);
  replica_slot_.assign(world, 0);
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const Op& op = plan.ops[i];
    const OpShards* sel = harness_plan.selection(i);
    for (size_t r = 0; r < world; ++r) {
      if (sel && sel->per_shard) {
        continue;  // per-shard copies pick their slot shard by shard
      } else if (op.kind == OpKind::kSnapshot && sel) {
        window_slot_[r] = building_slot(slots_[r].window, sel->starts_window);
      } else if (op.kind == OpKind::kSnapshot) {
        auto& own = slots_[r].own;
        snapshot_slot_[r] = static_cast<int>(older_slot(own));
        own[static_cast<size_t>(snapshot_slot_[r])].clear();
      } else if (op.kind == OpKind::kReplicate && sel) {
        replica_slot_[r] =
            building_slot(slots_[static_cast<size_t>(next(static_cast<int>(r)))].window_replica,
                          sel->starts_window);
      }
    }
  }
  plan_ = harness_plan;
  notes_.clear();
  load_rounds_.clear();
  load_rounds_.resize(plan.ops.size());
  runner_ = std::make_unique<PlanRunner>(
      plan_.plan, [this](std::size_t op, int rank) { run_task(op, rank); },
      [this](std::size_t op) { setup_op(op); });
  runner_->start();
  runner_->wait_blocking();
}

void HostExecutor::reserve(const HarnessPlan& plan) {
  CKPTLAB_CHECK(!in_flight(), "buffers are reserved between plans");
  const auto world = static_cast<size_t>(state_.world());
  activations_.resize(world);
  logs_.resize(world);
  for (size_t i = 0; i < plan.plan.ops.size(); ++i) {
    const Op& op = plan.plan.ops[i];
    const OpShards* sel = plan.selection(i);
    for (size_t r = 0; r < world && op.rank_bytes.size() == world; ++r) {
      const int rank = static_cast<int>(r);
      if (sel && sel->per_shard) {
        // Snapshots write the host copies; loads from disk leave what they restore there too.
        if (op.kind == OpKind::kSnapshot || op.kind == OpKind::kLoad) {
          for (Slot& s : slots_[r].partial) allocate(s, rank);
        }
      } else if (op.kind == OpKind::kSnapshot) {
        for (Slot& s : sel ? slots_[r].window : slots_[r].own) allocate(s, rank);
        const auto logs =
            static_cast<size_t>(!sel || sel->log_bytes.empty() ? 0 : sel->log_bytes[r]);
        if (activations_[r].size() < logs) {
          activations_[r] = HostBuffer(logs);
          std::memset(activations_[r].data(), 0xA5, logs);
          logs_[r] = HostBuffer(logs, options_.lock_buffers);
        }
      } else if (op.kind == OpKind::kReplicate) {
        RankSlots& holder = slots_[static_cast<size_t>(next(rank))];
        for (Slot& s : sel ? holder.window_replica : holder.replica) allocate(s, rank);
      }
    }
  }
}

PlanReport HostExecutor::finish() {
  CKPTLAB_CHECK(in_flight(), "finish() needs a started plan");
  runner_->wait_all();
  PlanReport report;
  report.timing = runner_->timing();
  report.ok = runner_->ok();
  report.version = version_;
  const auto& results = runner_->results();
  bool loads_ok = true;
  std::vector<Tier> failed_tiers;
  std::optional<std::int64_t> loaded;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Op& op = plan_.plan.ops[i];
    const auto& r = results[i];
    if (r.skipped) report.errors.push_back(fmt::format("op {} ({}): skipped", i, op.label));
    for (const auto& e : r.errors)
      report.errors.push_back(fmt::format("op {} ({}): {}", i, op.label, e));
    const bool every_rank = std::all_of(op.rank_bytes.begin(), op.rank_bytes.end(),
                                        [](Bytes b) { return b.value > 0; });
    if (writes_tier(op.kind) && op.completes_version && version_) {
      auto same = std::find_if(report.tiers_completed.begin(), report.tiers_completed.end(),
                               [&](const PlanReport::TierWrite& w) { return w.tier == op.to; });
      if (same == report.tiers_completed.end()) {
        report.tiers_completed.push_back({op.to, r.end});
      } else {
        same->end = std::max(same->end, r.end);  // the tier is complete when its last write is
      }
      if (!(r.ok && !r.skipped && every_rank)) failed_tiers.push_back(op.to);
    }
    if (op.kind == OpKind::kLoad || op.kind == OpKind::kTransfer) {
      loads_ok = loads_ok && r.ok && !r.skipped;
      if (load_rounds_[i] && load_rounds_[i]->chosen >= 0) loaded = load_rounds_[i]->chosen.load();
    }
  }
  // A tier counts only when every op writing it succeeded.
  std::erase_if(report.tiers_completed, [&](const PlanReport::TierWrite& w) {
    return std::find(failed_tiers.begin(), failed_tiers.end(), w.tier) != failed_tiers.end();
  });
  for (const auto& w : report.tiers_completed) {
    if (w.tier == Tier::kStorage || w.tier == Tier::kLocalDisk) {
      store_for(w.tier).prune(all_ranks(), options_.keep_versions);
    }
  }
  if (loads_ok && loaded) report.loaded_version = loaded;
  {
    std::lock_guard lock(notes_mu_);
    report.notes = notes_;
  }
  runner_.reset();
  return report;
}

void HostExecutor::cancel() {
  if (runner_) runner_->cancel();
}

PlanTiming HostExecutor::execute(const HarnessPlan& plan) {
  start(plan);
  PlanReport report = finish();
  if (!report.ok) {
    std::string what = "host executor: plan failed:";
    for (const auto& e : report.errors) what += "\n  " + e;
    throw std::runtime_error(what);
  }
  return report.timing;
}

std::vector<int> HostExecutor::all_ranks() const {
  std::vector<int> all(static_cast<size_t>(state_.world()));
  for (int r = 0; r < state_.world(); ++r) all[static_cast<size_t>(r)] = r;
  return all;
}

void HostExecutor::note(std::string line) {
  std::lock_guard lock(notes_mu_);
  notes_.push_back(std::move(line));
}

}  // namespace ckptlab::hw
