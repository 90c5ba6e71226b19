// Runs candidates of `ckptlab advise` on one backend: each candidate is the scenario with one
// policy's entry edited (advise_settings.hpp), run through run_scenario replication by
// replication, so that more replications only add the missing ones, and so that they can run on
// several threads (each with its own scenario and executor: nothing is shared but the input).
// Replication r of every candidate uses replication_seed(seed, r), exactly as `ckptlab run`
// does: candidates are paired by replication (common random numbers), and a recommended
// candidate's figures are what `ckptlab run` reports for it.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "advise/advise_constraints.hpp"
#include "advise/advise_evaluation.hpp"
#include "exec/executor.hpp"
#include "policy/policy.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

using ScenarioLoader = std::function<Scenario()>;
using ExecutorFactory = std::function<std::unique_ptr<Executor>(const Scenario&)>;

struct EvaluatorOptions {
  std::string backend = "analytic";
  ExecutorFactory make_executor;
  // Threads running replications; 1 for a backend that is not thread-safe (SimGrid).
  std::size_t jobs = 1;
  AdviseConstraints constraints;
  // Called after every call of evaluate() that ran replications (progress on stderr).
  std::function<void(const Evaluation&)> on_evaluated;
};

class CandidateEvaluator {
 public:
  // `load` returns the scenario as the user gave it (file + --set); it is called once per
  // thread. Throws what `load` throws (InputError for bad input).
  CandidateEvaluator(ScenarioLoader load, EvaluatorOptions options);
  ~CandidateEvaluator();
  CandidateEvaluator(const CandidateEvaluator&) = delete;
  CandidateEvaluator& operator=(const CandidateEvaluator&) = delete;

  const Scenario& scenario() const;
  const std::string& backend() const { return options_.backend; }
  // Replaces the callback called after each evaluate() that ran replications.
  void set_progress(std::function<void(const Evaluation&)> f) {
    options_.on_evaluated = std::move(f);
  }
  // Builds every policy as the scenario writes it: an InputError here is the one `ckptlab run`
  // would report (file, line, column, key).
  void validate_policies();
  // The kind of policy `policy` ("sync_full", ...).
  std::string kind(std::size_t policy) const;

  // Policy `policy` with `settings`, run for at least `replications` replications (cached by the
  // resulting policy mapping, whichever scenario entry asked). The reference stays valid for the
  // evaluator's lifetime. An invalid candidate has no runs.
  const Evaluation& evaluate(std::size_t policy, const Settings& settings,
                             std::size_t replications);
  // The interval (iterations) the policy resolves to with `settings`, from a build (no run);
  // nullopt when the policy rejects them (e.g. `interval: daly` without failures).
  std::optional<std::int64_t> resolved_interval(std::size_t policy, const Settings& settings);

  // The policy's describe() with `settings` (a build, no run; host memory lifted), or nullopt
  // when the policy rejects them.
  std::optional<std::string> description(std::size_t policy, const Settings& settings);

  // Every evaluation policy `policy` asked for, in the order first asked.
  std::vector<const Evaluation*> evaluations_of(std::size_t policy) const;
  std::size_t evaluations() const { return store_.size(); }  // distinct candidates
  std::size_t runs() const { return runs_; }                 // replications simulated

 private:
  struct Worker;
  Worker& worker(std::size_t index);
  // The candidate built on the main worker with host memory lifted; nullptr when rejected. It
  // refers to the worker's scenario and executor: use it before the next call.
  std::unique_ptr<Policy> build(std::size_t policy, const Settings& settings);
  std::string candidate_text(std::size_t policy, const Settings& settings) const;
  // Builds the candidate on the main worker; fills the policy's figures, `invalid` or
  // `violated`. Returns whether host memory must be lifted to run it.
  bool classify(Evaluation& e, const std::string& text);
  void run_missing(Evaluation& e, const std::string& text, bool lift, std::size_t replications);

  ScenarioLoader load_;
  EvaluatorOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::deque<Evaluation> store_;
  std::map<std::string, std::size_t> index_;  // candidate_key -> store_ position
  std::map<std::size_t, bool> lift_;          // store_ position -> run with lifted memory
  std::map<std::size_t, std::vector<std::size_t>> asked_;  // policy -> store_ positions
  std::size_t runs_ = 0;
};

}  // namespace ckptlab
