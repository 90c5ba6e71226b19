#include "advise/candidate_evaluator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <limits>
#include <thread>

#include "run/run_scenario.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

struct CandidateEvaluator::Worker {
  Scenario scenario;
  std::unique_ptr<Executor> executor;
  Bytes host_memory;  // the profile's, restored after a lifted run
};

namespace {

// Host memory large enough for any policy: used to tell a host-memory rejection from others.
constexpr Bytes kUnlimitedHostMemory{std::numeric_limits<std::int64_t>::max() / 4};

// Points `w`'s scenario at one candidate policy (parsed from its own copy of the text, so threads
// share no YAML nodes).
void use_candidate(Scenario& s, std::size_t policy, const std::string& text,
                   const std::string& label) {
  s.policies = {PolicyEntry{
      ConfigNode(YAML::Load(text), s.file, fmt::format("policies[{}]", policy)), label}};
}

}  // namespace

CandidateEvaluator::CandidateEvaluator(ScenarioLoader load, EvaluatorOptions options)
    : load_(std::move(load)), options_(std::move(options)) {
  CKPTLAB_CHECK(options_.jobs >= 1, "at least one thread");
  worker(0);
}

CandidateEvaluator::~CandidateEvaluator() = default;

CandidateEvaluator::Worker& CandidateEvaluator::worker(std::size_t index) {
  while (workers_.size() <= index) {
    auto w = std::make_unique<Worker>();
    w->scenario = load_();
    w->executor = options_.make_executor(w->scenario);
    w->host_memory = w->scenario.hardware.host_memory;
    workers_.push_back(std::move(w));
  }
  return *workers_[index];
}

const Scenario& CandidateEvaluator::scenario() const { return workers_.front()->scenario; }

void CandidateEvaluator::validate_policies() {
  Worker& w = worker(0);
  build_policies(w.scenario, *w.executor);
}

std::string CandidateEvaluator::kind(std::size_t policy) const {
  return scenario().policies.at(policy).node["name"].as_string();
}

std::string CandidateEvaluator::candidate_text(std::size_t policy, const Settings& settings) const {
  YAML::Emitter emitter;
  emitter << YAML::Flow << apply_settings(scenario().policies.at(policy).node.yaml(), settings);
  return emitter.c_str();
}

bool CandidateEvaluator::classify(Evaluation& e, const std::string& text) {
  Worker& w = worker(0);
  // Later candidates replace the scenario's policies on the worker: keep the originals.
  const std::vector<PolicyEntry> original = w.scenario.policies;
  const std::string label = original.at(e.policy).label;
  bool lift = false;
  const auto build = [&] {
    use_candidate(w.scenario, e.policy, text, label);
    const auto built = build_policies(w.scenario, *w.executor);
    e.interval_iterations = built.front()->interval_iterations();
    e.interval_s = static_cast<double>(e.interval_iterations) * w.scenario.iteration_time.value;
    e.checkpoint_bytes = built.front()->checkpoint_bytes();
    e.description = built.front()->describe();
  };
  try {
    build();
  } catch (const InputError& first) {
    w.scenario.hardware.host_memory = kUnlimitedHostMemory;
    try {
      build();
      lift = true;
      e.violated = kHostMemoryConstraint;
      e.violation_detail = first.what();
    } catch (const InputError&) {
      e.invalid = first.what();
    }
    w.scenario.hardware.host_memory = w.host_memory;
  }
  w.scenario.policies = original;
  return lift;
}

void CandidateEvaluator::run_missing(Evaluation& e, const std::string& text, bool lift,
                                     std::size_t replications) {
  const std::size_t have = e.runs.size();
  if (have >= replications) return;
  e.runs.resize(replications);
  const std::size_t threads = std::min(options_.jobs, replications - have);
  for (std::size_t t = 0; t < threads; ++t) worker(t);  // load before spawning
  const std::uint64_t seed = scenario().seed;
  const std::string label = scenario().policies.at(e.policy).label;
  std::vector<std::exception_ptr> errors(threads);
  const auto work = [&](std::size_t t) {
    try {
      Worker& w = *workers_[t];
      const std::vector<PolicyEntry> original = w.scenario.policies;
      const std::uint64_t own_seed = w.scenario.seed;
      if (lift) w.scenario.hardware.host_memory = kUnlimitedHostMemory;
      for (std::size_t r = have + t; r < replications; r += threads) {
        // Replication r alone: run_scenario's replication 0 uses the scenario's seed.
        w.scenario.seed = replication_seed(seed, r);
        use_candidate(w.scenario, e.policy, text, label);
        RunOptions one;
        const RunOutcome outcome = run_scenario(w.scenario, *w.executor, one);
        const PolicyOutcome& p = outcome.policies.front();
        ReplicationFigures& f = e.runs[r];
        for (std::size_t c = 0; c < kTimeCategoryCount; ++c) {
          f.time_s[c] = to_seconds(p.job.ledger.of(static_cast<TimeCategory>(c))).value;
        }
        f.wall_s = to_seconds(p.job.wall).value;
        f.failures = p.job.failures;
        f.lost_tokens_fraction = p.lost_tokens_fraction;
      }
      w.scenario.seed = own_seed;
      w.scenario.policies = original;
      w.scenario.hardware.host_memory = w.host_memory;
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work, t);
    for (std::thread& th : pool) th.join();
  }
  for (const auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  runs_ += replications - have;
}

const Evaluation& CandidateEvaluator::evaluate(std::size_t policy, const Settings& settings,
                                               std::size_t replications) {
  const std::string text = candidate_text(policy, settings);
  const std::string key =
      candidate_key(apply_settings(scenario().policies.at(policy).node.yaml(), settings));
  auto [it, inserted] = index_.try_emplace(key, store_.size());
  const std::size_t at = it->second;
  auto& asked = asked_[policy];
  if (std::find(asked.begin(), asked.end(), at) == asked.end()) asked.push_back(at);
  if (inserted) {
    Evaluation e;
    e.policy = policy;
    e.settings = settings;
    e.backend = options_.backend;
    e.order = at;
    store_.push_back(std::move(e));
    lift_[at] = classify(store_.back(), text);
  }
  Evaluation& e = store_[at];
  if (!e.valid() || e.runs.size() >= replications) return e;
  run_missing(e, text, lift_[at], replications);
  // More runs change the mean lost tokens: judge the bound again.
  if (e.violated == kLostTokensConstraint) e.violated.clear();
  check_lost_tokens(e, options_.constraints);
  if (options_.on_evaluated) options_.on_evaluated(e);
  return e;
}

std::unique_ptr<Policy> CandidateEvaluator::build(std::size_t policy, const Settings& settings) {
  Worker& w = worker(0);
  const std::vector<PolicyEntry> original = w.scenario.policies;
  std::unique_ptr<Policy> built;
  w.scenario.hardware.host_memory = kUnlimitedHostMemory;  // what it is, not whether it fits
  try {
    use_candidate(w.scenario, policy, candidate_text(policy, settings), original.at(policy).label);
    built = std::move(build_policies(w.scenario, *w.executor).front());
  } catch (const InputError&) {
  }
  w.scenario.hardware.host_memory = w.host_memory;
  w.scenario.policies = original;
  return built;
}

std::optional<std::int64_t> CandidateEvaluator::resolved_interval(std::size_t policy,
                                                                  const Settings& settings) {
  const auto built = build(policy, settings);
  return built ? std::optional<std::int64_t>(built->interval_iterations()) : std::nullopt;
}

std::optional<std::string> CandidateEvaluator::description(std::size_t policy,
                                                           const Settings& settings) {
  const auto built = build(policy, settings);
  return built ? std::optional<std::string>(built->describe()) : std::nullopt;
}

std::vector<const Evaluation*> CandidateEvaluator::evaluations_of(std::size_t policy) const {
  std::vector<const Evaluation*> out;
  auto it = asked_.find(policy);
  if (it == asked_.end()) return out;
  for (std::size_t at : it->second) out.push_back(&store_[at]);
  return out;
}

}  // namespace ckptlab
