#include "hw/calibrate/cuda_calibrate.hpp"

#ifdef CKPTLAB_HAVE_CUDA

#include <fmt/format.h>

#include <memory>

#include "hw/cuda/cuda_paths.hpp"
#include "hw/cuda/device_info.hpp"
#include "hw/cuda/nccl_comm.hpp"

namespace ckptlab::hw {

bool cuda_calibration_possible(std::string* why) {
  const auto info = query_cuda_device(0);
  if (!info && why) *why = "no CUDA device present";
  return info.has_value();
}

Calibration calibrate_cuda(const CalibrationOptions& o) {
  const auto info = query_cuda_device(0);
  if (!info) throw CudaError("no CUDA device present");
  // The host paths first (storage, loopback, checksum, their slow-down), then the device ones.
  Calibration c = calibrate_host(o);
  c.backend = "cuda";
  c.device = info->name;
  c.gpu_memory = info->total_memory;
  std::unique_ptr<NcclComm> comm;
  std::string nccl = "no NCCL";
  if (NcclComm::built_with_nccl()) {
    comm = NcclComm::init_local({0});  // one GPU: a one-rank communicator (sends to itself)
    nccl = comm->version();
  }
  c.machine = fmt::format("{} ({} GB, compute {}.{}), {}, {}", info->name,
                          info->total_memory.value / 1000000000, info->compute_major,
                          info->compute_minor, cuda_versions(), nccl);
  RankTeam one(1);  // one rank per GPU: what NCCL allows and what the profile's per-GPU keys mean
  std::vector<std::int64_t> sizes = o.sizes.empty() ? default_calibration_sizes() : o.sizes;
  for (const bool pinned : {true, false}) {
    for (const CopyDirection d : {CopyDirection::kDeviceToHost, CopyDirection::kHostToDevice}) {
      auto path = make_cuda_copy_path(d, pinned, 0);
      c.tables.push_back(run_bench(*path, sizes, one, o.warmup, o.iterations));
    }
  }
  if (comm) {
    c.tables.push_back(
        run_bench(*make_nccl_sendrecv_path(*comm), sizes, one, o.warmup, o.iterations));
    c.tables.push_back(
        run_bench(*make_nccl_all_gather_path(*comm), sizes, one, o.warmup, o.iterations));
  }
  const CudaSlowdown s = measure_cuda_slowdown(0, sizes.back(), o.compute, o.slowdown_repeats);
  c.slowdown = {{sizes.back(), s.alone_s, s.busy_s,
                 s.alone_s > 0 ? std::max(0.0, s.busy_s / s.alone_s - 1) : 0, s.copies, s.wrong}};
  c.compute = Seconds{s.alone_s};
  c.compute_target = o.compute;
  return c;
}

}  // namespace ckptlab::hw

#else

namespace ckptlab::hw {
bool cuda_calibration_possible(std::string* why) {
  if (why) *why = "this build has no CUDA backend (no nvcc at configure time)";
  return false;
}
Calibration calibrate_cuda(const CalibrationOptions&) {
  throw std::runtime_error("this build has no CUDA backend (no nvcc at configure time)");
}
}  // namespace ckptlab::hw

#endif
