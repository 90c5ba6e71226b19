// Replay of a recorded failure trace: one event per trace row, at the row's (scaled) time, with
// the row's kind, on the row's node as remapped (trace_remap.hpp). Simultaneous rows (the
// bursts of real logs) stay separate events at one instant, in file order, so the job state
// machine sees a burst as a burst.
//
// With `bursts: merge`, rows at the same instant whose (remapped) nodes are in the same cluster
// rack become one event listing all those nodes, sorted, without repeats: a whole-rack kill
// (power, top-of-rack switch) as the trace recorded it, recovered once instead of once per node.
// The merged event has the kind (and detection) of its first row. Default off: separate rows
// are what the log says, and merging is a modelling choice.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_kinds.hpp"
#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"

namespace ckptlab {

// Replays `trace.events` on `cluster`. With trace.loop, copy c (c = 0, 1, ...) replays every event
// at time + c * span, until kMaxFailureTimeSeconds. Each event's detection is that of the
// kind of the same name in `kinds`, or `fallback_detection` when `kinds` has none. `seed` drives
// remap: random | by_rack (and nothing else).
// REQUIRES: every event's node < cluster.nodes under remap none (checked); trace.span > 0 when
// looping (checked).
std::unique_ptr<FailureProcess> make_trace_replay(const TraceReplaySpec& trace,
                                                  const ClusterSpec& cluster,
                                                  const std::vector<FailureKind>& kinds,
                                                  Seconds fallback_detection,
                                                  std::uint64_t seed = 0);

}  // namespace ckptlab
