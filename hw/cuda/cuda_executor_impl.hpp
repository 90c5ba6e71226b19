// Internal to the CUDA executor (cuda_executor.cu, cuda_executor_ops.cu): its state and the
// per-rank op implementations. Includes the CUDA headers; not for callers of CudaExecutor.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "hw/common/plan_runner.hpp"
#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/cuda_executor.hpp"
#include "hw/persist/checkpoint_store.hpp"
#include "util/input_error.hpp"

namespace ckptlab::hw::cuda_detail {

struct PinnedSlot {
  std::byte* data = nullptr;  // cudaHostAlloc'd
  std::size_t bytes = 0;
  std::optional<std::int64_t> version;
  std::size_t shards = 0;
};

inline int pick_slot(const std::array<PinnedSlot, 2>& s) {
  if (!s[0].version) return 0;
  if (!s[1].version) return 1;
  return *s[0].version < *s[1].version ? 0 : 1;
}

}  // namespace ckptlab::hw::cuda_detail

namespace ckptlab::hw {

using cuda_detail::pick_slot;
using cuda_detail::PinnedSlot;

struct CudaExecutor::Impl {
  CudaTrainer& trainer;
  CudaExecutorOptions options;
  NcclComm* comm;
  std::unique_ptr<CheckpointStore> storage, local_disk;
  std::vector<std::array<PinnedSlot, 2>> own, replica;
  std::vector<std::byte*> staging;  // device buffers for NCCL receives
  std::vector<cudaStream_t> streams;
  std::vector<cudaEvent_t> ev_start, ev_stop;
  std::vector<double> device_seconds;
  FailureHook hook;
  std::optional<std::int64_t> load_version;
  std::unique_ptr<PlanRunner> runner;
  Plan plan;
  std::optional<std::int64_t> version;
  std::vector<int> snapshot_slot;
  std::mutex notes_mu;
  std::vector<std::string> notes;
  struct LoadRound {
    std::vector<std::int64_t> candidates;
    std::unique_ptr<std::barrier<>> barrier;
    std::unique_ptr<std::atomic<bool>[]> failed;
    std::atomic<std::int64_t> chosen{-1};
  };
  std::vector<std::unique_ptr<LoadRound>> rounds;

  Impl(CudaTrainer& t, CudaExecutorOptions o, NcclComm* c)
      : trainer(t), options(std::move(o)), comm(c) {}

  int world() const { return trainer.world(); }
  CheckpointStore& store(Tier t) {
    if (t == Tier::kStorage) return *storage;
    if (t == Tier::kLocalDisk) return *local_disk;
    throw std::invalid_argument(cuda_detail::str("no checkpoint store for ", tier_name(t)));
  }
  std::size_t shards_covering(int rank, Bytes b) const {
    const auto& shards = trainer.layout().ranks[static_cast<size_t>(rank)].shards;
    std::int64_t sum = 0;
    std::size_t n = 0;
    while (n < shards.size() && sum < b.value) sum += shards[n++].bytes;
    return n;
  }
  std::size_t offset(int rank, std::size_t k) const {
    return static_cast<std::size_t>(trainer.shard(rank, k) - trainer.rank_base(rank));
  }
  std::size_t bytes_of(int rank, std::size_t n) const {
    return n == trainer.layout().ranks[static_cast<size_t>(rank)].shards.size()
               ? trainer.rank_bytes(rank)
               : offset(rank, n);
  }
  std::vector<int> all() const {
    std::vector<int> r(static_cast<size_t>(world()));
    for (int i = 0; i < world(); ++i) r[static_cast<size_t>(i)] = i;
    return r;
  }
  std::vector<std::int64_t> complete(Tier t, const std::vector<int>& ranks) {
    if (t == Tier::kStorage || t == Tier::kLocalDisk) return store(t).complete_versions(ranks);
    std::vector<std::int64_t> common;
    for (int r : ranks) {
      const auto& slots = t == Tier::kHost ? own[static_cast<size_t>(r)]
                                           : replica[static_cast<size_t>((r + 1) % world())];
      std::vector<std::int64_t> mine;
      for (const PinnedSlot& s : slots) {
        if (s.version && s.shards == trainer.layout().ranks[static_cast<size_t>(r)].shards.size())
          mine.push_back(*s.version);
      }
      std::sort(mine.begin(), mine.end(), std::greater<>());
      if (r == ranks.front()) {
        common = mine;
      } else {
        std::vector<std::int64_t> both;
        for (std::int64_t v : common) {
          if (std::find(mine.begin(), mine.end(), v) != mine.end()) both.push_back(v);
        }
        common = both;
      }
    }
    return common;
  }
  void timed_copy(int rank, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
    const cudaStream_t s = streams[static_cast<size_t>(rank)];
    CKPTLAB_CUDA(cudaEventRecord(ev_start[static_cast<size_t>(rank)], s));
    CKPTLAB_CUDA(cudaMemcpyAsync(dst, src, bytes, kind, s));
    CKPTLAB_CUDA(cudaEventRecord(ev_stop[static_cast<size_t>(rank)], s));
    CKPTLAB_CUDA(cudaEventSynchronize(ev_stop[static_cast<size_t>(rank)]));
    float ms = 0;
    CKPTLAB_CUDA(cudaEventElapsedTime(&ms, ev_start[static_cast<size_t>(rank)],
                                      ev_stop[static_cast<size_t>(rank)]));
    device_seconds[static_cast<size_t>(rank)] += ms / 1e3;
  }
  void check_cancel() const {
    if (runner->cancelled()) throw std::runtime_error("cancelled: another rank failed");
  }

  void snapshot(int rank, std::size_t n);

  void persist(const Op& op, int rank, std::size_t n);

  void replicate(const Op& op, int rank, std::size_t n);

  void load(std::size_t i, int rank, std::size_t n);

  void setup(std::size_t i);

  void task(std::size_t i, int rank);
};

}  // namespace ckptlab::hw
