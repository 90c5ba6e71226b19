// `ckptlab run --explain`: what each policy saves where, and what a recovery loads, with the
// executor's times, printed without running the simulation.
#pragma once

#include <string>

#include "exec/executor.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

// Builds the scenario's policies on `executor` and renders their representative plans.
std::string explain_policies(const Scenario& scenario, Executor& executor);

}  // namespace ckptlab
