// The NCCL communicator of the CUDA backend, bootstrapped as nccl-tests do: one rank per GPU;
// in a multi-process job (mpirun, one process per GPU) rank 0 creates the NCCL unique id,
// MPI_Bcast hands it to every process, and each calls ncclCommInitRank on its own GPU; in one
// process the local GPUs form the communicator (ncclCommInitAll) and a single GPU is a
// one-rank communicator (send/recv to itself), which is what the lent H100/H200 machines allow.
//
// NCCL and MPI are optional at build time (CKPTLAB_HAVE_NCCL, CKPTLAB_HAVE_MPI): without them
// the calls that need them throw CudaError saying so, and everything else still builds.
// Plain C++ header.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace ckptlab::hw {

struct NcclTransfer {
  int local = 0;               // which of this process's ranks (index into local ranks)
  const void* send = nullptr;  // device buffer sent to `to`
  void* recv = nullptr;        // device buffer received from `from`
  std::size_t bytes = 0;
  int to = 0;  // global ranks
  int from = 0;
  void* stream = nullptr;  // cudaStream_t of the local rank
};

class NcclComm {
 public:
  // Whether this build has NCCL (and MPI for init_mpi).
  static bool built_with_nccl();
  static bool built_with_mpi();
  // The local GPUs `devices` as ranks 0..n-1 of one communicator.
  static std::unique_ptr<NcclComm> init_local(const std::vector<int>& devices);
  // One rank per MPI process on `device`. REQUIRES: MPI_Init was called (the CLI does it under
  // mpirun); world = MPI_COMM_WORLD's size.
  static std::unique_ptr<NcclComm> init_mpi(int device);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  int size() const;         // global ranks
  int local_count() const;  // ranks of this process
  int global_rank(int local) const;
  int device(int local) const;
  // Every transfer's send and receive in one NCCL group (so a ring of sends cannot deadlock),
  // then waits for their streams. Throws CudaError on an NCCL error.
  void sendrecv(const std::vector<NcclTransfer>& transfers);
  // All-gather of `bytes` per rank from each local rank's `send` into its `recv` (size * bytes).
  void all_gather(const std::vector<NcclTransfer>& per_local);
  std::string version() const;  // "NCCL 2.28.9"

 private:
  NcclComm();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckptlab::hw
