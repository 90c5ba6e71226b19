// Failure traces: real failure logs as CSV, parsed strictly so that a damaged or misconverted
// file is an error naming the line, never a silently different failure history.
//
// Format (data/traces/README.md): a header whose first three columns are `time_s,node,kind`,
// then one row per failure. Columns after the third are ignored (the *_detail.csv companions keep
// repair times and original labels there).
//   time_s  seconds since the trace start: a finite number >= 0, non-decreasing down the file
//   node    the failed node's id: a whole number >= 0
//   kind    a word of letters, digits, '_', '-', '+' or '.' ("gpu", "host", "network", ...)
// Lines may end in CRLF. Blank lines, missing columns and stray spaces inside a number are errors.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace ckptlab {

struct TraceRecord {
  double time_s = 0;  // seconds since the trace start (after any time_scale)
  std::int64_t node = 0;
  std::string kind;
  int line = 0;  // 1-based line in the file, so later checks (node range) can name it
};

struct FailureTrace {
  std::string file;                  // where it was read from, for messages
  std::vector<TraceRecord> records;  // file order, which is time order
};

// Parses trace text. `origin` names the source in errors. Throws InputError(origin, line, column,
// "", message) naming the CSV column ("column 'node': ...") on the first bad line.
FailureTrace parse_failure_trace(std::istream& in, const std::string& origin);

// Reads and parses the trace file at `path`. Throws InputError when the file cannot be read or
// does not parse.
FailureTrace load_failure_trace(const std::string& path);

// The time over which a trace repeats when looped: the last event time plus the mean gap between
// events, so the first event of the next copy follows the last one after a typical gap (assuming
// the trace starts at 0, as the shipped ones do). It is the last time when there is one record,
// and 0 for none. REQUIRES: records sorted by time.
double trace_span_seconds(const std::vector<TraceRecord>& records);

}  // namespace ckptlab
