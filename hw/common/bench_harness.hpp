// The calibration harness, in the shape of nccl-tests (src/common.cu + one file per collective):
// the timing loop, warm-up, data check and report are written once here; each measured path
// (host copy, loopback send/recv, storage write/read, checksum, and on a GPU the PCIe copies
// and NCCL) supplies a small BenchPath: how to set up data for a size, run one iteration on every
// rank at once, and count wrong words afterwards. Every row of every table has the same columns:
// size, count, type, time, algorithmic bandwidth, bus bandwidth and #wrong.
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ckptlab::hw {

// A fixed team of threads, one per rank, that runs a function on every rank at once and waits
// for all of them: thread start-up stays out of the timed loop.
class RankTeam {
 public:
  explicit RankTeam(int ranks);
  ~RankTeam();
  RankTeam(const RankTeam&) = delete;
  RankTeam& operator=(const RankTeam&) = delete;
  int ranks() const { return ranks_; }
  // Runs fn(rank) on every rank concurrently; returns when all have returned. Exceptions are
  // rethrown here (the first one).
  void run(const std::function<void(int rank)>& fn);

 private:
  void loop(int rank);
  int ranks_;
  std::barrier<> start_;
  std::barrier<> done_;
  const std::function<void(int)>* job_ = nullptr;
  bool stop_ = false;
  std::vector<std::exception_ptr> errors_;
  std::vector<std::thread> threads_;
};

class BenchPath {
 public:
  virtual ~BenchPath() = default;
  virtual std::string name() const = 0;         // "host_memcpy"
  virtual std::string description() const = 0;  // one line for the table header
  // Allocates buffers for `bytes` per rank and fills them with a known pattern.
  virtual void init(std::int64_t bytes, RankTeam& team) = 0;
  // One iteration: every rank moves its `bytes` (run on `team`).
  virtual void run(RankTeam& team) = 0;
  // 8-byte words that differ from what the path should have produced, after the last run.
  virtual std::int64_t check(RankTeam& team) = 0;
  // Frees what init allocated (sizes can be large).
  virtual void release() = 0;
  // busbw = algbw * bus_factor(ranks); the formula, written out, goes into the table header.
  virtual double bus_factor(int ranks) const { return ranks; }
  virtual std::string bus_formula() const {
    return "busbw = ranks * algbw (every rank's bytes cross the node's shared medium at once)";
  }
  // Iterations for `bytes` (storage paths use fewer: each one is an fsync).
  virtual int iterations(std::int64_t /*bytes*/, int requested) const { return requested; }
  // Transfers of `bytes` each rank makes one after the other in one run() (a rank persisting
  // its shards writes file after file); the table's time is one transfer's, run time / this.
  virtual int transfers_per_run(std::int64_t /*bytes*/) const { return 1; }
};

struct BenchRow {
  std::int64_t bytes = 0;  // per rank
  double seconds = 0;      // median time of one iteration, per transfer
  double algbw = 0;        // bytes per rank / seconds, B/s
  double busbw = 0;        // algbw * bus factor, B/s
  std::int64_t wrong = 0;
};

struct PathTable {
  std::string name;
  std::string description;
  std::string bus_formula;
  int ranks = 1;
  std::vector<BenchRow> rows;
  // The row with the largest size (the asymptotic figure a checkpoint-sized transfer sees).
  const BenchRow& largest() const;
};

// Runs `path` over `sizes`: for each, init, `warmup` untimed iterations, then timed ones (the
// median of their steady-clock times), then the data check.
PathTable run_bench(BenchPath& path, const std::vector<std::int64_t>& sizes, RankTeam& team,
                    int warmup, int iterations);

// The table as nccl-tests prints it ("#  size  count  type  time(us)  algbw(GB/s) ...").
std::string format_table(const PathTable& table);

// Fills `words` with the pattern of (seed, i) / counts words that differ from it.
void fill_pattern(std::uint64_t* words, std::size_t count, std::uint64_t seed);
std::int64_t count_wrong(const std::uint64_t* words, std::size_t count, std::uint64_t seed);

}  // namespace ckptlab::hw
