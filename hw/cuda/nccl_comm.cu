#include <cuda_runtime.h>

#include <string>

#include "hw/cuda/cuda_check.hpp"
#include "hw/cuda/nccl_comm.hpp"

#ifdef CKPTLAB_HAVE_NCCL
#include <nccl.h>
#endif
#ifdef CKPTLAB_HAVE_MPI
#include <mpi.h>
#endif

namespace ckptlab::hw {
namespace {

#ifdef CKPTLAB_HAVE_NCCL
void nccl_check(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw CudaError(std::string(what) + " failed: " + ncclGetErrorString(r));
}
#endif

#ifndef CKPTLAB_HAVE_NCCL
[[noreturn]] void no_nccl() {
  throw CudaError("this build has no NCCL (nccl.h not found at configure time)");
}
#endif

}  // namespace

struct NcclComm::Impl {
#ifdef CKPTLAB_HAVE_NCCL
  std::vector<ncclComm_t> comms;
#endif
  std::vector<int> devices;
  std::vector<int> ranks;
  int size = 0;
};

NcclComm::NcclComm() : impl_(std::make_unique<Impl>()) {}

NcclComm::~NcclComm() {
#ifdef CKPTLAB_HAVE_NCCL
  if (impl_) {
    for (ncclComm_t c : impl_->comms) ncclCommDestroy(c);
  }
#endif
}

bool NcclComm::built_with_nccl() {
#ifdef CKPTLAB_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

bool NcclComm::built_with_mpi() {
#ifdef CKPTLAB_HAVE_MPI
  return true;
#else
  return false;
#endif
}

std::unique_ptr<NcclComm> NcclComm::init_local(const std::vector<int>& devices) {
#ifdef CKPTLAB_HAVE_NCCL
  if (devices.empty())
    throw std::invalid_argument("NcclComm::init_local needs at least one device");
  std::unique_ptr<NcclComm> c(new NcclComm());
  c->impl_->devices = devices;
  c->impl_->size = static_cast<int>(devices.size());
  c->impl_->comms.resize(devices.size());
  nccl_check(
      ncclCommInitAll(c->impl_->comms.data(), static_cast<int>(devices.size()), devices.data()),
      "ncclCommInitAll");
  for (size_t i = 0; i < devices.size(); ++i) c->impl_->ranks.push_back(static_cast<int>(i));
  return c;
#else
  (void)devices;
  no_nccl();
#endif
}

std::unique_ptr<NcclComm> NcclComm::init_mpi(int device) {
#if defined(CKPTLAB_HAVE_NCCL) && defined(CKPTLAB_HAVE_MPI)
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw CudaError("NcclComm::init_mpi: MPI_Init has not been called");
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ncclUniqueId id;
  if (rank == 0) nccl_check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);  // nccl-tests' bootstrap
  CKPTLAB_CUDA(cudaSetDevice(device));
  std::unique_ptr<NcclComm> c(new NcclComm());
  c->impl_->comms.resize(1);
  nccl_check(ncclCommInitRank(&c->impl_->comms[0], size, id, rank), "ncclCommInitRank");
  c->impl_->devices = {device};
  c->impl_->ranks = {rank};
  c->impl_->size = size;
  return c;
#else
  (void)device;
  throw CudaError(built_with_nccl()
                      ? "this build has no MPI: multi-process NCCL needs it"
                      : "this build has no NCCL (nccl.h not found at configure time)");
#endif
}

int NcclComm::size() const { return impl_->size; }
int NcclComm::local_count() const { return static_cast<int>(impl_->ranks.size()); }
int NcclComm::global_rank(int local) const { return impl_->ranks.at(static_cast<size_t>(local)); }
int NcclComm::device(int local) const { return impl_->devices.at(static_cast<size_t>(local)); }

void NcclComm::sendrecv(const std::vector<NcclTransfer>& transfers) {
#ifdef CKPTLAB_HAVE_NCCL
  nccl_check(ncclGroupStart(), "ncclGroupStart");
  for (const NcclTransfer& t : transfers) {
    ncclComm_t comm = impl_->comms.at(static_cast<size_t>(t.local));
    auto stream = static_cast<cudaStream_t>(t.stream);
    nccl_check(ncclSend(t.send, t.bytes, ncclUint8, t.to, comm, stream), "ncclSend");
    nccl_check(ncclRecv(t.recv, t.bytes, ncclUint8, t.from, comm, stream), "ncclRecv");
  }
  nccl_check(ncclGroupEnd(), "ncclGroupEnd");
  for (const NcclTransfer& t : transfers) {
    CKPTLAB_CUDA(cudaSetDevice(device(t.local)));
    CKPTLAB_CUDA(cudaStreamSynchronize(static_cast<cudaStream_t>(t.stream)));
  }
#else
  (void)transfers;
  no_nccl();
#endif
}

void NcclComm::all_gather(const std::vector<NcclTransfer>& per_local) {
#ifdef CKPTLAB_HAVE_NCCL
  nccl_check(ncclGroupStart(), "ncclGroupStart");
  for (const NcclTransfer& t : per_local) {
    nccl_check(ncclAllGather(t.send, t.recv, t.bytes, ncclUint8,
                             impl_->comms.at(static_cast<size_t>(t.local)),
                             static_cast<cudaStream_t>(t.stream)),
               "ncclAllGather");
  }
  nccl_check(ncclGroupEnd(), "ncclGroupEnd");
  for (const NcclTransfer& t : per_local) {
    CKPTLAB_CUDA(cudaSetDevice(device(t.local)));
    CKPTLAB_CUDA(cudaStreamSynchronize(static_cast<cudaStream_t>(t.stream)));
  }
#else
  (void)per_local;
  no_nccl();
#endif
}

std::string NcclComm::version() const {
#ifdef CKPTLAB_HAVE_NCCL
  int v = 0;
  ncclGetVersion(&v);
  return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
#else
  return "no NCCL";
#endif
}

}  // namespace ckptlab::hw
