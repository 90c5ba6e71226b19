// The part of a failure trace that is used: some kinds, inside a time window, with times from the
// window start. Fitting (`ckptlab failures fit`) and replay (`failures.trace`) select the same
// way, so a fit describes exactly what a scenario with the same options replays.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "failure/failure_trace.hpp"
#include "failure/trace_time.hpp"

namespace ckptlab {

struct TraceSelection {
  std::vector<TraceRecord> records;  // kept rows in file order, time_s - window.start_s
  // How long the kept records were observed: the window's length when it has an end, else
  // from its start to the whole trace's last event (of any kind: a kind filter does not shorten
  // the observation).
  double period_s = 0;
};

// The distinct kinds of a trace, sorted.
std::vector<std::string> trace_kinds(const FailureTrace& trace);

// Keeps the records whose kind is in `kinds` (empty: all) and whose time is in `window`.
// REQUIRES: every entry of `kinds` occurs in the trace (callers check, to locate the error).
TraceSelection select_trace(const FailureTrace& trace, const std::vector<std::string>& kinds,
                            const TraceWindow& window);

}  // namespace ckptlab
