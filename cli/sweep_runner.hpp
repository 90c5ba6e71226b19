// Runs the points of a sweep, each into its own results directory <points_dir>/<hash>/
// (summary.json, timeline.csv, scenario.yaml, written atomically by write_results_directory),
// skipping points whose directory is already complete: an interrupted sweep, rerun, resumes.
//
// Workers are processes (fork), not threads: a point that trips an internal CHECK (abort) takes
// only its own process down, and a backend that keeps per-process state (SimGrid allows one
// engine per process) cannot leak between points. With jobs == 1 points run in this process,
// unless process_per_point asks for a worker each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ckptlab {

// One distinct resolved scenario to run (several sweep points may resolve to the same one).
struct PointJob {
  std::size_t index = 0;               // the first sweep point that resolves to this scenario
  std::string hash;                    // Scenario::hash of the resolved scenario
  std::string label;                   // the point's settings, for messages
  std::vector<std::string> overrides;  // --set overrides, then the point's, for load_scenario
};

enum class PointState { kFinishedBefore, kRan, kFailed };

struct PointResult {
  PointState state = PointState::kFailed;
  std::string error;   // why it failed (kFailed only)
  double seconds = 0;  // wall time of the run (kRan only; progress output, never in results)
};

struct RunnerOptions {
  std::string scenario_path;
  std::string points_dir;  // <out>/points
  std::string version;     // ckptlab version, recorded in summary.json
  int jobs = 1;            // worker processes; >= 1
  // Test-only fault injection ($CKPTLAB_SWEEP_KILL_AFTER): after this many points have run, the
  // sweep kills its workers and itself with SIGKILL, as a crash or `kill -9` would. -1: never.
  long kill_after = -1;
  // Every point in a worker process of its own, even with jobs == 1: set when points run on the
  // sim backend, whose SimGrid engine and platform are per process.
  bool process_per_point = false;
};

// <points_dir>/<hash>
std::string point_directory(const std::string& points_dir, const std::string& hash);

// True when <points_dir>/<hash>/summary.json exists and records scenario_hash == hash. The
// directory is renamed into place only when complete, so existence means finished.
bool point_finished(const std::string& points_dir, const std::string& hash);

// Runs one point in this process and writes its directory (nothing when another process
// finished it first). Throws InputError / std::exception on failure, leaving no directory.
void run_point(const std::string& scenario_path, const PointJob& job, const std::string& points_dir,
               const std::string& version);

// Runs every job not yet finished, at most options.jobs at a time, printing a line per point on
// stderr. Returns one result per job, in the order of `jobs`. Failures of one point do not stop
// the others.
std::vector<PointResult> run_points(const std::vector<PointJob>& jobs,
                                    const RunnerOptions& options);

}  // namespace ckptlab
