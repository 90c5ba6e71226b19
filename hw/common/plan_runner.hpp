// Runs a Plan's ops for real, on threads, and times them with a steady clock: the scheduling half
// of every hardware executor (host and CUDA supply what an op does on one rank).
//
// Each op gets a thread that waits until every op it depends on has ended, then runs one task per
// participating rank in parallel (ranks with rank_bytes > 0; one task with rank -1 for ops without
// bytes, such as recompute or barrier) and ends when the last of them returns. An op whose task
// throws on any rank has failed; ops that depend on a failed op are skipped. Timings are relative
// to start(), as PlanTiming requires.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plan/plan.hpp"

namespace ckptlab::hw {

class PlanRunner {
 public:
  // Does `rank`'s part of op `op` (rank -1: the op has no per-rank bytes). May throw.
  using RankTask = std::function<void(std::size_t op, int rank)>;
  // Runs once per op, on the op's thread, before its rank tasks (e.g. creates a version
  // directory). May throw: the op fails without running its tasks.
  using OpSetup = std::function<void(std::size_t op)>;

  struct OpResult {
    Seconds start;
    Seconds end;
    bool ok = false;                  // ran on every participating rank without a throw
    bool skipped = false;             // an op it waits on failed, so it never ran
    std::vector<std::string> errors;  // "rank 2: <what>" for each failed task
  };

  // Copies the plan. REQUIRES: ops reference only earlier ops (Plan::add checks it).
  PlanRunner(const Plan& plan, RankTask task, OpSetup setup = {});
  // Waits for every op (a runner is never abandoned with threads running).
  ~PlanRunner();
  PlanRunner(const PlanRunner&) = delete;
  PlanRunner& operator=(const PlanRunner&) = delete;

  // Starts every op's thread; t = 0 of the timings. REQUIRES: called once.
  void start();
  // Returns when every blocking op has ended, failed or been skipped.
  void wait_blocking();
  // Returns when every op has.
  void wait_all();
  bool finished() const;
  // Whether op `i` has ended (ran, failed or was skipped); wait_op blocks until it has.
  bool op_finished(std::size_t i) const;
  void wait_op(std::size_t i);
  // Whether an op that reads the live state (from the GPU tier, loads excepted) is still
  // running, and waiting for all of them: training must not update the state under a copy.
  bool gpu_reads_in_flight() const;
  void wait_gpu_reads();
  // Asks tasks to stop early: they poll cancelled() between pieces of work.
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }

  // REQUIRES: wait_all() returned.
  const std::vector<OpResult>& results() const { return results_; }
  bool ok() const;  // every op ran and succeeded
  // Measured timing in the Executor's format; failed and skipped ops end when they stopped.
  PlanTiming timing() const;
  // The first exception a task threw, for callers that rethrow it (nullptr: none).
  std::exception_ptr first_error() const;

 private:
  void run_op(std::size_t i);
  Seconds now() const;

  Plan plan_;
  RankTask task_;
  OpSetup setup_;
  std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> done_;
  std::vector<OpResult> results_;
  std::vector<std::thread> threads_;
  std::exception_ptr first_error_;
  std::atomic<bool> cancelled_{false};
  bool started_ = false;
  bool joined_ = false;
};

}  // namespace ckptlab::hw
