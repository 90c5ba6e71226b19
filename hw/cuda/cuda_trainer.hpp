// The synthetic MoE trainer state on a GPU (DESIGN.md §5 "hw"): every harness rank's shards in
// device memory, initialised and updated by kernels running the word rules of
// hw/common/state_words.hpp, so the state after iteration n is the same pure function of
// (seed, n) as the host backend's TrainerState, and its checksums equal the host
// ReferenceChecksums bit for bit. The router runs on the host (route_tokens), as a real MoE's
// routing decisions are small.
//
// Plain C++ header: callers need neither nvcc nor the CUDA headers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "hw/common/state_layout.hpp"

namespace ckptlab::hw {

class CudaTrainer {
 public:
  // Allocates and initialises every rank of `layout` on device `device`. Throws CudaError when
  // the device or the allocation fails.
  CudaTrainer(const HarnessLayout& layout, std::uint64_t seed, int device,
              int tokens_per_expert = 4);
  ~CudaTrainer();
  CudaTrainer(const CudaTrainer&) = delete;
  CudaTrainer& operator=(const CudaTrainer&) = delete;

  const HarnessLayout& layout() const;
  int device() const;
  int world() const;
  std::optional<std::int64_t> iteration(int rank) const;
  // REQUIRES: every rank at one iteration (CKPTLAB_CHECK).
  std::int64_t iteration() const;
  // Iteration n -> n + 1 on every rank: an update kernel per shard that received tokens, on the
  // compute stream; returns after the kernels finished.
  void advance();
  // Iteration n -> n + 1 on rank `rank` alone (a localized replay while the others wait).
  // REQUIRES: the rank holds an iteration (CKPTLAB_CHECK).
  void advance(int rank);
  // XXH3-64 of the rank's state, shards in order (copied to the host first): the host
  // RankState::checksum of the same (seed, n).
  std::uint64_t checksum(int rank) const;
  // A failure: device memory overwritten with a poison pattern, iteration forgotten.
  void destroy(int rank);
  void mark_restored(int rank, std::int64_t iteration);

  // Device address of rank's shard k / of its whole state (shards back to back).
  std::byte* shard(int rank, std::size_t k) const;
  std::byte* rank_base(int rank) const;
  std::size_t rank_bytes(int rank) const;
  // The compute stream (a cudaStream_t), on which advance() and the GEMM phase run.
  void* compute_stream() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The compute phase on the GPU: cuBLAS SGEMMs on the trainer's compute stream, their count fixed
// once so that the phase takes about `target` on an idle GPU (the work is fixed, so contention
// from snapshot copies shows as a slow-down).
class CudaComputePhase {
 public:
  CudaComputePhase(Seconds target, int device, void* stream, int n = 4096);
  ~CudaComputePhase();
  CudaComputePhase(const CudaComputePhase&) = delete;
  CudaComputePhase& operator=(const CudaComputePhase&) = delete;
  // Runs the GEMMs and waits for them; returns the wall time.
  Seconds run();
  std::int64_t gemms() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckptlab::hw
