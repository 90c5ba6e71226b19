#include "advise/advise_constraints.hpp"

#include <fmt/format.h>

namespace ckptlab {

void check_lost_tokens(Evaluation& e, const AdviseConstraints& constraints) {
  if (!e.violated.empty() || !constraints.max_lost_tokens || e.runs.empty()) return;
  const double lost = e.lost_tokens_fraction();
  if (lost <= *constraints.max_lost_tokens) return;
  e.violated = kLostTokensConstraint;
  e.violation_detail = fmt::format("lost_tokens_fraction {:.4g} above the bound {:.4g}", lost,
                                   *constraints.max_lost_tokens);
}

std::string describe_constraint(const std::string& name, const Scenario& scenario,
                                const AdviseConstraints& constraints) {
  if (name == kHostMemoryConstraint) {
    return fmt::format("host memory {} per node (hardware profile)",
                       format_size(scenario.hardware.host_memory));
  }
  if (name == kLostTokensConstraint && constraints.max_lost_tokens) {
    return fmt::format("lost_tokens_fraction <= {:g} (--max-lost-tokens)",
                       *constraints.max_lost_tokens);
  }
  return name;
}

}  // namespace ckptlab
