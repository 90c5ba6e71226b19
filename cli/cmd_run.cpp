// `ckptlab run <scenario>`: load and validate, run every policy, write results atomically,
// print the table.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "explain.hpp"
#include "exec/analytic_executor.hpp"
#include "progress.hpp"
#include "results_writer.hpp"
#include "run/run_scenario.hpp"
#include "run/summary.hpp"
#include "run_table.hpp"
#include "scenario/scenario.hpp"

namespace po = boost::program_options;

namespace ckptlab {

int run_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab run <scenario.yaml> [options]");
  std::string out;
  std::vector<std::string> overrides;
  std::int64_t seed = -1;
  std::string backend;
  options.add_options()("help,h", "this help")(
      "out,o", po::value(&out), "results directory (default results/<scenario name>)")(
      "force,f", "replace an existing results directory")(
      "seed", po::value(&seed), "random seed (overrides the scenario's seed)")(
      "set", po::value(&overrides)->composing(),
      "override a scenario key, e.g. --set failures.mtbf_node=100d (repeatable)")(
      "backend", po::value(&backend), "analytic (the sim backend arrives with the SimGrid "
                                      "executor)")(
      "no-write", "print the table only; write no results")(
      "explain", "print each policy's checkpoint and recovery plans (ops, tiers, bytes, times) "
                 "and exit without running");
  po::options_description hidden;
  std::string scenario_path;
  hidden.add_options()("scenario", po::value(&scenario_path));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
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

  AnalyticExecutor executor(scenario.cluster, scenario.hardware);
  if (vm.count("explain")) {
    std::fputs(explain_policies(scenario, executor).c_str(), stdout);
    return 0;
  }
  ProgressReporter progress;
  const RunOutcome outcome = run_scenario(
      scenario, executor, [&](const std::string& label, double f) { progress.update(label, f); });
  progress.finish();

  const auto summary = make_summary(scenario, outcome, CKPTLAB_VERSION);
  if (write) {
    write_results_directory(out,
                            {{"summary.json", summary.dump(2) + "\n"},
                             {"timeline.csv", make_timeline_csv(outcome)},
                             {"scenario.yaml", scenario.canonical_yaml + "\n"}},
                            vm.count("force") > 0);
  }
  std::fputs(format_run_table(summary).c_str(), stdout);
  if (write) std::printf("\nresults: %s/summary.json, timeline.csv\n", out.c_str());
  return 0;
}

}  // namespace ckptlab
