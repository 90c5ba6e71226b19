// The measured paths of the CUDA backend, for `ckptlab calibrate --backend cuda` (the harness
// and the table are hw/common/bench_harness; one file per path, as in nccl-tests):
//   calibrate_copy.cu: cudaMemcpyAsync device -> host and host -> device, pinned and pageable
//   calibrate_nccl.cu: NCCL send/recv (to the next rank; a single GPU sends to itself) and
//                      all-gather, with nccl-tests' bus-bandwidth factors
//   calibrate_slowdown.cu: the cuBLAS compute phase alone and beside snapshot copies
// Plain C++ header.
#pragma once

#include <cstdint>
#include <memory>

#include "hw/common/bench_harness.hpp"
#include "util/units.hpp"

namespace ckptlab::hw {

class NcclComm;

enum class CopyDirection { kDeviceToHost, kHostToDevice };
// Every rank of the team copies on its own stream of `device`, so several ranks measure how
// the copies share one PCIe link.
std::unique_ptr<BenchPath> make_cuda_copy_path(CopyDirection direction, bool pinned, int device);
// `comm` must outlive the path; one team rank per local NCCL rank.
std::unique_ptr<BenchPath> make_nccl_sendrecv_path(NcclComm& comm);
std::unique_ptr<BenchPath> make_nccl_all_gather_path(NcclComm& comm);

struct CudaSlowdown {
  double alone_s = 0;
  double busy_s = 0;
  std::int64_t copies = 0;  // snapshot copies completed meanwhile
  std::int64_t wrong = 0;   // words of the last snapshot that differ from the device state
};
// The compute phase (cuBLAS SGEMMs, `compute` long) alone and while `bytes` device -> pinned
// host snapshots loop on another stream; medians over `repeats`.
CudaSlowdown measure_cuda_slowdown(int device, std::int64_t bytes, Seconds compute, int repeats);

}  // namespace ckptlab::hw
