// The Executor is the one interface through which the core touches a backend (DESIGN.md §3):
// the analytic formulas here, SimGrid flows in sim/, real copies in hw/. Like LevelDB's Env,
// tests can wrap it to inject behaviour.
#pragma once

#include <string>

#include "plan/plan.hpp"

namespace ckptlab {

class Executor {
 public:
  virtual ~Executor() = default;
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Executes (or times) every op of `plan` on an otherwise idle platform: ops start when all
  // ops they wait on have ended; returns per-op start and end times relative to the plan's
  // start. Deterministic: the same plan on the same executor gives the same timing.
  // REQUIRES: plan's ops reference only earlier ops; rank_bytes sized to the world or empty.
  virtual PlanTiming execute(const Plan& plan) = 0;

  // "analytic", "sim", "host", "cuda": recorded in summary.json.
  virtual std::string backend_name() const = 0;
  // How durations are obtained, for the report's sources table.
  virtual std::string method() const = 0;
};

}  // namespace ckptlab
