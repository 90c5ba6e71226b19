// Times in failure traces: ISO-8601 timestamps (as real logs write them) and the `window`
// of a trace to keep ("START:END", durations since the trace start).
#pragma once

#include <limits>
#include <string_view>

namespace ckptlab {

// Seconds since 1970-01-01T00:00:00Z of an ISO-8601 date-time:
//   YYYY-MM-DD[(T| )hh:mm[:ss[.fraction]]][Z|(+|-)hh[[:]mm]]
// A time without a zone is read as UTC (logs in local time are then off by their zone, and by an
// hour across DST changes, uniformly, which moves no gap between two events by more than that).
// Throws std::invalid_argument saying what was expected when `text` is not such a time or names
// an impossible date (2024-02-30) or clock time (24:01).
double parse_iso8601_seconds(std::string_view text);

// True when `text` starts like an ISO-8601 date (four digits and a '-'): a trace's time column
// holds such dates, or plain seconds.
bool looks_like_iso8601(std::string_view text);

struct TraceWindow {
  double start_s = 0;                                      // kept: start_s <= time
  double end_s = std::numeric_limits<double>::infinity();  // kept: time < end_s
  bool has_end() const { return end_s != std::numeric_limits<double>::infinity(); }
  bool contains(double t) const { return start_s <= t && t < end_s; }
  double length_s() const { return end_s - start_s; }
};

// Parses "START:END" with durations in the scenario's units ("30d:200d"); either side may be
// empty (":200d" from the trace start, "30d:" to its end). Throws std::invalid_argument when a
// side is not a duration, or when END <= START.
TraceWindow parse_trace_window(std::string_view text);

}  // namespace ckptlab
