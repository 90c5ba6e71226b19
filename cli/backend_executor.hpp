#pragma once
// The executor a command runs a scenario on, by backend name: `analytic` (closed forms) or
// `sim` (SimGrid flows, when this ckptlab was built with it).

#include <memory>
#include <string>

#include "exec/executor.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab {

// Throws std::invalid_argument "<what>: this ckptlab was built without SimGrid ..." when
// `backend` is sim and this program has no SimGrid backend; returns otherwise.
void require_backend_built(const std::string& backend, const std::string& what);

// The executor for `backend` on the scenario's cluster and hardware. REQUIRES: backend is
// analytic or sim, and require_backend_built passed for it.
std::unique_ptr<Executor> make_backend_executor(const std::string& backend, const Scenario& s);

}  // namespace ckptlab
