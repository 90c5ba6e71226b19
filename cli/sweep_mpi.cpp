#include "sweep_mpi.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <exception>
#include <limits>
#include <stdexcept>

#include "util/input_error.hpp"

#ifdef CKPTLAB_HAVE_MPI
#include <dlfcn.h>
#include <mpi.h>

#include <cstring>
#endif

namespace ckptlab {

namespace {

// Rank count announced by the launcher: Open MPI's mpirun, or a PMI-1 launcher (MPICH's hydra,
// Slurm's srun --mpi=pmi2). PMIx-only launchers set no size; they are covered when Open MPI's
// own variable is also set, which its PMIx launches do.
long launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (const char* v = std::getenv(name)) return std::strtol(v, nullptr, 10);
  }
  return 1;
}

constexpr int kResultTag = 7;

}  // namespace

bool launched_as_mpi_ranks() { return launcher_world_size() > 1; }

#ifdef CKPTLAB_HAVE_MPI

namespace {

// libsimgrid.so defines the MPI API too (SMPI); if the dynamic linker bound MPI_Init to it (a
// link order changed), SMPI would abort the ranks with "not properly initialized". Say so.
void require_real_mpi() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&MPI_Init), &info) == 0 || info.dli_fname == nullptr) return;
  if (std::strstr(info.dli_fname, "simgrid") != nullptr) {
    throw std::runtime_error(fmt::format(
        "MPI_Init resolves to {} (SimGrid's SMPI) instead of Open MPI: ckptlab must be linked "
        "with MPI before SimGrid (cli/CMakeLists.txt)",
        info.dli_fname));
  }
}

}  // namespace

MpiSession::MpiSession() {
  if (!launched_as_mpi_ranks()) return;
  require_real_mpi();
  MPI_Init(nullptr, nullptr);
  active_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (!active_) return;
  if (std::uncaught_exceptions() > 0) MPI_Abort(MPI_COMM_WORLD, 1);
  MPI_Finalize();
}

void MpiSession::send_to_root(const std::string& message) const {
  CKPTLAB_CHECK(active_ && rank_ != 0, "only ranks other than 0 send results to rank 0");
  if (message.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::runtime_error(
        fmt::format("a point's results ({} bytes) exceed one MPI message", message.size()));
  }
  MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, 0, kResultTag,
           MPI_COMM_WORLD);
}

std::string MpiSession::receive_from(int from) const {
  CKPTLAB_CHECK(active_ && rank_ == 0 && from > 0 && from < size_, "rank 0 receives from others");
  MPI_Status status;
  MPI_Probe(from, kResultTag, MPI_COMM_WORLD, &status);
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  std::string message(static_cast<std::size_t>(count), '\0');
  MPI_Recv(message.data(), count, MPI_BYTE, from, kResultTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return message;
}

#else

MpiSession::MpiSession() {
  if (launched_as_mpi_ranks()) {
    throw std::invalid_argument(fmt::format(
        "started as {} MPI ranks, but this ckptlab was built without MPI (install libopenmpi-dev "
        "and rebuild); each rank would run the whole sweep",
        launcher_world_size()));
  }
}

MpiSession::~MpiSession() = default;

void MpiSession::send_to_root(const std::string&) const {
  CKPTLAB_CHECK(false, "send_to_root without MPI");
}

std::string MpiSession::receive_from(int) const {
  CKPTLAB_CHECK(false, "receive_from without MPI");
  return {};
}

#endif

}  // namespace ckptlab
