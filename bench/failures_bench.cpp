// Speed of the failure-data paths (issue #10's goals, measured here, never asserted in tests):
//  - BM_FitTrace: `ckptlab failures fit` on a synthetic trace of N events (parse the CSV text,
//    then fit exponential, Weibull and lognormal to the cluster gaps and per-node lifetimes).
//    Goal: 1,000,000 events in under 5 s.
//  - BM_RunReplay vs BM_RunExponential: one policy on the largest shipped trace
//    (scenarios/real/titan_gpu_10240n.yaml, 5,270 events replayed by rack on 10,240 nodes)
//    against the same scenario with exponential failures at the trace's job MTBF. Goal: replay
//    adds under 10% to the run's wall time.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "exec/analytic_executor.hpp"
#include "failure/failure_trace.hpp"
#include "failure/fit/trace_fit.hpp"
#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"

namespace {

// A cluster of 100,000 nodes failing as a Poisson process (job MTBF 10 min), as CSV text.
std::string synthetic_trace(std::int64_t events) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> gap(1.0 / 600);
  std::uniform_int_distribution<std::int64_t> node(0, 99'999);
  const char* kinds[] = {"gpu", "host", "network"};
  std::string text = "time_s,node,kind\n";
  double t = 0;
  for (std::int64_t i = 0; i < events; ++i) {
    t += gap(rng);
    text += fmt::format("{:.3f},{},{}\n", t, node(rng), kinds[i % 3]);
  }
  return text;
}

void BM_FitTrace(benchmark::State& state) {
  const std::string text = synthetic_trace(state.range(0));
  for (auto _ : state) {
    std::istringstream in(text);
    const ckptlab::FailureTrace trace = ckptlab::parse_failure_trace(in, "synthetic.csv");
    ckptlab::TraceFitOptions options;
    options.nodes = 100'000;
    options.period_s = trace.records.back().time_s;
    const ckptlab::TraceFit fit = ckptlab::fit_trace(trace.records, options);
    benchmark::DoNotOptimize(fit);
  }
  state.counters["events"] = static_cast<double>(state.range(0));
}

ckptlab::Scenario titan(const std::vector<std::string>& extra) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  std::vector<std::string> overrides = {"policies=[{name: sync_full, interval: daly}]"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  return ckptlab::load_scenario(
      std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/real/titan_gpu_10240n.yaml", overrides);
}

void run(benchmark::State& state, const ckptlab::Scenario& scenario) {
  std::int64_t failures = 0;
  for (auto _ : state) {
    ckptlab::AnalyticExecutor executor(scenario.cluster, scenario.hardware);
    const auto outcome = ckptlab::run_scenario(scenario, executor);
    failures = outcome.policies.front().job.failures;
    benchmark::DoNotOptimize(outcome);
  }
  state.counters["failures"] = static_cast<double>(failures);
}

void BM_RunReplay(benchmark::State& state) { run(state, titan({})); }

void BM_RunExponential(benchmark::State& state) {
  const ckptlab::Scenario replayed = titan({});
  const double mtbf_s = replayed.failures.job_mtbf_seconds(replayed.cluster);
  run(state, titan({fmt::format("failures={{model: exponential, mtbf_job: {:.0f}s, kinds: "
                                "[{{name: gpu, weight: 1, detection: 1m}}]}}",
                                mtbf_s)}));
}

}  // namespace

BENCHMARK(BM_FitTrace)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunReplay)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RunExponential)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
