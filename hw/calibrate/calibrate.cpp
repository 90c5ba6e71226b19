#include "hw/calibrate/calibrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "hw/host/compute_phase.hpp"

namespace ckptlab::hw {

const PathTable& Calibration::table(const std::string& name) const {
  for (const PathTable& t : tables) {
    if (t.name == name) return t;
  }
  throw std::out_of_range("calibration has no table " + name);
}

bool Calibration::has_table(const std::string& name) const {
  return std::any_of(tables.begin(), tables.end(),
                     [&](const PathTable& t) { return t.name == name; });
}

std::string Calibration::report() const {
  std::string out =
      fmt::format("# ckptlab calibrate --backend {} on {}, {}\n", backend, machine, date);
  for (const PathTable& t : tables) out += "\n" + format_table(t);
  if (!slowdown.empty()) out += "\n" + format_slowdown_table(slowdown, ranks, compute_target);
  return out;
}

std::vector<std::int64_t> default_calibration_sizes() {
  std::vector<std::int64_t> sizes;
  for (std::int64_t s = 64 << 10; s <= (64 << 20); s *= 4) sizes.push_back(s);
  return sizes;
}

Calibration calibrate_host(const CalibrationOptions& o) {
  if (o.dir.empty())
    throw std::invalid_argument("calibrate needs a directory for the storage paths");
  if (o.ranks < 1 || o.iterations < 1 || o.warmup < 0) {
    throw std::invalid_argument("calibrate: ranks and iterations must be >= 1, warm-up >= 0");
  }
  std::vector<std::int64_t> sizes = o.sizes.empty() ? default_calibration_sizes() : o.sizes;
  for (std::int64_t& s : sizes) {
    if (s < 8) throw std::invalid_argument("calibrate: sizes must be at least 8 bytes");
    s = s / 8 * 8;  // whole 8-byte words, the unit of the data checks
  }
  Calibration c;
  c.machine = c.device = host_cpu_model();
  c.date = local_date();
  c.ranks = o.ranks;
  c.host_memory = host_memory_total();
  c.gpu_memory = c.host_memory;
  RankTeam team(o.ranks);
  std::vector<std::unique_ptr<BenchPath>> paths;
  paths.push_back(make_host_copy_path());
  paths.push_back(make_loopback_path(o.socket_timeout));
  paths.push_back(make_storage_write_path(o.dir));
  paths.push_back(make_storage_read_path(o.dir));
  paths.push_back(make_checksum_path());
  for (auto& p : paths) c.tables.push_back(run_bench(*p, sizes, team, o.warmup, o.iterations));

  ComputePhase phase(o.compute);
  std::vector<double> alone;
  for (int i = 0; i < 3; ++i) alone.push_back(phase.run().value);
  std::sort(alone.begin(), alone.end());
  c.compute = Seconds{alone[1]};
  c.compute_target = o.compute;
  // The two largest sizes: checkpoint-sized background work.
  std::vector<std::int64_t> busy(
      sizes.end() - std::min<std::ptrdiff_t>(2, static_cast<std::ptrdiff_t>(sizes.size())),
      sizes.end());
  c.slowdown = measure_compute_slowdown(busy, o.ranks, o.compute, o.dir, o.slowdown_repeats);
  return c;
}

std::string host_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string m = line.substr(colon + 1);
        m.erase(0, m.find_first_not_of(" \t"));
        if (!m.empty()) return m;
      }
    }
  }
  return "unknown CPU";
}

Bytes host_memory_total() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  std::int64_t kib = 0;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return Bytes{kib * 1024};
  }
  return Bytes{0};
}

std::string local_date() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace ckptlab::hw
