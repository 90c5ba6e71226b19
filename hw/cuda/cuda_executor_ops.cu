// What each op does on one rank of the CUDA backend (construction, scheduling and reporting are
// cuda_executor.cu).
#include "hw/cuda/cuda_executor_impl.hpp"

namespace ckptlab::hw {

void CudaExecutor::Impl::snapshot(int rank, std::size_t n) {
  PinnedSlot& slot =
      own[static_cast<size_t>(rank)][static_cast<size_t>(snapshot_slot[static_cast<size_t>(rank)])];
  device_seconds[static_cast<size_t>(rank)] = 0;
  for (std::size_t k = 0; k < n; ++k) {
    check_cancel();
    if (hook) hook({OpKind::kSnapshot, Tier::kHost, rank, k, n, *version});
    const std::size_t size =
        (k + 1 < trainer.layout().ranks[static_cast<size_t>(rank)].shards.size()
             ? offset(rank, k + 1)
             : trainer.rank_bytes(rank)) -
        offset(rank, k);
    timed_copy(rank, slot.data + offset(rank, k), trainer.shard(rank, k), size,
               cudaMemcpyDeviceToHost);
  }
  slot.shards = n;
  slot.version = version;
}

void CudaExecutor::Impl::persist(const Op& op, int rank, std::size_t n) {
  PinnedSlot* slot = nullptr;
  for (PinnedSlot& s : own[static_cast<size_t>(rank)]) {
    if (s.version == version) slot = &s;
  }
  if (!slot || slot->shards < n)
    throw std::runtime_error(cuda_detail::str("no snapshot of version ", *version, " to persist"));
  std::vector<CheckpointStore::ShardView> views;
  const auto& shards = trainer.layout().ranks[static_cast<size_t>(rank)].shards;
  for (std::size_t k = 0; k < n; ++k) {
    views.push_back(
        {shards[k].id, {slot->data + offset(rank, k), static_cast<std::size_t>(shards[k].bytes)}});
  }
  store(op.to).write_rank(*version, rank, views, [&](std::size_t k) {
    check_cancel();
    if (hook) hook({OpKind::kPersist, op.to, rank, k, n, *version});
  });
}

void CudaExecutor::Impl::replicate(const Op& op, int rank, std::size_t n) {
  if (!comm) throw std::runtime_error("replicate needs an NCCL communicator (none given)");
  PinnedSlot* src = nullptr;
  for (PinnedSlot& s : own[static_cast<size_t>(rank)]) {
    if (s.version == version) src = &s;
  }
  if (!src)
    throw std::runtime_error(
        cuda_detail::str("no snapshot of version ", *version, " to replicate"));
  const int to = (rank + 1) % world(), from = (rank - 1 + world()) % world();
  const std::size_t send_bytes = bytes_of(rank, n);
  const std::size_t n_from = shards_covering(from, op.rank_bytes[static_cast<size_t>(from)]);
  const std::size_t recv_bytes = bytes_of(from, n_from);  // NCCL needs matching counts
  // The snapshot goes back to the device (NCCL moves device memory), over NCCL to the peer,
  // and into the peer's pinned replica slot.
  timed_copy(rank, staging[static_cast<size_t>(rank)], src->data, send_bytes,
             cudaMemcpyHostToDevice);
  void* in = nullptr;
  CKPTLAB_CUDA(cudaMalloc(&in, std::max<std::size_t>(recv_bytes, 64)));
  try {
    comm->sendrecv({{rank, staging[static_cast<size_t>(rank)], in, send_bytes, to, from,
                     streams[static_cast<size_t>(rank)]}});
    auto& slots = replica[static_cast<size_t>(rank)];  // this rank holds the replica of `from`
    PinnedSlot& dst = slots[static_cast<size_t>(pick_slot(slots))];
    dst.version.reset();
    timed_copy(rank, dst.data, in, recv_bytes, cudaMemcpyDeviceToHost);
    dst.shards = n_from;
    dst.version = version;
  } catch (...) {
    cudaFree(in);
    throw;
  }
  CKPTLAB_CUDA(cudaFree(in));
}

void CudaExecutor::Impl::load(std::size_t i, int rank, std::size_t n) {
  const Op& op = plan.ops[i];
  LoadRound* round = rounds[i].get();
  if (!round) return;
  const auto& shards = trainer.layout().ranks[static_cast<size_t>(rank)].shards;
  auto& slots = own[static_cast<size_t>(rank)];
  if (op.from == Tier::kHost) {
    const std::int64_t v = round->candidates.front();
    PinnedSlot* s = slots[0].version == v ? &slots[0] : slots[1].version == v ? &slots[1] : nullptr;
    if (!s)
      throw std::runtime_error(cuda_detail::str("version ", v, " is not in pinned host memory"));
    timed_copy(rank, trainer.rank_base(rank), s->data, bytes_of(rank, n), cudaMemcpyHostToDevice);
    if (n == shards.size()) trainer.mark_restored(rank, v);
    round->chosen = v;
    return;
  }
  if (op.from != Tier::kStorage && op.from != Tier::kLocalDisk) {
    throw std::invalid_argument(
        cuda_detail::str("the CUDA executor cannot load from ", tier_name(op.from)));
  }
  PinnedSlot& stage = slots[static_cast<size_t>(pick_slot(slots))];
  stage.version.reset();
  std::vector<CheckpointStore::ShardTarget> targets;
  for (std::size_t k = 0; k < n; ++k) {
    targets.push_back(
        {shards[k].id, {stage.data + offset(rank, k), static_cast<std::size_t>(shards[k].bytes)}});
  }
  for (std::size_t c = 0; c < round->candidates.size(); ++c) {
    const std::int64_t v = round->candidates[c];
    try {
      store(op.from).read_rank(v, rank, targets, options.cold_reads);
    } catch (const std::exception& e) {
      round->failed[c] = true;
      std::lock_guard g(notes_mu);
      notes.push_back(cuda_detail::str("version ", v, " on ", tier_name(op.from),
                                       " rejected: rank ", rank, ": ", e.what()));
    }
    round->barrier->arrive_and_wait();
    if (round->failed[c]) continue;
    timed_copy(rank, trainer.rank_base(rank), stage.data, bytes_of(rank, n),
               cudaMemcpyHostToDevice);
    stage.version = v;
    stage.shards = n;
    if (n == shards.size()) trainer.mark_restored(rank, v);
    round->chosen = v;
    return;
  }
  throw std::runtime_error(
      cuda_detail::str("no complete version on ", tier_name(op.from), " passed verification"));
}

void CudaExecutor::Impl::setup(std::size_t i) {
  const Op& op = plan.ops[i];
  if (op.kind == OpKind::kPersist) store(op.to).begin_version(*version);
  if (op.kind != OpKind::kLoad || op.from == Tier::kGpu) return;
  std::vector<int> ranks;
  for (size_t r = 0; r < op.rank_bytes.size(); ++r) {
    if (op.rank_bytes[r].value > 0) ranks.push_back(static_cast<int>(r));
  }
  auto round = std::make_unique<LoadRound>();
  for (std::int64_t v : complete(op.from, ranks)) {
    if (!load_version || v <= *load_version) round->candidates.push_back(v);
  }
  if (round->candidates.empty())
    throw std::runtime_error(cuda_detail::str("no complete version on ", tier_name(op.from)));
  if (op.from == Tier::kHost) round->candidates.resize(1);
  round->barrier = std::make_unique<std::barrier<>>(
      static_cast<std::ptrdiff_t>(std::max<std::size_t>(1, ranks.size())));
  round->failed = std::make_unique<std::atomic<bool>[]>(round->candidates.size());
  rounds[i] = std::move(round);
}

void CudaExecutor::Impl::task(std::size_t i, int rank) {
  const Op& op = plan.ops[i];
  if (rank < 0 || op.kind == OpKind::kRecompute || op.kind == OpKind::kReplay) {
    if (op.kind == OpKind::kRecompute || op.kind == OpKind::kReplay) {
      std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, op.compute.value)));
    }
    return;
  }
  CKPTLAB_CUDA(cudaSetDevice(trainer.device()));
  const std::size_t n = shards_covering(rank, op.rank_bytes[static_cast<size_t>(rank)]);
  try {
    switch (op.kind) {
      case OpKind::kSnapshot:
        snapshot(rank, n);
        break;
      case OpKind::kPersist:
        persist(op, rank, n);
        break;
      case OpKind::kReplicate:
        replicate(op, rank, n);
        break;
      case OpKind::kLoad:
        load(i, rank, n);
        break;
      case OpKind::kTransfer:
        throw std::runtime_error("transfer ops are not implemented on the CUDA backend");
      default:
        break;
    }
  } catch (const InjectedFailure&) {
    runner->cancel();
    throw;
  }
}

}  // namespace ckptlab::hw
