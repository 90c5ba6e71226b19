// The per-shard ops of the host backend (OpShards::per_shard: MoC-System's partial checkpoints):
// two tagged host copies per shard, persists of chosen shards, and loads that take each shard
// from its newest copy at or before the load version (host_executor.hpp says what each does).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "hw/host/host_executor.hpp"

namespace ckptlab::hw {

const HostExecutor::Slot* HostExecutor::partial_copy(int rank, std::size_t k,
                                                     std::int64_t at) const {
  const Slot* best = nullptr;
  for (const Slot& s : slots_[static_cast<size_t>(rank)].partial) {
    const std::int64_t v = s.shard_version.empty() ? -1 : s.shard_version[k];
    if (v >= 0 && v <= at && (!best || v > best->shard_version[k])) best = &s;
  }
  return best;
}

HostExecutor::Slot& HostExecutor::partial_target(int rank, std::size_t k, std::int64_t version) {
  SlotPair& pair = slots_[static_cast<size_t>(rank)].partial;
  if (pair[1].shard_version[k] == version) return pair[1];
  if (pair[0].shard_version[k] == version) return pair[0];
  return pair[0].shard_version[k] <= pair[1].shard_version[k] ? pair[0] : pair[1];
}

void HostExecutor::snapshot_partial(int rank, const OpShards& sel) {
  RankState& rs = state_.rank(rank);
  const std::vector<std::size_t>& picked = sel.ranks[static_cast<size_t>(rank)];
  for (std::size_t j = 0; j < picked.size(); ++j) {
    check_not_cancelled();
    hook({OpKind::kSnapshot, Tier::kHost, rank, j, picked.size(), *version_});
    const std::size_t k = picked[j];
    Slot& dst = partial_target(rank, k, *version_);
    const auto s = rs.shard(k);
    std::memcpy(dst.buffer.data() + shard_offset(rank, k), s.data(), s.size());
    dst.shard_version[k] = *version_;
  }
}

void HostExecutor::persist_partial(const Op& op, int rank, const OpShards& sel) {
  RankState& rs = state_.rank(rank);
  std::vector<CheckpointStore::ShardView> views;
  for (std::size_t k : sel.ranks[static_cast<size_t>(rank)]) {
    const Slot* copy = partial_copy(rank, k, *version_);
    if (!copy || copy->shard_version[k] != *version_) {
      throw std::runtime_error(fmt::format("shard {} of version {} is not in host memory",
                                           rs.layout().shards[k].id, *version_));
    }
    views.push_back({rs.layout().shards[k].id,
                     copy->buffer.span().subspan(shard_offset(rank, k), rs.shard(k).size())});
  }
  store_for(op.to).write_rank(*version_, rank, views, [&](std::size_t j) {
    check_not_cancelled();
    hook({OpKind::kPersist, op.to, rank, j, views.size(), *version_});
  });
}

void HostExecutor::load_partial(std::size_t i, int rank, const OpShards& sel) {
  const Op& op = plan_.plan.ops[i];
  LoadRound& round = *load_rounds_[i];
  const std::int64_t v = round.candidates.front();
  RankState& rs = state_.rank(rank);
  const std::vector<std::size_t>& picked = sel.ranks[static_cast<size_t>(rank)];
  // Copies newer than the version restored are from a future the rollback discards.
  for (Slot& s : slots_[static_cast<size_t>(rank)].partial) {
    for (std::size_t k : picked) {
      if (s.shard_version[k] > v) s.shard_version[k] = -1;
    }
  }
  if (op.from == Tier::kHost) {
    for (std::size_t k : picked) {
      const Slot* copy = partial_copy(rank, k, v);
      if (!copy) {
        throw std::runtime_error(
            fmt::format("shard {} has no copy at or before version {} in "
                        "host memory",
                        rs.layout().shards[k].id, v));
      }
      const auto dst = rs.shard(k);
      std::memcpy(dst.data(), copy->buffer.data() + shard_offset(rank, k), dst.size());
      rs.mark_shard_restored(k, copy->shard_version[k]);
    }
    round.chosen = v;
    return;
  }
  if (op.from != Tier::kStorage && op.from != Tier::kLocalDisk)
    throw std::invalid_argument(fmt::format("cannot load shards from {}", tier_name(op.from)));
  const CheckpointStore& disk = store_for(op.from);
  std::vector<std::size_t> missing = picked;
  for (const std::int64_t version : disk.complete_versions({rank})) {
    if (missing.empty()) break;
    if (version > v) continue;
    CheckpointStore::Manifest manifest;
    try {
      manifest = disk.manifest(version, rank);
    } catch (const std::exception& e) {
      note(fmt::format("version {} on {} rejected: rank {}: {}", version, tier_name(op.from), rank,
                       e.what()));
      continue;
    }
    // Every missing shard this version holds, in one read; one by one only when that fails, to
    // keep the good ones and fall back for the damaged. The manifest is read once.
    std::vector<std::size_t> here;
    for (std::size_t k : missing) {
      if (manifest.lists(rs.layout().shards[k].id)) here.push_back(k);
    }
    if (here.empty()) continue;
    const auto targets = [&](const std::vector<std::size_t>& ks) {
      std::vector<CheckpointStore::ShardTarget> t;
      for (std::size_t k : ks) t.push_back({rs.layout().shards[k].id, rs.shard(k)});
      return t;
    };
    std::vector<std::size_t> read;
    try {
      disk.read_shards(manifest, targets(here), options_.cold_reads);
      read = here;
    } catch (const std::exception&) {
      for (std::size_t k : here) {
        try {
          disk.read_shards(manifest, targets({k}), options_.cold_reads);
          read.push_back(k);
        } catch (const std::exception& e) {
          note(fmt::format("shard {} of version {} on {} rejected: rank {}: {}",
                           rs.layout().shards[k].id, version, tier_name(op.from), rank, e.what()));
        }
      }
    }
    for (std::size_t k : read) {
      rs.mark_shard_restored(k, version);
      Slot& host = partial_target(rank, k, v);  // passes through host memory
      std::memcpy(host.buffer.data() + shard_offset(rank, k), rs.shard(k).data(),
                  rs.shard(k).size());
      host.shard_version[k] = v;
      std::erase(missing, k);
    }
  }
  if (!missing.empty()) {
    throw std::runtime_error(
        fmt::format("rank {}: shard {} has no readable copy at or before "
                    "version {} on {}",
                    rank, rs.layout().shards[missing.front()].id, v, tier_name(op.from)));
  }
  round.chosen = v;
}

}  // namespace ckptlab::hw
