// `ckptlab run <scenario>`: load and validate, run every policy, write results atomically,
// print the table.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>

#include "atomic_file.hpp"
#include "backend_executor.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "explain.hpp"
#include "option_values.hpp"
#include "progress.hpp"
#include "results_writer.hpp"
#include "run/run_scenario.hpp"
#include "run/summary.hpp"
#include "run_table.hpp"
#include "scenario/scenario.hpp"
#include "trace_events.hpp"

namespace po = boost::program_options;

namespace ckptlab {

namespace {
// "0.5%" or "0.005": an absolute ETTR half-width.
double parse_precision(const std::string& text) {
  const std::optional<double> v = parse_number_or_percent(text);
  if (!v) {
    throw std::invalid_argument("--precision expects a half-width such as 0.5% or 0.005, got \"" +
                                text + "\"");
  }
  if (!(*v > 0 && *v < 1)) throw std::invalid_argument("--precision must be between 0 and 100%");
  return *v;
}
}  // namespace

int run_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab run <scenario.yaml> [options]");
  std::string out;
  std::vector<std::string> overrides;
  std::int64_t seed = -1;
  std::string backend;
  std::size_t replications = 0;
  std::string precision;
  std::string trace_path;
  options.add_options()("help,h", "this help")(
      "out,o", po::value(&out), "results directory (default results/<scenario name>)")(
      "force,f", "replace an existing results directory")(
      "seed", po::value(&seed), "random seed (overrides the scenario's seed)")(
      "set", po::value(&overrides)->composing(),
      "override a scenario key, e.g. --set failures.mtbf_node=100d (repeatable)")(
      "backend", po::value(&backend), "analytic | sim (overrides the scenario's backend)")(
      "replications,r", po::value(&replications),
      "independent runs pooled with 95% confidence intervals (overrides the scenario's "
      "`replications`)")(
      "precision", po::value(&precision),
      "add replications until every ETTR half-width is below this, e.g. 0.5% (cap 64)")(
      "no-write", "print the table only; write no results")(
      "trace", po::value(&trace_path),
      "also write a Chrome/Perfetto trace of the run (trace-event JSON) to this file")(
      "explain", "print each policy's checkpoint and recovery plans (ops, tiers, bytes, times) "
                 "and exit without running");
  std::string scenario_path;
  const Positional positional{"scenario", &scenario_path};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional)) return 0;
  if (scenario_path.empty()) throw std::invalid_argument("run needs a scenario file (see --help)");
  if (vm.count("seed")) {
    if (seed < 0) throw std::invalid_argument("--seed must be >= 0");
    overrides.push_back(fmt::format("seed={}", seed));
  }
  if (!backend.empty()) overrides.push_back("backend=" + backend);

  const Scenario scenario = load_scenario(scenario_path, overrides);
  const bool write = !vm.count("no-write") && !vm.count("explain");
  if (out.empty()) out = "results/" + scenario.name;
  if (write) check_results_directory(out, vm.count("force") > 0);

  const std::unique_ptr<Executor> executor_owner =
      make_backend_executor(scenario.backend, scenario);
  Executor& executor = *executor_owner;
  if (vm.count("explain")) {
    std::fputs(explain_policies(scenario, executor).c_str(), stdout);
    return 0;
  }
  ProgressReporter progress;
  RunOptions run_options;
  run_options.replications = vm.count("replications") ? replications : scenario.replications;
  if (run_options.replications < 1) throw std::invalid_argument("--replications must be >= 1");
  if (!precision.empty()) run_options.precision = parse_precision(precision);
  run_options.progress = [&](const std::string& label, double f) { progress.update(label, f); };
  const RunOutcome outcome = run_scenario(scenario, executor, run_options);
  progress.finish();

  const auto summary = make_summary(scenario, outcome, CKPTLAB_VERSION);
  if (write) {
    write_results_directory(out,
                            {{"summary.json", summary.dump(2) + "\n"},
                             {"timeline.csv", make_timeline_csv(outcome)},
                             {"scenario.yaml", scenario.canonical_yaml + "\n"}},
                            vm.count("force") > 0);
  }
  if (!trace_path.empty()) {
    write_file_atomically(trace_path, make_trace_json(summary, make_timeline_csv(outcome)));
  }
  std::fputs(format_run_table(summary).c_str(), stdout);
  if (write) std::printf("\nresults: %s/summary.json, timeline.csv\n", out.c_str());
  if (!trace_path.empty()) {
    std::printf("trace: %s (open in https://ui.perfetto.dev or chrome://tracing)\n",
                trace_path.c_str());
  }
  // Results are kept (the figures cover what was simulated), but the run did not reach its
  // horizon: say so and exit 3, so that scripts cannot mistake it for a complete answer.
  bool stopped_early = false;
  for (const PolicyOutcome& p : outcome.policies) {
    for (const JobResult& r : p.replications) {
      if (r.stopped_early.empty()) continue;
      std::fprintf(stderr, "ckptlab: %s stopped early, %s\n", p.label.c_str(),
                   r.stopped_early.c_str());
      stopped_early = true;
    }
  }
  if (stopped_early) return 3;
  return 0;
}

}  // namespace ckptlab
