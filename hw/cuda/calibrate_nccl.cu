// NCCL send/recv and all-gather, as nccl-tests measure them (sendrecv.cu, all_gather.cu): rank r
// sends to r + 1 and receives from r - 1 (a single rank sends to itself), and the all-gather's
// bus bandwidth is algbw * (n - 1) / n.
#include <cuda_runtime.h>

#include <vector>

#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/cuda_paths.hpp"
#include "hw/cuda/nccl_comm.hpp"

namespace ckptlab::hw {
namespace {

class NcclPath final : public BenchPath {
 public:
  NcclPath(NcclComm& comm, bool gather) : comm_(comm), gather_(gather) {}
  ~NcclPath() override { release(); }
  std::string name() const override { return gather_ ? "nccl_all_gather" : "nccl_sendrecv"; }
  std::string description() const override {
    return cuda_detail::str(gather_ ? "ncclAllGather" : "ncclSend/ncclRecv to the next rank",
                            " over ", comm_.size(), " NCCL rank(s) (", comm_.version(), ")");
  }
  double bus_factor(int) const override {
    const double n = comm_.size();
    return gather_ ? (n - 1) / n : 1.0;
  }
  std::string bus_formula() const override {
    return gather_ ? "busbw = algbw * (n - 1) / n (nccl-tests all_gather)"
                   : "busbw = algbw (nccl-tests sendrecv)";
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    if (team.ranks() != comm_.local_count())
      throw std::invalid_argument("one team rank per local NCCL rank");
    release();
    bytes_ = static_cast<std::size_t>(bytes);
    for (int l = 0; l < comm_.local_count(); ++l) {
      CKPTLAB_CUDA(cudaSetDevice(comm_.device(l)));
      void *s = nullptr, *d = nullptr;
      CKPTLAB_CUDA(cudaMalloc(&s, bytes_));
      CKPTLAB_CUDA(cudaMalloc(&d, gather_ ? bytes_ * static_cast<size_t>(comm_.size()) : bytes_));
      cudaStream_t st;
      CKPTLAB_CUDA(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
      std::vector<std::uint64_t> pattern(bytes_ / 8);
      fill_pattern(pattern.data(), pattern.size(), 700 + comm_.global_rank(l));
      CKPTLAB_CUDA(cudaMemcpy(s, pattern.data(), bytes_, cudaMemcpyHostToDevice));
      send_.push_back(s);
      recv_.push_back(d);
      streams_.push_back(st);
    }
  }
  void run(RankTeam&) override {
    std::vector<NcclTransfer> t;
    const int n = comm_.size();
    for (int l = 0; l < comm_.local_count(); ++l) {
      const int g = comm_.global_rank(l);
      t.push_back({l, send_[static_cast<size_t>(l)], recv_[static_cast<size_t>(l)], bytes_,
                   (g + 1) % n, (g - 1 + n) % n, streams_[static_cast<size_t>(l)]});
    }
    if (gather_) {
      comm_.all_gather(t);
    } else {
      comm_.sendrecv(t);  // one group over every local rank: a ring cannot deadlock
    }
  }
  std::int64_t check(RankTeam&) override {
    std::int64_t wrong = 0;
    const int n = comm_.size();
    for (int l = 0; l < comm_.local_count(); ++l) {
      CKPTLAB_CUDA(cudaSetDevice(comm_.device(l)));
      const int g = comm_.global_rank(l);
      const int parts = gather_ ? n : 1;
      std::vector<std::uint64_t> out(bytes_ / 8 * static_cast<size_t>(parts));
      CKPTLAB_CUDA(cudaMemcpy(out.data(), recv_[static_cast<size_t>(l)], out.size() * 8,
                              cudaMemcpyDeviceToHost));
      for (int p = 0; p < parts; ++p) {
        const int origin = gather_ ? p : (g - 1 + n) % n;
        wrong += count_wrong(out.data() + static_cast<size_t>(p) * (bytes_ / 8), bytes_ / 8,
                             700 + origin);
      }
    }
    return wrong;
  }
  void release() override {
    for (size_t l = 0; l < send_.size(); ++l) {
      cudaSetDevice(comm_.device(static_cast<int>(l)));
      cudaFree(send_[l]);
      cudaFree(recv_[l]);
      cudaStreamDestroy(streams_[l]);
    }
    send_.clear();
    recv_.clear();
    streams_.clear();
  }

 private:
  NcclComm& comm_;
  bool gather_;
  std::size_t bytes_ = 0;
  std::vector<void*> send_, recv_;
  std::vector<cudaStream_t> streams_;
};

}  // namespace

std::unique_ptr<BenchPath> make_nccl_sendrecv_path(NcclComm& comm) {
  return std::make_unique<NcclPath>(comm, false);
}
std::unique_ptr<BenchPath> make_nccl_all_gather_path(NcclComm& comm) {
  return std::make_unique<NcclPath>(comm, true);
}

}  // namespace ckptlab::hw
