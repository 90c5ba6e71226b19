// A sweep launched by mpirun: which rank this process is, and moving results to rank 0.
//
// No shared file system is assumed: each rank writes its points under its own <out>/points/, and
// sends every point's files to rank 0, which writes the ones it lacks and then sweep.csv, so
// rank 0's <out> ends complete. MPI is optional (CKPTLAB_HAVE_MPI, set by CMake when Open MPI is
// found); without it a process is always rank 0 of 1.
#pragma once

#include <string>

namespace ckptlab {

// True when a process manager (Open MPI's mpirun, a PMI/PMIx launcher such as srun) started this
// process as one of more than one rank. Reads the launcher's environment only; starts nothing.
bool launched_as_mpi_ranks();

class MpiSession {
 public:
  // Starts MPI when launched_as_mpi_ranks(), else a session of rank 0 of 1 that does nothing.
  // Throws std::invalid_argument when launched as several ranks by a build without MPI: each
  // rank would otherwise run the whole sweep and race the others for the same files.
  MpiSession();
  // MPI_Finalize; while an exception unwinds, MPI_Abort instead (status 1), because the other
  // ranks may be blocked sending to this one and would otherwise wait forever.
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Sends one message (any bytes) to rank 0. REQUIRES: rank() != 0. Blocks until buffered or
  // received. Messages from one rank arrive in the order sent.
  void send_to_root(const std::string& message) const;
  // Receives the next message from `from`. REQUIRES: rank() == 0, 0 < from < size(). Blocks.
  std::string receive_from(int from) const;

 private:
  bool active_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace ckptlab
