// Replay of a recorded failure trace, exactly as recorded: one event per trace row, at the row's
// (scaled) time, on the row's node, with the row's kind. Simultaneous rows (the bursts of real
// logs) stay separate events at one instant, in file order, so the job state machine sees a
// burst as a burst.
#pragma once

#include <memory>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_kinds.hpp"
#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"

namespace ckptlab {

// Replays `trace.events` on `cluster`. With trace.loop, copy c (c = 0, 1, ...) replays every event
// at time + c * span, until kMaxFailureTimeSeconds. Each event's detection is that of the
// kind of the same name in `kinds`, or `fallback_detection` when `kinds` has none.
// REQUIRES: every event's node < cluster.nodes unless trace.remap_modulo (checked);
// trace.span > 0 when looping (checked).
std::unique_ptr<FailureProcess> make_trace_replay(const TraceReplaySpec& trace,
                                                  const ClusterSpec& cluster,
                                                  const std::vector<FailureKind>& kinds,
                                                  Seconds fallback_detection);

}  // namespace ckptlab
