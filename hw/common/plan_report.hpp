// What the hardware executors (host and CUDA) share beyond the Executor interface: the failure
// hook they call inside ops, the exception a hook throws to kill a rank there, and the report of
// a plan run for real (what completed, what was loaded, what fell back).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace ckptlab::hw {

// Where in an op a failure hook fires.
struct HookPoint {
  OpKind kind = OpKind::kSnapshot;
  Tier to = Tier::kHost;
  int rank = 0;
  std::size_t shard = 0;   // the shard about to be copied (snapshot) or just staged (persist)
  std::size_t shards = 0;  // shards the op moves on this rank
  std::int64_t version = 0;
};
using FailureHook = std::function<void(const HookPoint&)>;

// Thrown by a FailureHook: a rank "dies" at that point.
class InjectedFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PlanReport {
  PlanTiming timing;
  bool ok = false;                      // every op succeeded on every rank
  std::optional<std::int64_t> version;  // state iteration at start (what a checkpoint saves)
  struct TierWrite {
    Tier tier;
    Seconds end;  // when the last op writing it ended, from the plan's start
  };
  // Tiers on which `version` became complete: every op writing them (with completes_version)
  // succeeded on every rank.
  std::vector<TierWrite> tiers_completed;
  std::optional<std::int64_t> loaded_version;  // what a load op restored on every rank
  std::vector<std::string> errors;             // one line per failed or skipped op
  std::vector<std::string> notes;              // load fallbacks and partial loads
};

}  // namespace ckptlab::hw
