// `ckptlab calibrate`: measures the HardwareProfile of the machine the harness runs on, with
// data checks, and writes it as YAML a scenario loads with `hardware: <file>`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/common/bench_harness.hpp"
#include "util/units.hpp"

namespace ckptlab::hw {

struct CalibrationOptions {
  std::vector<std::int64_t> sizes;  // bytes per rank; empty: 64 KiB .. 64 MiB, x4 steps
  int ranks = 4;                    // ranks copying at once, as the harness runs them
  int warmup = 1;
  int iterations = 5;
  std::filesystem::path dir;  // where the storage paths write (REQUIRED)
  Seconds compute{0.05};      // compute phase of the slow-down measurement
  int slowdown_repeats = 5;
  Seconds socket_timeout{30};
};

struct Calibration {
  std::string backend = "host";
  std::string device;   // what the profile is named after: CPU model (host) or GPU name (cuda)
  std::string machine;  // the stamp: CPU model, or GPU name with driver, CUDA and NCCL versions
  std::string date;     // YYYY-MM-DD, local time of the measurement
  int ranks = 1;
  std::vector<PathTable> tables;
  std::vector<SlowdownRow> slowdown;
  Seconds compute;         // the compute phase, measured alone (the profile's iteration_time)
  Seconds compute_target;  // what it was sized to on an idle core
  Bytes host_memory;       // MemTotal
  Bytes gpu_memory;        // the device's memory (host backend: host memory holds the state)
  const PathTable& table(const std::string& name) const;  // std::out_of_range if absent
  bool has_table(const std::string& name) const;
  std::string report() const;  // every table, nccl-tests style
};

std::vector<std::int64_t> default_calibration_sizes();
// Runs every host path and the slow-down measurement. Throws std::invalid_argument for bad
// options, and whatever the paths throw (I/O, socket) on failure.
Calibration calibrate_host(const CalibrationOptions& options);

// Which row of each table the profile takes: the transfer size of the run it will predict
// (0: the largest size measured, what a checkpoint-sized transfer sees). The host executor
// copies and writes shard by shard and sends a rank's state in one message, so `validate` asks
// for its mean shard size and its rank size.
struct ProfileRows {
  std::int64_t copy_bytes = 0;     // memcpy / cudaMemcpy (per shard)
  std::int64_t network_bytes = 0;  // loopback / NCCL (per message)
  std::int64_t storage_bytes = 0;  // shard-file write and read (per file)
};
// The row of `t` whose size is nearest to `bytes` on a log scale (the largest for 0).
const BenchRow& row_for(const PathTable& t, std::int64_t bytes);

// The profile as YAML with exactly the keys decode_hardware reads, each value from the row
// `rows` selects, and a `sources:` entry per key saying "measured by ckptlab calibrate on
// <machine>, <date>" and which path, size and figure it is.
std::string profile_yaml(const Calibration& c, const std::string& name,
                         const ProfileRows& rows = {});
// "host-amd-epyc-measured": the file-name stem for a host calibration of `machine`.
std::string measured_profile_name(const std::string& backend, const std::string& machine);

std::string host_cpu_model();  // /proc/cpuinfo "model name", or "unknown CPU"
Bytes host_memory_total();     // /proc/meminfo MemTotal
std::string local_date();      // YYYY-MM-DD

}  // namespace ckptlab::hw
