// CudaExecutor: the CUDA backend (DESIGN.md §5 "hw"). The same plans as the host backend, on a
// GPU-resident CudaTrainer:
//   snapshot  (GPU -> host)       cudaMemcpyAsync of each shard into one of two pinned
//                                 (cudaHostAlloc) slots per rank, on the rank's own copy stream
//                                 (non-blocking: it overlaps the compute stream); events time
//                                 the device side
//   replicate (host -> peer host) NCCL send/recv of the rank's state to rank (r + 1) % world,
//                                 received into a device staging buffer and copied to the peer's
//                                 pinned replica slot (one harness rank per GPU: NCCL's rule)
//   persist   (host -> disk)      the pinned slot as checksummed shard files (CheckpointStore)
//   load      (tier -> GPU)       pinned slot, or read + verify from disk into the pinned slot,
//                                 then cudaMemcpyAsync host -> device; a version that fails
//                                 verification on any rank is dropped for all of them
//   recompute / replay / barrier  as on the host
// Op times come from the PlanRunner's steady clock (the host thread waits for each copy);
// last_copy_device_seconds() gives the event-timed device side of the last snapshot or load, for
// the "snapshot throughput vs plain cudaMemcpyAsync peak" goal. The failure hook and its points
// are the host executor's (plan_report.hpp).
//
// Plain C++ header: callers need neither nvcc nor the CUDA headers.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "exec/executor.hpp"
#include "hw/common/plan_report.hpp"
#include "hw/cuda/cuda_trainer.hpp"
#include "hw/cuda/nccl_comm.hpp"

namespace ckptlab::hw {

struct CudaExecutorOptions {
  std::filesystem::path storage_dir;
  std::filesystem::path local_disk_dir;  // empty: storage_dir + "-local"
  int keep_versions = 2;
  bool cold_reads = true;
};

class CudaExecutor final : public Executor {
 public:
  // `comm` (optional) carries replication; without it replicate ops fail with a clear error.
  // REQUIRES with a comm: comm->size() == trainer.world(), i.e. one process holding every rank
  // (NcclComm::init_local, one rank per local GPU; a single GPU is a one-rank job). A
  // multi-process run (NcclComm::init_mpi, one rank per process) needs the executor to map its
  // local rank into the plan's global ranks: not wired yet.
  CudaExecutor(CudaTrainer& trainer, CudaExecutorOptions options, NcclComm* comm = nullptr);
  ~CudaExecutor() override;

  PlanTiming execute(const Plan& plan) override;  // start + finish; throws when not ok
  std::string backend_name() const override { return "cuda"; }
  std::string method() const override;

  void start(const Plan& plan);  // returns when the blocking ops have ended
  bool in_flight() const;
  bool running() const;
  // Some op of the started plan still reads the live (device) state: the caller must not
  // update it until wait_gpu_reads() returns.
  bool gpu_reads_in_flight() const;
  void wait_gpu_reads();
  PlanReport finish();
  void cancel();
  void set_failure_hook(FailureHook hook);
  void set_load_version(std::optional<std::int64_t> version);
  std::optional<std::int64_t> newest_complete(Tier tier) const;
  // The node of `rank` failed: its pinned slots and the replicas it held are lost. REQUIRES:
  // nothing in flight.
  void lose_host_memory(int rank);
  double last_copy_device_seconds(int rank) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckptlab::hw
