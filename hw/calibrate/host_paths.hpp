// The measured paths of the host backend, one file each (nccl-tests' one file per collective).
// Every path moves `bytes` per rank per iteration, all ranks at once, and checks the data.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "hw/common/bench_harness.hpp"
#include "util/units.hpp"

namespace ckptlab::hw {

// host_copy.cpp: memcpy from each rank's state buffer to its page-locked snapshot buffer, the
// host analogue of the GPU -> host copy of a snapshot (and of host -> GPU on a load).
std::unique_ptr<BenchPath> make_host_copy_path();
// loopback_sendrecv.cpp: each rank sends to the next over a loopback TCP link, framed and XXH3-
// checked exactly as the host executor replicates (the host analogue of the NIC).
std::unique_ptr<BenchPath> make_loopback_path(Seconds timeout);
// storage_io.cpp: each rank writes a shard file (temp + fsync + rename) / reads it back with the
// page cache dropped first (posix_fadvise), in `dir`.
std::unique_ptr<BenchPath> make_storage_write_path(const std::filesystem::path& dir);
std::unique_ptr<BenchPath> make_storage_read_path(const std::filesystem::path& dir);
// checksum.cpp: XXH3-64 over each rank's buffer, checked against the streaming API.
std::unique_ptr<BenchPath> make_checksum_path();

// compute_slowdown.cpp: how much longer the compute phase takes while every rank runs
// checkpoint work in the background (copy into a snapshot buffer, then persist it as a shard file
// with fsync, over and over), against the phase alone; and the other way round, how much longer
// one such background cycle takes beside the compute phase than with nothing beside it.
struct SlowdownRow {
  std::int64_t bytes = 0;   // per rank and background cycle
  double alone_s = 0;       // median compute phase, nothing in the background
  double busy_s = 0;        // median compute phase beside the background work
  double slowdown = 0;      // busy / alone - 1
  std::int64_t cycles = 0;  // background checkpoint cycles completed meanwhile
  std::int64_t wrong = 0;   // words of the persisted snapshots that did not read back
  double cycle_alone_s = 0;  // median background cycle, every rank's at once, no compute
  double cycle_busy_s = 0;   // median cycle that ran entirely beside the compute phase
  // cycle_alone_s / cycle_busy_s, in (0, 1]: the profile's background_efficiency (1 when no
  // cycle ran entirely beside the compute phase).
  double efficiency = 1;
};
std::vector<SlowdownRow> measure_compute_slowdown(const std::vector<std::int64_t>& sizes, int ranks,
                                                  Seconds compute, const std::filesystem::path& dir,
                                                  int repeats);
std::string format_slowdown_table(const std::vector<SlowdownRow>& rows, int ranks, Seconds compute);

}  // namespace ckptlab::hw
