#include "sweep_runner.hpp"

#include <fmt/format.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "backend_executor.hpp"
#include "results_writer.hpp"
#include "run/run_scenario.hpp"
#include "run/summary.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Prints one line per finished point; a sweep runs for minutes to hours, so every line counts
// toward the total and says how long the point took.
class PointLog {
 public:
  explicit PointLog(std::size_t total) : total_(total) {}
  void ran(const PointJob& job, const PointResult& r) {
    ++done_;
    if (r.state == PointState::kRan) {
      std::fprintf(stderr, "sweep: [%zu/%zu] point %zu (%s): %.1f s\n", done_, total_, job.index,
                   job.label.c_str(), r.seconds);
    } else {
      std::fprintf(stderr, "sweep: [%zu/%zu] point %zu (%s) FAILED: %s\n", done_, total_, job.index,
                   job.label.c_str(), r.error.c_str());
    }
    std::fflush(stderr);
  }

 private:
  std::size_t total_;
  std::size_t done_ = 0;
};

PointResult run_in_process(const PointJob& job, const RunnerOptions& options) {
  const auto start = Clock::now();
  PointResult r;
  try {
    run_point(options.scenario_path, job, options.points_dir, options.version);
    r.state = PointState::kRan;
    r.seconds = since(start);
  } catch (const std::exception& e) {
    r.state = PointState::kFailed;
    r.error = e.what();
  }
  return r;
}

// The crash the fault injection stands for: no cleanup, no sweep.csv, workers killed mid-write.
[[noreturn]] void kill_everything(const std::map<pid_t, std::size_t>& running) {
  std::fprintf(stderr, "sweep: CKPTLAB_SWEEP_KILL_AFTER reached: killing the sweep\n");
  std::fflush(stderr);
  for (const auto& [pid, slot] : running) ::kill(pid, SIGKILL);
  ::kill(::getpid(), SIGKILL);
  std::abort();  // not reached
}

std::vector<PointResult> run_forked(const std::vector<std::size_t>& todo,
                                    const std::vector<PointJob>& jobs, const RunnerOptions& options,
                                    std::vector<PointResult> results, PointLog& log) {
  std::map<pid_t, std::size_t> running;  // worker pid -> job slot
  std::map<pid_t, Clock::time_point> started;
  std::size_t next = 0;
  long ran = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < static_cast<std::size_t>(options.jobs)) {
      const std::size_t slot = todo[next++];
      std::fflush(nullptr);  // a child must not write the parent's buffered output again
      [[maybe_unused]] const pid_t parent = ::getpid();
      const pid_t pid = ::fork();
      if (pid < 0) throw std::runtime_error("fork failed: cannot start a sweep worker");
      if (pid == 0) {
#ifdef __linux__
        // A worker outlives nothing: if the sweep is killed, its workers die with it instead of
        // finishing points nobody waits for (they could not corrupt them, only waste time).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
#endif
        // The worker: run, write the point's directory, and leave without running the
        // parent's atexit handlers or destructors (_exit).
        const PointResult r = run_in_process(jobs[slot], options);
        if (r.state == PointState::kFailed) {
          std::fprintf(stderr, "sweep: point %zu (%s): %s\n", jobs[slot].index,
                       jobs[slot].label.c_str(), r.error.c_str());
          std::fflush(stderr);
        }
        ::_exit(r.state == PointState::kRan ? 0 : 1);
      }
      running[pid] = slot;
      started[pid] = Clock::now();
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) throw std::runtime_error("waitpid failed while waiting for sweep workers");
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    const std::size_t slot = it->second;
    running.erase(it);
    PointResult& r = results[slot];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      r.state = PointState::kRan;
      r.seconds = since(started[pid]);
    } else {
      r.state = PointState::kFailed;
      r.error = WIFSIGNALED(status) ? fmt::format("worker killed by signal {}", WTERMSIG(status))
                                    : fmt::format("worker exited with status {} (message above)",
                                                  WEXITSTATUS(status));
    }
    started.erase(pid);
    log.ran(jobs[slot], r);
    if (r.state == PointState::kRan && ++ran == options.kill_after) kill_everything(running);
  }
  return results;
}

}  // namespace

std::string point_directory(const std::string& points_dir, const std::string& hash) {
  return (fs::path(points_dir) / hash).string();
}

bool point_finished(const std::string& points_dir, const std::string& hash) {
  const fs::path summary = fs::path(point_directory(points_dir, hash)) / "summary.json";
  std::ifstream in(summary);
  if (!in) return false;
  try {
    const auto j = nlohmann::json::parse(in);
    return j.value("scenario_hash", "") == hash;
  } catch (const nlohmann::json::exception&) {
    return false;  // not ours or damaged: run the point again (the write replaces nothing)
  }
}

void run_point(const std::string& scenario_path, const PointJob& job, const std::string& points_dir,
               const std::string& version) {
  const Scenario scenario = load_scenario(scenario_path, job.overrides);
  CKPTLAB_CHECK(scenario.hash == job.hash, "a sweep point resolves to the same scenario twice");
  const std::unique_ptr<Executor> executor = make_backend_executor(scenario.backend, scenario);
  // The scenario's own replication count (a sweep can vary it: --set replications=4).
  RunOptions run_options;
  run_options.replications = scenario.replications;
  const RunOutcome outcome = run_scenario(scenario, *executor, run_options);
  const auto summary = make_summary(scenario, outcome, version);
  const std::string dir = point_directory(points_dir, job.hash);
  if (point_finished(points_dir, job.hash)) return;  // another shard or rank was quicker
  try {
    write_results_directory(dir,
                            {{"summary.json", summary.dump(2) + "\n"},
                             {"timeline.csv", make_timeline_csv(outcome)},
                             {"scenario.yaml", scenario.canonical_yaml + "\n"}},
                            /*force=*/false);
  } catch (const std::invalid_argument&) {
    // The directory appeared while this point ran: fine when it is this very point, finished.
    if (!point_finished(points_dir, job.hash)) throw;
  }
  // The point is finished (its results are kept and not rerun), but a policy in it did not
  // reach the horizon: its summary.json says so in `stopped_early`.
  for (const PolicyOutcome& p : outcome.policies) {
    if (!p.job.stopped_early.empty()) {
      std::fprintf(stderr, "ckptlab: point %s: %s stopped early, %s\n", job.hash.c_str(),
                   p.label.c_str(), p.job.stopped_early.c_str());
    }
  }
}

std::vector<PointResult> run_points(const std::vector<PointJob>& jobs,
                                    const RunnerOptions& options) {
  CKPTLAB_CHECK(options.jobs >= 1, "at least one worker");
  std::vector<PointResult> results(jobs.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (point_finished(options.points_dir, jobs[i].hash)) {
      results[i].state = PointState::kFinishedBefore;
    } else {
      todo.push_back(i);
    }
  }
  if (jobs.size() > todo.size()) {
    std::fprintf(stderr, "sweep: %zu of %zu points already finished; running %zu\n",
                 jobs.size() - todo.size(), jobs.size(), todo.size());
  }
  if (todo.empty()) return results;
  fs::create_directories(options.points_dir);
  PointLog log(todo.size());
  if ((options.jobs > 1 && todo.size() > 1) || options.process_per_point)
    return run_forked(todo, jobs, options, results, log);
  long ran = 0;
  for (const std::size_t slot : todo) {
    results[slot] = run_in_process(jobs[slot], options);
    log.ran(jobs[slot], results[slot]);
    if (results[slot].state == PointState::kRan && ++ran == options.kill_after) {
      kill_everything({});
    }
  }
  return results;
}

}  // namespace ckptlab
