// Slow-down of the compute phase while checkpoint work runs beside it: the profile's
// background_slowdown. Each rank's background thread repeats one async checkpoint cycle (copy its
// state into a snapshot buffer, persist it as a shard file with fsync) while the compute phase
// runs on the calling thread; the phase's median time is compared with its median alone. The
// same cycles, timed alone (every rank at once, no compute) and beside the compute phase, give
// the other side of the interference: the profile's background_efficiency.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
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
    using Clock = std::chrono::steady_clock;
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> cycles{0};
    std::mutex mu;
    // Per cycle: [start, end) on the steady clock.
    std::vector<std::pair<Clock::time_point, Clock::time_point>> timed;
    // Every rank runs cycles until `stop` (at least `at_least` each), on threads joined by join().
    // The threads start at once, before the window their cycles are timed in.
    struct Started {
      std::vector<std::thread> threads;
      std::vector<std::exception_ptr> errors;
    };
    const auto run_cycles = [&](Started& started, int at_least) {
      started.errors.assign(static_cast<size_t>(ranks), nullptr);
      std::vector<std::thread>& background = started.threads;
      std::vector<std::exception_ptr>& errors = started.errors;
      for (int r = 0; r < ranks; ++r) {
        background.emplace_back([&, r, at_least] {
          const auto path = dir / ("slowdown" + std::to_string(r) + ".ckpt");
          try {
            for (int done = 0; done < at_least || !stop.load(); ++done) {
              const Clock::time_point t0 = Clock::now();
              std::memcpy(slot[static_cast<size_t>(r)].data(), state[static_cast<size_t>(r)].data(),
                          slot[static_cast<size_t>(r)].size());
              write_shard_file(path, {0, r, "slowdown"}, slot[static_cast<size_t>(r)].span());
              ++cycles;
              std::lock_guard lock(mu);
              timed.emplace_back(t0, Clock::now());
            }
          } catch (...) {
            errors[static_cast<size_t>(r)] = std::current_exception();
          }
        });
      }
    };
    const auto join = [](Started& started) {
      for (std::thread& t : started.threads) t.join();
      for (const auto& e : started.errors) {
        if (e) std::rethrow_exception(e);
      }
    };
    const auto durations = [&](Clock::time_point from, Clock::time_point to) {
      std::vector<double> d;
      for (const auto& [s, e] : timed) {
        if (s >= from && e <= to) d.push_back(std::chrono::duration<double>(e - s).count());
      }
      return d;
    };
    // The cycles alone, all ranks at once as beside the compute phase, for as long as the
    // compute phases will take: a disk absorbs a short burst of writes in its cache far faster
    // than it sustains them, so both sides must be sustained.
    Started alone_run;
    run_cycles(alone_run, 1);
    const Clock::time_point alone_from = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(median(alone) * repeats));
    const Clock::time_point alone_to = Clock::now();
    stop = true;
    join(alone_run);
    const std::vector<double> cycle_alone = durations(alone_from, alone_to);
    timed.clear();
    cycles = 0;
    stop = false;
    Started busy_run;
    run_cycles(busy_run, 1);  // at least one cycle, then until the phases are done
    const Clock::time_point busy_from = Clock::now();
    for (int i = 0; i < repeats; ++i) busy.push_back(phase.run().value);
    const Clock::time_point busy_to = Clock::now();
    stop = true;
    join(busy_run);
    // Only cycles that ran entirely beside the compute phase.
    const std::vector<double> cycle_busy = durations(busy_from, busy_to);
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
    row.cycle_alone_s = median(cycle_alone);
    row.cycle_busy_s = median(cycle_busy);
    if (row.cycle_alone_s > 0 && row.cycle_busy_s > 0)
      row.efficiency = std::clamp(row.cycle_alone_s / row.cycle_busy_s, 0.01, 1.0);
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
  out += fmt::format("#{:>12} {:>12} {:>12} {:>10} {:>8} {:>7} {:>14} {:>14} {:>11}\n", "size",
                     "alone(ms)", "busy(ms)", "slowdown", "cycles", "#wrong", "cycle alone(ms)",
                     "cycle busy(ms)", "efficiency");
  for (const SlowdownRow& r : rows) {
    out += fmt::format(
        " {:>12} {:>12.2f} {:>12.2f} {:>9.1f}% {:>8} {:>7} {:>14.2f} {:>14.2f} {:>11.3f}\n",
        r.bytes, r.alone_s * 1e3, r.busy_s * 1e3, r.slowdown * 100, r.cycles, r.wrong,
        r.cycle_alone_s * 1e3, r.cycle_busy_s * 1e3, r.efficiency);
  }
  return out;
}

}  // namespace ckptlab::hw
