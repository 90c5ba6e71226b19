// Speed of the sim (SimGrid) backend on scenarios/scale-10k.yaml (DeepSeek-V3 on a Meta-style
// fat-tree, Llama 3 failure rate), scaled in nodes and simulated days.
//
// SimGrid allows one platform per process and a process's peak RSS only grows, so every
// measurement runs in a child process of its own (fork before any SimGrid call, as `ckptlab run`
// starts fresh): the child builds the platform, runs the scenario and reports back its wall time,
// peak RSS and SimGrid counters over a pipe. The benchmark time is the child's wall time
// (UseManualTime), so Google Benchmark's table is the scaling table of docs/sim.md.
//
// Counters: cpu_s (the child's user + system time), peak_rss_mib, flows (SimGrid activities
// started), plans (engine runs: distinct plans), memo_hits, failures (of the first policy),
// sim_days_per_s.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"
#include "sim/simgrid_executor.hpp"

namespace {

struct Measurement {
  double wall_s = 0;
  double cpu_s = 0;  // user + system: the machine is shared, so wall time alone can mislead
  double peak_rss_mib = 0;
  double flows = 0;
  double plans = 0;
  double memo_hits = 0;
  double failures = 0;
  bool ok = false;
};

ckptlab::Scenario scale_scenario(std::int64_t nodes, std::int64_t days, const char* policies) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  std::vector<std::string> overrides = {"cluster.nodes=" + std::to_string(nodes),
                                        "horizon=" + std::to_string(days) + "d"};
  if (policies != nullptr) overrides.push_back(std::string("policies=") + policies);
  return ckptlab::load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/scale-10k.yaml",
                                overrides);
}

// Runs `work` in a forked child and returns what it measured. `work` fills everything but
// wall_s and peak_rss_mib, which the child adds.
template <class Work>
Measurement in_child(Work work) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    Measurement m;
    const auto start = std::chrono::steady_clock::now();
    try {
      work(m);
      m.ok = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sim_bench: %s\n", e.what());
    }
    m.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    m.peak_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
    m.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    const bool written = write(fds[1], &m, sizeof m) == static_cast<ssize_t>(sizeof m);
    _exit(written && m.ok ? 0 : 1);
  }
  close(fds[1]);
  Measurement m;
  const bool got = read(fds[0], &m, sizeof m) == static_cast<ssize_t>(sizeof m);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  m.ok = got && m.ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return m;
}

void report(benchmark::State& state, const Measurement& m, double days) {
  if (!m.ok) {
    state.SkipWithError("the child process failed (see stderr)");
    return;
  }
  state.SetIterationTime(m.wall_s);
  state.counters["cpu_s"] = m.cpu_s;
  state.counters["peak_rss_mib"] = m.peak_rss_mib;
  state.counters["flows"] = m.flows;
  state.counters["plans"] = m.plans;
  state.counters["memo_hits"] = m.memo_hits;
  state.counters["failures"] = m.failures;
  if (days > 0) state.counters["sim_days_per_s"] = days / m.wall_s;
}

// The whole comparison of scale-10k.yaml (every policy) at range(0) nodes for range(1) days.
void BM_ScaleScenario(benchmark::State& state) {
  const std::int64_t nodes = state.range(0);
  const std::int64_t days = state.range(1);
  for (auto _ : state) {
    const Measurement m = in_child([&](Measurement& out) {
      const ckptlab::Scenario s = scale_scenario(nodes, days, nullptr);
      ckptlab::sim::SimGridExecutor executor(s.cluster, s.hardware);
      const ckptlab::RunOutcome outcome = ckptlab::run_scenario(s, executor);
      out.flows = static_cast<double>(executor.stats().flows_simulated);
      out.plans = static_cast<double>(executor.stats().plans_simulated);
      out.memo_hits = static_cast<double>(executor.stats().memo_hits);
      out.failures = static_cast<double>(outcome.policies.front().job.failures);
    });
    report(state, m, static_cast<double>(days));
  }
}

// One full checkpoint plan (snapshot + persist of every rank's state) simulated without memo:
// the flow-solving cost alone, including the platform build.
void BM_CheckpointPlan(benchmark::State& state) {
  const std::int64_t nodes = state.range(0);
  for (auto _ : state) {
    const Measurement m = in_child([&](Measurement& out) {
      const ckptlab::Scenario s = scale_scenario(nodes, 1, "[{name: sync_full, interval: 30m}]");
      ckptlab::sim::SimGridExecutor executor(s.cluster, s.hardware);
      ckptlab::build_policies(s, executor);  // costs its checkpoint plan once
      out.flows = static_cast<double>(executor.stats().flows_simulated);
      out.plans = static_cast<double>(executor.stats().plans_simulated);
    });
    report(state, m, 0);
  }
}

}  // namespace

BENCHMARK(BM_CheckpointPlan)
    ->Arg(1280)
    ->Arg(2560)
    ->Arg(5120)
    ->Arg(10240)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScaleScenario)
    ->ArgsProduct({{1280, 2560, 5120, 10240}, {1, 7, 30}})
    ->ArgNames({"nodes", "days"})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
