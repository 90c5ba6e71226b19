// `ckptlab advise <scenario>`: for each policy of the scenario, search its tunable parameters
// for the highest ETTR under the scenario's constraints, confirm the finalists with more
// replications (on the SimGrid backend when asked), print a ranked table and write advice.json
// and advised.yaml (docs/advise.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "advise/advise_confirm.hpp"
#include "advise/advise_search.hpp"
#include "advise/candidate_evaluator.hpp"
#include "advise_output.hpp"
#include "backend_executor.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "option_values.hpp"
#include "results_writer.hpp"
#include "scenario/scenario.hpp"

namespace po = boost::program_options;

namespace ckptlab {

namespace {

std::unique_ptr<Executor> analytic_executor(const Scenario& s) {
  return make_backend_executor("analytic", s);
}

ExecutorFactory confirm_executor(const std::string& backend) {
  if (backend == "analytic") return analytic_executor;
  if (backend != "sim") {
    throw std::invalid_argument("--backend expects analytic or sim, got \"" + backend + "\"");
  }
  require_backend_built(backend, "--backend sim");  // before any search, not at confirmation
  return [](const Scenario& s) { return make_backend_executor("sim", s); };
}

double parse_fraction(const std::string& option, const std::string& text) {
  const std::optional<double> v = parse_number_or_percent(text);
  if (!v || !(*v >= 0)) {
    throw std::invalid_argument(option + " expects a fraction such as 0.01 or 1%, got \"" + text +
                                "\"");
  }
  return *v;
}

void report_progress(const Evaluation& e, const std::string& label) {
  if (!e.valid()) return;
  const Estimate x = e.ettr();
  std::fprintf(stderr, "advise: %s [%s] %s: ETTR %.4f (%zu run%s)%s%s\n", label.c_str(),
               e.backend.c_str(), settings_text(e.settings).c_str(), x.value, e.runs.size(),
               e.runs.size() == 1 ? "" : "s", e.violated.empty() ? "" : ", violates ",
               e.violated.c_str());
}

}  // namespace

int advise_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab advise <scenario.yaml> [options]");
  std::string out, backend = "analytic", max_lost;
  std::vector<std::string> overrides;
  std::int64_t seed = -1;
  std::size_t replications = 0, max_replications = 0;
  double tolerance = 0.001;
  std::size_t jobs = std::max(1u, std::min(2u, std::thread::hardware_concurrency()));
  options.add_options()("help,h", "this help")(
      "out,o", po::value(&out), "output directory (default results/<scenario name>-advice)")(
      "force,f", "replace an existing output directory")(
      "set", po::value(&overrides)->composing(),
      "override a scenario key before advising, as for run (repeatable)")(
      "seed", po::value(&seed), "random seed (overrides the scenario's seed)")(
      "replications,r", po::value(&replications),
      "replications per candidate in the search (default: the scenario's `replications`)")(
      "max-replications", po::value(&max_replications),
      "cap of the confirmation's replications (default: twice --replications)")(
      "backend", po::value(&backend),
      "backend of the confirmation step: analytic (default) or sim; the search is analytic")(
      "max-lost-tokens", po::value(&max_lost),
      "largest lost_tokens_fraction a partial policy may report, e.g. 0.01 (default: no bound)")(
      "tolerance", po::value(&tolerance),
      "ETTR differences below this do not matter (absolute; default 0.001): climbs do not step "
      "for less, and the confirmation stops when the finalists are equivalent within it")(
      "jobs,j", po::value(&jobs), "threads running the analytic replications (default 2)")(
      "no-write", "print the table only; write nothing");
  std::string scenario_path;
  const Positional positional{"scenario", &scenario_path};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional)) return 0;
  if (scenario_path.empty())
    throw std::invalid_argument("advise needs a scenario file (see --help)");
  if (vm.count("seed")) {
    if (seed < 0) throw std::invalid_argument("--seed must be >= 0");
    overrides.push_back(fmt::format("seed={}", seed));
  }
  if (jobs < 1) throw std::invalid_argument("--jobs must be >= 1");
  if (!(tolerance >= 0 && tolerance < 1))
    throw std::invalid_argument("--tolerance must be in [0, 1)");
  AdviseConstraints constraints;
  if (!max_lost.empty())
    constraints.max_lost_tokens = parse_fraction("--max-lost-tokens", max_lost);
  const ExecutorFactory confirm_factory = confirm_executor(backend);

  const ScenarioLoader load = [&] { return load_scenario(scenario_path, overrides); };
  EvaluatorOptions analytic_options;
  analytic_options.make_executor = analytic_executor;
  analytic_options.jobs = jobs;
  analytic_options.constraints = constraints;
  CandidateEvaluator search(load, analytic_options);
  search.validate_policies();  // bad policy parameters: exit 2 before anything runs
  const Scenario& scenario = search.scenario();
  const bool write = !vm.count("no-write");
  if (out.empty()) out = "results/" + scenario.name + "-advice";
  if (write) check_results_directory(out, vm.count("force") > 0);
  if (!vm.count("replications")) replications = scenario.replications;
  if (replications < 1) throw std::invalid_argument("--replications must be >= 1");
  if (!vm.count("max-replications")) max_replications = 2 * replications;
  if (max_replications < replications) {
    throw std::invalid_argument("--max-replications must be at least --replications");
  }

  std::unique_ptr<CandidateEvaluator> confirm_owner;
  if (backend != "analytic") {
    EvaluatorOptions o;
    o.backend = backend;
    o.make_executor = confirm_factory;
    o.jobs = 1;  // SimGrid runs one engine per process
    o.constraints = constraints;
    confirm_owner = std::make_unique<CandidateEvaluator>(load, o);
  }
  CandidateEvaluator& confirm = confirm_owner ? *confirm_owner : search;

  AdviceReport report;
  report.scenario_file = scenario_path;
  report.scenario = &scenario;
  report.constraints = constraints;
  report.search_backend = "analytic";
  report.confirm_backend = backend;
  report.replications = replications;
  report.max_replications = max_replications;
  report.tolerance = tolerance;
  const SearchOptions search_options{replications, tolerance};
  const auto point_progress_at = [&](const std::string& label) {
    const auto progress = [label](const Evaluation& e) { report_progress(e, label); };
    search.set_progress(progress);
    if (confirm_owner) confirm_owner->set_progress(progress);
  };
  // Every search first, then every confirmation: a policy's search then sees only search-sized
  // evaluations in the shared cache, whatever the order of the scenario's policies.
  for (std::size_t i = 0; i < scenario.policies.size(); ++i) {
    const auto started = std::chrono::steady_clock::now();
    point_progress_at(scenario.policies[i].label);
    PolicyAdvice p;
    p.search = search_policy(search, i, search_options);
    std::fprintf(stderr, "advise: %s: %zu candidates searched in %.1f s\n", p.search.label.c_str(),
                 p.search.evaluations,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    report.policies.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < report.policies.size(); ++i) {
    PolicyAdvice& p = report.policies[i];
    point_progress_at(p.search.label);
    const auto finals = finalists(search.evaluations_of(i), p.search.choice, 2);
    p.confirmation =
        confirm_policy(confirm, p.search, finals, replications, max_replications, tolerance);
    // The search's choice comes first among the finalists, with this policy's own settings.
    const std::size_t c = p.confirmation.choice_index;
    p.recommended = c == 0 && p.search.choice ? p.search.chosen
                    : p.confirmation.choice   ? finals[c]->settings
                                              : p.search.chosen;
    // The constraint binds when the unconstrained best beats the recommendation (both on the
    // search's backend, paired by replication).
    const Evaluation* chosen =
        p.confirmation.choice ? &search.evaluate(i, p.confirmation.choice->settings, replications)
                              : nullptr;
    p.binding = binding_constraint(search.evaluations_of(i), chosen);
    p.evaluated = search.evaluations_of(i);
  }
  // Every row over the same replications: extend the recommendations that stopped earlier.
  std::size_t common = replications;
  for (const PolicyAdvice& p : report.policies)
    common = std::max(common, p.confirmation.replications);
  for (std::size_t i = 0; i < report.policies.size(); ++i) {
    PolicyAdvice& p = report.policies[i];
    point_progress_at(p.search.label);  // progress lines name the policy being extended
    if (p.confirmation.choice)
      p.row = &confirm.evaluate(i, p.confirmation.choice->settings, common);
  }
  report.evaluations = search.evaluations() + (confirm_owner ? confirm_owner->evaluations() : 0);
  report.runs = search.runs() + (confirm_owner ? confirm_owner->runs() : 0);
  report.ranking = rank_policies(report.policies);

  if (write) {
    write_results_directory(out,
                            {{"advice.json", make_advice_json(report).dump(2) + "\n"},
                             {"advised.yaml", make_advised_yaml(scenario_path, overrides, report)}},
                            vm.count("force") > 0);
  }
  std::fputs(format_advice_table(report).c_str(), stdout);
  if (write)
    std::printf("\nadvice: %s/advice.json, advised.yaml (ckptlab run %s/advised.yaml)\n",
                out.c_str(), out.c_str());
  return 0;
}

}  // namespace ckptlab
