// What `ckptlab advise` prints and writes: the ranked table, advice.json and advised.yaml
// (docs/advise.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "advise/advise_confirm.hpp"
#include "advise/advise_constraints.hpp"
#include "advise/advise_search.hpp"
#include "advise/candidate_evaluator.hpp"

namespace ckptlab {

// One policy's outcome: its search, its confirmation and the constraint that binds ("" none).
struct PolicyAdvice {
  PolicySearch search;
  Confirmation confirmation;
  std::string binding;
  std::vector<const Evaluation*> evaluated;  // every candidate of the search, in order
  Settings recommended;                      // what advised.yaml sets for this policy
  // The recommendation on the confirmation backend with as many replications as any policy's
  // confirmation reached, so that the rows compare over the same failure streams.
  const Evaluation* row = nullptr;
};

struct AdviceReport {
  std::string scenario_file;
  const Scenario* scenario = nullptr;
  AdviseConstraints constraints;
  std::string search_backend;
  std::string confirm_backend;
  std::size_t replications = 0;        // per candidate in the search
  std::size_t max_replications = 0;    // cap of the confirmation
  double tolerance = 0;                // ETTR differences that do not matter
  std::size_t evaluations = 0;         // distinct candidates, search and confirmation
  std::size_t runs = 0;                // replications simulated
  std::vector<PolicyAdvice> policies;  // in scenario order
  std::vector<std::size_t> ranking;    // indices into policies, best first
};

// Orders policies by the confirmed ETTR, those without a feasible candidate last.
std::vector<std::size_t> rank_policies(const std::vector<PolicyAdvice>& policies);

// The ranked table: policy, settings, ETTR +- 95% CI, the paired difference to the best,
// checkpoint stall, slowdown, lost work and
// recovery as shares of wall time, lost tokens, and the binding constraint.
std::string format_advice_table(const AdviceReport& report);

// advice.json (no timestamps or paths of the machine: the same input gives the same file).
nlohmann::ordered_json make_advice_json(const AdviceReport& report);

// The scenario document (file + `overrides`, as load_scenario applies them) with each policy's
// entry replaced by its recommended settings, as YAML text that `ckptlab run` accepts.
std::string make_advised_yaml(const std::string& scenario_file,
                              const std::vector<std::string>& overrides,
                              const AdviceReport& report);

}  // namespace ckptlab
