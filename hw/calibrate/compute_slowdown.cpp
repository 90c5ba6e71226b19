// Slow-down of the compute phase while checkpoint work runs beside it: the profile's
// background_slowdown. Each rank's background thread repeats one async checkpoint cycle (copy its
// state into a snapshot buffer, persist it as a shard file with fsync) while the compute phase
// runs on the calling thread; the phase's median time is compared with its median alone.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/host/compute_phase.hpp"
#include "hw/host/host_buffer.hpp"
#include "hw/persist/shard_file.hpp"

namespace ckptlab::hw {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

std::vector<SlowdownRow> measure_compute_slowdown(const std::vector<std::int64_t>& sizes, int ranks,
                                                  Seconds compute, const std::filesystem::path& dir,
                                                  int repeats) {
  std::filesystem::create_directories(dir);
  ComputePhase phase(compute);
  std::vector<SlowdownRow> rows;
  for (std::int64_t bytes : sizes) {
    SlowdownRow row;
    row.bytes = bytes;
    std::vector<double> alone, busy;
    for (int i = 0; i < repeats; ++i) alone.push_back(phase.run().value);

    std::vector<HostBuffer> state, slot;
    for (int r = 0; r < ranks; ++r) {
      state.emplace_back(static_cast<std::size_t>(bytes));
      slot.emplace_back(static_cast<std::size_t>(bytes), true);
      fill_pattern(reinterpret_cast<std::uint64_t*>(state.back().data()), state.back().size() / 8,
                   90 + r);
    }
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> cycles{0};
    std::vector<std::thread> background;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      background.emplace_back([&, r] {
        const auto path = dir / ("slowdown" + std::to_string(r) + ".ckpt");
        try {
          do {  // at least one cycle, then until the caller's `repeats` phases are done
            std::memcpy(slot[static_cast<size_t>(r)].data(), state[static_cast<size_t>(r)].data(),
                        slot[static_cast<size_t>(r)].size());
            write_shard_file(path, {0, r, "slowdown"}, slot[static_cast<size_t>(r)].span());
            ++cycles;
          } while (!stop.load());
        } catch (...) {
          errors[static_cast<size_t>(r)] = std::current_exception();
        }
      });
    }
    for (int i = 0; i < repeats; ++i) busy.push_back(phase.run().value);
    stop = true;
    for (std::thread& t : background) t.join();
    for (const auto& e : errors) {
      if (e) std::rethrow_exception(e);
    }
    for (int r = 0; r < ranks; ++r) {
      const auto path = dir / ("slowdown" + std::to_string(r) + ".ckpt");
      const ShardFile f = read_shard_file(path);
      row.wrong += f.data.size() != static_cast<std::size_t>(bytes)
                       ? bytes / 8
                       : count_wrong(reinterpret_cast<const std::uint64_t*>(f.data.data()),
                                     f.data.size() / 8, 90 + r);
      std::filesystem::remove(path);
    }
    row.alone_s = median(alone);
    row.busy_s = median(busy);
    row.slowdown = row.alone_s > 0 ? std::max(0.0, row.busy_s / row.alone_s - 1) : 0;
    row.cycles = cycles.load();
    rows.push_back(row);
  }
  return rows;
}

std::string format_slowdown_table(const std::vector<SlowdownRow>& rows, int ranks,
                                  Seconds compute) {
  std::string out = fmt::format(
      "# compute_slowdown: compute phase ({:.0f} ms target) alone vs beside {} rank(s) looping "
      "snapshot memcpy + shard-file persist with fsync\n",
      compute.value * 1e3, ranks);
  out += fmt::format("#{:>12} {:>12} {:>12} {:>10} {:>8} {:>7}\n", "size", "alone(ms)", "busy(ms)",
                     "slowdown", "cycles", "#wrong");
  for (const SlowdownRow& r : rows) {
    out += fmt::format(" {:>12} {:>12.2f} {:>12.2f} {:>9.1f}% {:>8} {:>7}\n", r.bytes,
                       r.alone_s * 1e3, r.busy_s * 1e3, r.slowdown * 100, r.cycles, r.wrong);
  }
  return out;
}

}  // namespace ckptlab::hw
