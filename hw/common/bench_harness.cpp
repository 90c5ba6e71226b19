#include "hw/common/bench_harness.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "hw/common/median.hpp"
#include "hw/common/state_layout.hpp"

namespace ckptlab::hw {

RankTeam::RankTeam(int ranks)
    : ranks_(ranks < 1 ? throw std::invalid_argument("a team needs at least one rank") : ranks),
      start_(ranks + 1),
      done_(ranks + 1),
      errors_(static_cast<size_t>(ranks)) {
  for (int r = 0; r < ranks_; ++r) threads_.emplace_back([this, r] { loop(r); });
}

RankTeam::~RankTeam() {
  stop_ = true;
  start_.arrive_and_wait();
  for (std::thread& t : threads_) t.join();
}

void RankTeam::loop(int rank) {
  while (true) {
    start_.arrive_and_wait();
    if (stop_) return;
    try {
      (*job_)(rank);
    } catch (...) {
      errors_[static_cast<size_t>(rank)] = std::current_exception();
    }
    done_.arrive_and_wait();
  }
}

void RankTeam::run(const std::function<void(int)>& fn) {
  job_ = &fn;
  std::fill(errors_.begin(), errors_.end(), nullptr);
  start_.arrive_and_wait();  // the barrier orders job_ before the threads read it
  done_.arrive_and_wait();
  job_ = nullptr;
  for (const auto& e : errors_) {
    if (e) std::rethrow_exception(e);
  }
}

const BenchRow& PathTable::largest() const {
  if (rows.empty()) throw std::logic_error("table " + name + " has no rows");
  return *std::max_element(rows.begin(), rows.end(),
                           [](const BenchRow& a, const BenchRow& b) { return a.bytes < b.bytes; });
}

PathTable run_bench(BenchPath& path, const std::vector<std::int64_t>& sizes, RankTeam& team,
                    int warmup, int iterations) {
  PathTable table{path.name(), path.description(), path.bus_formula(), team.ranks(), {}};
  using Clock = std::chrono::steady_clock;
  for (std::int64_t bytes : sizes) {
    path.init(bytes, team);
    for (int i = 0; i < warmup; ++i) path.run(team);
    const int n = std::max(1, path.iterations(bytes, iterations));
    // Each iteration timed on its own and the median kept: nccl-tests averages, but on a shared
    // machine one descheduled iteration would dominate a mean.
    std::vector<double> times;
    for (int i = 0; i < n; ++i) {
      const auto t0 = Clock::now();
      path.run(team);
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double s = median(std::move(times)) / std::max(1, path.transfers_per_run(bytes));
    BenchRow row;
    row.bytes = bytes;
    row.seconds = s;
    row.algbw = s > 0 ? static_cast<double>(bytes) / s : 0;
    row.busbw = row.algbw * path.bus_factor(team.ranks());
    row.wrong = path.check(team);
    path.release();
    table.rows.push_back(row);
  }
  return table;
}

std::string format_table(const PathTable& t) {
  std::string out = fmt::format("# {}: {}\n# {} rank(s) at once; {}\n", t.name, t.description,
                                t.ranks, t.bus_formula);
  out += fmt::format("#{:>12} {:>12} {:>6} {:>11} {:>12} {:>12} {:>7}\n", "size", "count", "type",
                     "time(us)", "algbw(GB/s)", "busbw(GB/s)", "#wrong");
  for (const BenchRow& r : t.rows) {
    out += fmt::format(" {:>12} {:>12} {:>6} {:>11.1f} {:>12.2f} {:>12.2f} {:>7}\n", r.bytes,
                       r.bytes / 8, "u64", r.seconds * 1e6, r.algbw / 1e9, r.busbw / 1e9, r.wrong);
  }
  return out;
}

void fill_pattern(std::uint64_t* words, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = 0; i < count; ++i) words[i] = splitmix64(seed * 0x100000001B3ull + i);
}

std::int64_t count_wrong(const std::uint64_t* words, std::size_t count, std::uint64_t seed) {
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < count; ++i)
    wrong += words[i] != splitmix64(seed * 0x100000001B3ull + i);
  return wrong;
}

}  // namespace ckptlab::hw
