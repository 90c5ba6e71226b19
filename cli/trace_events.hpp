// A run as a Chrome / Perfetto trace (trace-event JSON: open it in https://ui.perfetto.dev or
// chrome://tracing), built from the run's timeline CSV (make_timeline_csv) and its summary, so
// it needs nothing from the core beyond what results already hold.
//
// One process per policy, with three tracks:
//   training     one slice per stretch of uninterrupted training (iterations from..to), not one
//                per iteration: a month-long run stays a few thousand slices;
//   checkpoints  every checkpoint the timeline holds, start to done (or aborted), split into the
//                stall that blocks training (summary.json's mean stall per checkpoint: the
//                timeline does not time each one) and the background rest (persist, replication);
//   failures     every failure (an instant event, with its kind and what it restores) and the
//                recovery that follows, failure to resumed training (detection, restart, load,
//                replay), including failures that strike during a recovery.
// The timeline caps checkpoint events per policy but keeps every failure and recovery; a
// `timeline_truncated` row becomes an instant event, and checkpoints stop there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ckptlab {

// The trace JSON ({"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}):
// timestamps in microseconds of simulated time from the start of the run; deterministic (the
// same inputs give the same bytes). Throws std::invalid_argument when `timeline_csv` is not a
// ckptlab timeline (header time_s,policy,event,iteration,detail).
std::string make_trace_json(const nlohmann::ordered_json& summary, const std::string& timeline_csv);

}  // namespace ckptlab
