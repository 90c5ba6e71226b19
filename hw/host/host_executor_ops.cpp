// What each op does on one rank of the host backend (the scheduling, reporting and bookkeeping
// half of HostExecutor is host_executor.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "hw/host/host_executor.hpp"
#include "util/input_error.hpp"

namespace ckptlab::hw {
namespace {

std::vector<int> participants(const Op& op) {
  std::vector<int> ranks;
  for (size_t r = 0; r < op.rank_bytes.size(); ++r) {
    if (op.rank_bytes[r].value > 0) ranks.push_back(static_cast<int>(r));
  }
  return ranks;
}

}  // namespace

void HostExecutor::check_not_cancelled() const {
  if (runner_->cancelled()) throw std::runtime_error("cancelled: another rank failed");
}

std::span<std::byte> HostExecutor::rank_span(int rank, std::size_t shards) {
  RankState& rs = state_.rank(rank);
  return {rs.shard(0).data(), static_cast<std::size_t>(bytes_of(rank, shards))};
}

void HostExecutor::reset_link(int link) {
  auto [out, in] = loopback_pair(options_.socket_timeout);
  to_next_[static_cast<size_t>(link)] = std::move(out);
  from_prev_[static_cast<size_t>(next(link))] = std::move(in);
}

void HostExecutor::move_over_link(int link, bool forward, std::span<const std::byte> src,
                                  std::span<std::byte> dst, const MessageHeader& header) {
  std::lock_guard guard(link_mu_[static_cast<size_t>(link)]);
  Socket& near_end = to_next_[static_cast<size_t>(link)];
  Socket& far_end = from_prev_[static_cast<size_t>(next(link))];
  Socket& tx = forward ? near_end : far_end;
  Socket& rx = forward ? far_end : near_end;
  std::exception_ptr send_error, recv_error;
  std::thread sender([&] {
    try {
      send_message(tx, header, src, options_.socket_timeout);
    } catch (...) {
      send_error = std::current_exception();
    }
  });
  try {
    recv_message(rx, dst, options_.socket_timeout);
  } catch (...) {
    recv_error = std::current_exception();
    rx.shutdown();  // unblocks a sender stuck on a full socket buffer
  }
  sender.join();
  if (send_error || recv_error) {
    reset_link(link);
    std::rethrow_exception(recv_error ? recv_error : send_error);
  }
}

void HostExecutor::setup_op(std::size_t i) {
  const Op& op = plan_.plan.ops[i];
  if (op.kind == OpKind::kPersist) store_for(op.to).begin_version(*version_);
  const bool fetch = op.kind == OpKind::kTransfer && op.from == Tier::kPeerHost;
  if ((op.kind != OpKind::kLoad || op.from == Tier::kGpu) && !fetch) return;
  auto round = std::make_unique<LoadRound>();
  if (const OpShards* sel = plan_.selection(i); sel && sel->per_shard) {
    // Each shard comes from its own newest copy at or before the version the job restores.
    if (!load_version_) throw std::runtime_error("a load of chosen shards needs a load version");
    round->candidates = {*load_version_};
    load_rounds_[i] = std::move(round);
    return;
  }
  const std::vector<int> ranks = participants(op);
  for (std::int64_t v : complete_versions(op.from, ranks)) {
    if (!load_version_ || v <= *load_version_) round->candidates.push_back(v);
  }
  if (round->candidates.empty()) {
    throw std::runtime_error(
        fmt::format("no complete version on {}{}", tier_name(op.from),
                    load_version_ ? fmt::format(" at or before {}", *load_version_) : ""));
  }
  if (op.from == Tier::kHost || op.from == Tier::kPeerHost) round->candidates.resize(1);
  const std::size_t n = std::max<std::size_t>(1, ranks.size());
  round->barrier = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(n));
  round->failed = std::make_unique<std::atomic<bool>[]>(round->candidates.size());
  load_rounds_[i] = std::move(round);
}

void HostExecutor::run_task(std::size_t i, int rank) {
  const Op& op = plan_.plan.ops[i];
  const auto wait = [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, op.compute.value)));
  };
  if (rank < 0) {  // ops without bytes
    if (op.kind == OpKind::kRecompute || op.kind == OpKind::kReplay) wait();
    return;
  }
  const std::size_t n = shards_covering(rank, op.rank_bytes[static_cast<size_t>(rank)]);
  try {
    if (const OpShards* sel = plan_.selection(i); sel && sel->per_shard) {
      if (op.kind == OpKind::kSnapshot)
        snapshot_partial(rank, *sel);
      else if (op.kind == OpKind::kPersist)
        persist_partial(op, rank, *sel);
      else
        load_partial(i, rank, *sel);
      return;
    } else if (sel) {
      if (op.kind == OpKind::kSnapshot)
        snapshot_window(op, rank, *sel);
      else
        replicate_window(op, rank, *sel);
      return;
    }
    switch (op.kind) {
      case OpKind::kSnapshot:
        snapshot(rank, n);
        break;
      case OpKind::kReplicate:
        replicate(rank, n);
        break;
      case OpKind::kPersist:
        persist(op, rank, n);
        break;
      case OpKind::kLoad:
        load(i, rank, n);
        break;
      case OpKind::kTransfer:
        transfer(i, rank, n);
        break;
      case OpKind::kRecompute:
      case OpKind::kReplay:
        wait();
        break;
      case OpKind::kBarrier:
        break;
    }
  } catch (const InjectedFailure&) {
    runner_->cancel();  // the others stop at their next shard: the version is lost anyway
    throw;
  }
}

void HostExecutor::snapshot(int rank, std::size_t n) {
  Slot& slot = slots_[static_cast<size_t>(rank)]
                   .own[static_cast<size_t>(snapshot_slot_[static_cast<size_t>(rank)])];
  RankState& rs = state_.rank(rank);
  const std::byte* base = rs.shard(0).data();
  for (std::size_t k = 0; k < n; ++k) {
    check_not_cancelled();
    hook({OpKind::kSnapshot, Tier::kHost, rank, k, n, *version_});
    const auto s = rs.shard(k);
    std::memcpy(slot.buffer.data() + (s.data() - base), s.data(), s.size());
    slot.shard_version[k] = *version_;
  }
  slot.version = version_;
}

void HostExecutor::snapshot_window(const Op& op, int rank, const OpShards& sel) {
  const auto r = static_cast<size_t>(rank);
  Slot& slot = slots_[r].window[window_slot_[r]];
  RankState& rs = state_.rank(rank);
  const std::vector<std::size_t>& picked = sel.ranks[r];
  for (std::size_t j = 0; j < picked.size(); ++j) {
    check_not_cancelled();
    hook({OpKind::kSnapshot, Tier::kHost, rank, j, picked.size(), *version_});
    const auto s = rs.shard(picked[j]);
    std::memcpy(slot.buffer.data() + shard_offset(rank, picked[j]), s.data(), s.size());
    slot.shard_version[picked[j]] = *version_;
  }
  const auto logs = static_cast<size_t>(sel.log_bytes.empty() ? 0 : sel.log_bytes[r]);
  if (logs > 0) std::memcpy(logs_[r].data(), activations_[r].data(), logs);
  if (!op.completes_version) return;
  // A window restores only when every shard is in it (a rank whose node failed mid-window lost
  // the slots it had).
  if (!slot.holds_all()) {
    throw std::runtime_error(
        fmt::format("window of version {} on rank {} misses {} of {} shards", *version_, rank,
                    std::count(slot.shard_version.begin(), slot.shard_version.end(), -1),
                    slot.shard_version.size()));
  }
  slot.version = version_;
}

void HostExecutor::replicate_window(const Op& op, int rank, const OpShards& sel) {
  const auto r = static_cast<size_t>(rank);
  const Slot& src = slots_[r].window[window_slot_[r]];
  Slot& dst = slots_[static_cast<size_t>(next(rank))].window_replica[replica_slot_[r]];
  RankState& rs = state_.rank(rank);
  for (std::size_t k : sel.ranks[r]) {
    check_not_cancelled();
    if (src.shard_version[k] != *version_) {
      throw std::runtime_error(fmt::format("shard {} of version {} is not in rank {}'s window",
                                           rs.layout().shards[k].id, *version_, rank));
    }
    const std::size_t at = shard_offset(rank, k);
    const std::size_t size = rs.shard(k).size();
    move_over_link(rank, /*forward=*/true, src.buffer.span().subspan(at, size),
                   dst.buffer.span().subspan(at, size), {*version_, rank, size});
    dst.shard_version[k] = *version_;
  }
  if (!op.completes_version) return;
  if (!dst.holds_all()) {
    throw std::runtime_error(
        fmt::format("replica of rank {}'s window {} misses shards", rank, *version_));
  }
  dst.version = version_;
}

void HostExecutor::replicate(int rank, std::size_t n) {
  Slot* src = find_own(rank, *version_);
  if (!src || src->leading() < n) {
    throw std::runtime_error(fmt::format("no snapshot of version {} to replicate", *version_));
  }
  auto& replicas = slots_[static_cast<size_t>(next(rank))].replica;
  Slot& dst = replicas[older_slot(replicas)];
  dst.clear();
  const auto bytes = static_cast<std::size_t>(bytes_of(rank, n));
  move_over_link(rank, /*forward=*/true, src->buffer.span().first(bytes),
                 dst.buffer.span().first(bytes), {*version_, rank, bytes});
  dst.take_leading(*src, n, *version_);
}

void HostExecutor::persist(const Op& op, int rank, std::size_t n) {
  RankState& rs = state_.rank(rank);
  const std::byte* source = nullptr;  // the snapshot slot, or the live state for GPU -> disk
  if (op.from == Tier::kGpu) {
    source = rs.shard(0).data();
  } else {
    const Slot* slot = find_own(rank, *version_);
    // A file of version v must hold every shard as it was at v (not a window's older shards).
    const bool at_version =
        slot && slot->leading() >= n &&
        std::all_of(slot->shard_version.begin(),
                    slot->shard_version.begin() + static_cast<std::ptrdiff_t>(n),
                    [&](std::int64_t v) { return v == *version_; });
    if (!at_version) {
      throw std::runtime_error(fmt::format("no snapshot of version {} to persist", *version_));
    }
    source = slot->buffer.data();
  }
  std::vector<CheckpointStore::ShardView> views;
  const std::byte* base = rs.shard(0).data();
  for (std::size_t k = 0; k < n; ++k) {
    const auto s = rs.shard(k);
    views.push_back({rs.layout().shards[k].id, {source + (s.data() - base), s.size()}});
  }
  store_for(op.to).write_rank(*version_, rank, views, [&](std::size_t k) {
    check_not_cancelled();
    hook({OpKind::kPersist, op.to, rank, k, n, *version_});
  });
}

void HostExecutor::load(std::size_t i, int rank, std::size_t n) {
  const Op& op = plan_.plan.ops[i];
  LoadRound* round = load_rounds_[i].get();
  if (!round) return;  // GPU -> GPU: nothing moves
  if (op.from == Tier::kLocalDisk || op.from == Tier::kStorage) {
    load_from_disk(i, rank, n);
    return;
  }
  const std::int64_t v = round->candidates.front();
  const std::span<std::byte> dst = rank_span(rank, n);
  const Slot* slot = nullptr;
  if (op.from == Tier::kHost) {
    slot = find_own(rank, v);
    if (!slot || slot->leading() < n)
      throw std::runtime_error(fmt::format("version {} is not in host memory", v));
    std::memcpy(dst.data(), slot->buffer.data(), dst.size());
  } else if (op.from == Tier::kPeerHost) {
    slot = find_replica(next(rank), v);
    if (!slot || slot->leading() < n)
      throw std::runtime_error(
          fmt::format("rank {} holds no replica of version {}", next(rank), v));
    move_over_link(rank, /*forward=*/false, slot->buffer.span().first(dst.size()), dst,
                   {v, next(rank), dst.size()});
  } else {
    throw std::invalid_argument(fmt::format("cannot load from {}", tier_name(op.from)));
  }
  // Each shard is at the iteration its copy holds: v for a whole-state snapshot, the iteration
  // of the slot that captured it for a window.
  for (std::size_t k = 0; k < n; ++k)
    state_.rank(rank).mark_shard_restored(k, slot->shard_version[k]);
  round->chosen = v;
}

void HostExecutor::load_from_disk(std::size_t i, int rank, std::size_t n) {
  const Op& op = plan_.plan.ops[i];
  LoadRound& round = *load_rounds_[i];
  RankState& rs = state_.rank(rank);
  std::vector<CheckpointStore::ShardTarget> targets;
  for (std::size_t k = 0; k < n; ++k) targets.push_back({rs.layout().shards[k].id, rs.shard(k)});
  const CheckpointStore& disk = store_for(op.from);
  for (std::size_t c = 0; c < round.candidates.size(); ++c) {
    const std::int64_t v = round.candidates[c];
    try {
      disk.read_rank(v, rank, targets, options_.cold_reads);
    } catch (const std::exception& e) {
      round.failed[c] = true;  // a damaged shard: every rank moves to the next older version
      note(fmt::format("version {} on {} rejected: rank {}: {}", v, tier_name(op.from), rank,
                       e.what()));
    }
    round.barrier->arrive_and_wait();
    if (round.failed[c]) continue;
    for (std::size_t k = 0; k < n; ++k) rs.mark_shard_restored(k, v);
    if (n < rs.layout().shards.size()) {
      note(fmt::format("rank {} loaded {} of {} shards of version {}", rank, n,
                       rs.layout().shards.size(), v));
    }
    round.chosen = v;
    return;
  }
  throw std::runtime_error(
      fmt::format("no complete version on {} passed verification", tier_name(op.from)));
}

void HostExecutor::transfer(std::size_t i, int rank, std::size_t n) {
  if (LoadRound* round = load_rounds_[i].get()) {  // peer host -> host: fetch the replica
    const std::int64_t v = round->candidates.front();
    const Slot* replica = find_replica(next(rank), v);
    if (!replica || replica->leading() < n) {
      throw std::runtime_error(
          fmt::format("rank {} holds no replica of version {}", next(rank), v));
    }
    auto& own = slots_[static_cast<size_t>(rank)].own;
    Slot& dst = own[older_slot(own)];
    allocate(dst, rank);
    dst.clear();
    const auto bytes = static_cast<std::size_t>(bytes_of(rank, n));
    move_over_link(rank, /*forward=*/false, replica->buffer.span().first(bytes),
                   dst.buffer.span().first(bytes), {v, next(rank), bytes});
    dst.take_leading(*replica, n, v);
    round->chosen = v;
    return;
  }
  const std::span<std::byte> src = rank_span(rank, n);
  HostBuffer scratch(src.size());  // the receiving node's memory; dropped after the check
  move_over_link(rank, /*forward=*/true, src, scratch.span(),
                 {version_.value_or(-1), rank, src.size()});
}

}  // namespace ckptlab::hw
