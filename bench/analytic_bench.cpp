// Speed of the analytic backend: simulated days per wall-clock second for the default scenario
// (DeepSeek-V3, Llama-3 failure rate) scaled to 10,240 nodes x 8 GPUs, 30 simulated days.
// Counters: sim_days_per_s (per policy run), failures per run.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "exec/analytic_executor.hpp"
#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"

namespace {

ckptlab::Scenario scaled_scenario(std::int64_t nodes, const std::string& policy) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  return ckptlab::load_scenario(
      std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/default.yaml",
      {"cluster.nodes=" + std::to_string(nodes), "horizon=30d",
       "policies=[" + policy + "]"});
}

void BM_AnalyticRun(benchmark::State& state, const std::string& policy) {
  const ckptlab::Scenario scenario = scaled_scenario(state.range(0), policy);
  std::int64_t failures = 0;
  for (auto _ : state) {
    ckptlab::AnalyticExecutor executor(scenario.cluster, scenario.hardware);
    const auto outcome = ckptlab::run_scenario(scenario, executor);
    failures = outcome.policies.front().job.failures;
    benchmark::DoNotOptimize(outcome);
  }
  const double days = scenario.horizon.value / 86400.0;
  state.counters["sim_days_per_s"] =
      benchmark::Counter(days * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["failures"] = static_cast<double>(failures);
}

}  // namespace

BENCHMARK_CAPTURE(BM_AnalyticRun, sync_full, std::string("{name: sync_full, interval: daly}"))
    ->Arg(1024)
    ->Arg(10240)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AnalyticRun, async_two_level,
                  std::string("{name: async_two_level, interval: checkfreq}"))
    ->Arg(1024)
    ->Arg(10240)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
