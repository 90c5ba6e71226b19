// One failure as the job state machine sees it: when, which nodes, what kind, and how long
// until the job notices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/units.hpp"

namespace ckptlab {

struct FailureEvent {
  // Wall-clock time of the failure, in ns from job start. Failure processes run on wall time, not
  // on the job's progress: hardware fails whether the job is training, checkpointing or
  // restarting.
  Nanos time = 0;
  // The nodes taken down, sorted ascending and without repeats. There is at least one. A rack
  // event lists every node of the rack.
  std::vector<std::int64_t> nodes;
  // "gpu", "host", "network", "software", "hang", "rack", ... It is the kind name from the scenario
  // (or from the trace), so reports can break failures down by cause.
  std::string kind;
  // Time from the failure until the job notices it (a watchdog timeout, a health check). It comes
  // from the kind's detection time, and the Ledger charges it as `detection`.
  Seconds detection;

  bool operator==(const FailureEvent&) const = default;
};

}  // namespace ckptlab
