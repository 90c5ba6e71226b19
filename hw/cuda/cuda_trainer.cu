// Device-resident trainer state and the cuBLAS compute phase.
#include <cublas_v2.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "hw/common/state_words.hpp"
#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/cuda_trainer.hpp"
#include "util/input_error.hpp"

namespace ckptlab::hw {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 4096;  // grid-stride loops: enough blocks to fill any current GPU

int blocks_for(std::size_t words) {
  return static_cast<int>(std::max<std::size_t>(
      1, std::min<std::size_t>(kMaxBlocks, (words + kThreads - 1) / kThreads)));
}

__global__ void init_kernel(std::uint64_t* w, std::size_t n, std::uint64_t seed,
                            std::uint64_t salt) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    w[i] = initial_word(seed, salt, i);
  }
}

__global__ void update_kernel(std::uint64_t* w, std::size_t n, std::uint64_t key) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    w[i] = update_word(w[i], key, i);
  }
}

void cublas_check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw CudaError(std::string(what) + " failed: cuBLAS status " +
                    std::to_string(static_cast<int>(s)));
}

}  // namespace

struct CudaTrainer::Impl {
  HarnessLayout layout;
  std::uint64_t seed = 0;
  int device = 0;
  int tokens = 4;
  cudaStream_t stream = nullptr;
  std::vector<std::byte*> base;                   // per rank
  std::vector<std::vector<std::size_t>> offsets;  // per rank, per shard (+ end)
  std::vector<std::optional<std::int64_t>> iteration;

  // Launches rank r's update kernels for iteration n on the compute stream (not synchronised).
  void launch_update(std::size_t r, std::int64_t n) {
    const RankLayout& rl = layout.ranks[r];
    const std::vector<std::int64_t> routed = route_tokens(rl, seed, n, tokens);
    for (std::size_t k = 0; k < rl.shards.size(); ++k) {
      const ShardSpec& s = rl.shards[k];
      const std::int64_t t =
          s.expert_group < 0 ? tokens : routed[static_cast<size_t>(s.expert_group)];
      if (t == 0) continue;  // an expert without tokens is not updated (as on the host)
      const std::size_t words = (offsets[r][k + 1] - offsets[r][k]) / 8;
      update_kernel<<<blocks_for(words), kThreads, 0, stream>>>(
          reinterpret_cast<std::uint64_t*>(base[r] + offsets[r][k]), words,
          update_key(seed, s.salt, n, t));
    }
    iteration[r] = n;
  }
};

CudaTrainer::CudaTrainer(const HarnessLayout& layout, std::uint64_t seed, int device,
                         int tokens_per_expert)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.layout = layout;
  m.seed = seed;
  m.device = device;
  m.tokens = tokens_per_expert;
  CKPTLAB_CUDA(cudaSetDevice(device));
  CKPTLAB_CUDA(cudaStreamCreateWithFlags(&m.stream, cudaStreamNonBlocking));
  for (const RankLayout& r : layout.ranks) {
    std::vector<std::size_t> off;
    std::size_t total = 0;
    for (const ShardSpec& s : r.shards) {
      off.push_back(total);
      total += static_cast<std::size_t>(s.bytes);
    }
    off.push_back(total);
    void* p = nullptr;
    CKPTLAB_CUDA(cudaMalloc(&p, std::max<std::size_t>(total, 64)));
    m.base.push_back(static_cast<std::byte*>(p));
    for (std::size_t k = 0; k < r.shards.size(); ++k) {
      const std::size_t words = (off[k + 1] - off[k]) / 8;
      init_kernel<<<blocks_for(words), kThreads, 0, m.stream>>>(
          reinterpret_cast<std::uint64_t*>(m.base.back() + off[k]), words, seed, r.shards[k].salt);
    }
    m.offsets.push_back(std::move(off));
    m.iteration.emplace_back(0);
  }
  CKPTLAB_CUDA(cudaGetLastError());
  CKPTLAB_CUDA(cudaStreamSynchronize(m.stream));
}

CudaTrainer::~CudaTrainer() {
  if (!impl_) return;
  cudaSetDevice(impl_->device);
  for (std::byte* p : impl_->base) cudaFree(p);  // destructors cannot throw: errors ignored here
  if (impl_->stream) cudaStreamDestroy(impl_->stream);
}

const HarnessLayout& CudaTrainer::layout() const { return impl_->layout; }
int CudaTrainer::device() const { return impl_->device; }
int CudaTrainer::world() const { return static_cast<int>(impl_->base.size()); }
std::optional<std::int64_t> CudaTrainer::iteration(int rank) const {
  return impl_->iteration.at(static_cast<size_t>(rank));
}

std::int64_t CudaTrainer::iteration() const {
  const auto& it = impl_->iteration;
  CKPTLAB_CHECK(!it.empty() && it.front().has_value(), "every rank must be alive");
  for (const auto& i : it)
    CKPTLAB_CHECK(i == it.front(), "every rank must hold the same iteration");
  return *it.front();
}

void CudaTrainer::advance() {
  Impl& m = *impl_;
  const std::int64_t n = iteration() + 1;
  CKPTLAB_CUDA(cudaSetDevice(m.device));
  for (std::size_t r = 0; r < m.base.size(); ++r) m.launch_update(r, n);
  CKPTLAB_CUDA(cudaGetLastError());
  CKPTLAB_CUDA(cudaStreamSynchronize(m.stream));
}

void CudaTrainer::advance(int rank) {
  Impl& m = *impl_;
  const std::optional<std::int64_t> now = iteration(rank);
  CKPTLAB_CHECK(now.has_value(), "a destroyed rank cannot train before it is restored");
  CKPTLAB_CUDA(cudaSetDevice(m.device));
  m.launch_update(static_cast<std::size_t>(rank), *now + 1);
  CKPTLAB_CUDA(cudaGetLastError());
  CKPTLAB_CUDA(cudaStreamSynchronize(m.stream));
}

std::uint64_t CudaTrainer::checksum(int rank) const {
  const Impl& m = *impl_;
  std::vector<std::byte> host(rank_bytes(rank));
  CKPTLAB_CUDA(cudaSetDevice(m.device));
  CKPTLAB_CUDA(cudaMemcpy(host.data(), rank_base(rank), host.size(), cudaMemcpyDeviceToHost));
  return XXH3_64bits(host.data(), host.size());
}

void CudaTrainer::destroy(int rank) {
  CKPTLAB_CUDA(cudaSetDevice(impl_->device));
  CKPTLAB_CUDA(cudaMemset(rank_base(rank), 0xDE, rank_bytes(rank)));
  CKPTLAB_CUDA(cudaDeviceSynchronize());
  impl_->iteration.at(static_cast<size_t>(rank)).reset();
}

void CudaTrainer::mark_restored(int rank, std::int64_t iteration) {
  impl_->iteration.at(static_cast<size_t>(rank)) = iteration;
}

std::byte* CudaTrainer::shard(int rank, std::size_t k) const {
  return impl_->base.at(static_cast<size_t>(rank)) +
         impl_->offsets.at(static_cast<size_t>(rank)).at(k);
}
std::byte* CudaTrainer::rank_base(int rank) const {
  return impl_->base.at(static_cast<size_t>(rank));
}
std::size_t CudaTrainer::rank_bytes(int rank) const {
  return impl_->offsets.at(static_cast<size_t>(rank)).back();
}
void* CudaTrainer::compute_stream() const { return impl_->stream; }

struct CudaComputePhase::Impl {
  int device = 0;
  int n = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t handle = nullptr;
  float* a = nullptr;
  float* b = nullptr;
  float* c = nullptr;
  std::int64_t gemms = 1;

  void gemm() {
    const float alpha = 1.0f, beta = 0.0f;
    cublas_check(
        cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a, n, b, n, &beta, c, n),
        "cublasSgemm");
  }
};

CudaComputePhase::CudaComputePhase(Seconds target, int device, void* stream, int n)
    : impl_(std::make_unique<Impl>()) {
  if (!(target.value > 0) || n < 16)
    throw std::invalid_argument("CudaComputePhase: target > 0, n >= 16");
  Impl& m = *impl_;
  m.device = device;
  m.n = n;
  m.stream = static_cast<cudaStream_t>(stream);
  CKPTLAB_CUDA(cudaSetDevice(device));
  const std::size_t bytes = static_cast<std::size_t>(n) * n * sizeof(float);
  CKPTLAB_CUDA(cudaMalloc(reinterpret_cast<void**>(&m.a), bytes));
  CKPTLAB_CUDA(cudaMalloc(reinterpret_cast<void**>(&m.b), bytes));
  CKPTLAB_CUDA(cudaMalloc(reinterpret_cast<void**>(&m.c), bytes));
  CKPTLAB_CUDA(cudaMemset(m.a, 0, bytes));
  CKPTLAB_CUDA(cudaMemset(m.b, 0, bytes));
  cublas_check(cublasCreate(&m.handle), "cublasCreate");
  cublas_check(cublasSetStream(m.handle, m.stream), "cublasSetStream");
  // Time a batch with events after a warm-up; the minimum of a few batches is the idle rate.
  cudaEvent_t start, stop;
  CKPTLAB_CUDA(cudaEventCreate(&start));
  CKPTLAB_CUDA(cudaEventCreate(&stop));
  m.gemm();
  float best_ms = 1e30f;
  for (int trial = 0; trial < 3; ++trial) {
    CKPTLAB_CUDA(cudaEventRecord(start, m.stream));
    for (int i = 0; i < 4; ++i) m.gemm();
    CKPTLAB_CUDA(cudaEventRecord(stop, m.stream));
    CKPTLAB_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    CKPTLAB_CUDA(cudaEventElapsedTime(&ms, start, stop));
    best_ms = std::min(best_ms, ms / 4);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  m.gemms = std::max<std::int64_t>(1, std::llround(target.value * 1e3 / std::max(best_ms, 1e-3f)));
}

CudaComputePhase::~CudaComputePhase() {
  if (!impl_) return;
  cudaSetDevice(impl_->device);
  if (impl_->handle) cublasDestroy(impl_->handle);
  cudaFree(impl_->a);
  cudaFree(impl_->b);
  cudaFree(impl_->c);
}

Seconds CudaComputePhase::run() {
  Impl& m = *impl_;
  CKPTLAB_CUDA(cudaSetDevice(m.device));
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < m.gemms; ++i) m.gemm();
  CKPTLAB_CUDA(cudaStreamSynchronize(m.stream));
  return Seconds{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

std::int64_t CudaComputePhase::gemms() const { return impl_->gemms; }

}  // namespace ckptlab::hw
