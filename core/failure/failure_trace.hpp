// Failure traces: real failure logs as CSV, parsed strictly so that a damaged or misconverted
// file is an error naming the line, never a silently different failure history.
//
// Format (data/traces/README.md): a header whose first three columns are `time_s,node,kind`,
// then one row per failure. Columns after the third are ignored (the *_detail.csv companions keep
// repair times and original labels there).
//   time_s  seconds since the trace start: a finite number >= 0, non-decreasing down the file;
//           or an ISO-8601 UTC time ("2024-03-30T08:00:00Z", trace_time.hpp) in every row, then
//           read as seconds since the first row's time
//   node    the failed node's id: a whole number >= 0
//   kind    a word of letters, digits, '_', '-', '+' or '.' ("gpu", "host", "network", ...)
// Lines may end in CRLF. Blank lines, missing columns and stray spaces inside a number are errors.
// Named extra columns (a rack, a repair time) can be read too; those may be quoted CSV fields
// ("Disk IO, firmware and storage"), with "" for a quote inside.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace ckptlab {

// One value of an extra column, with its 1-based character column for located errors.
struct TraceValue {
  std::string text;  // unquoted
  int column = 0;
};

struct TraceRecord {
  double time_s = 0;  // seconds since the trace start (after any time_scale)
  std::int64_t node = 0;
  std::string kind;
  int line = 0;  // 1-based line in the file, so later checks (node range) can name it
  std::vector<TraceValue> extra;  // the requested extra columns, in request order
};

struct FailureTrace {
  std::string file;                        // where it was read from, for messages
  std::vector<std::string> columns;        // every header name, in file order
  std::vector<std::string> extra_columns;  // the extra columns read into TraceRecord::extra
  std::vector<TraceRecord> records;        // file order, which is time order
  // With ISO-8601 times: the first row's time in seconds since 1970-01-01Z (time_s 0).
  std::optional<double> epoch_origin_s;
};

// Parses trace text. `origin` names the source in errors. `extra_columns` names header columns
// (after the first three) to read into each record's `extra`. Throws InputError(origin, line,
// column, "", message) naming the CSV column ("column 'node': ...") on the first bad line, and
// at line 1 when a requested column is not in the header.
FailureTrace parse_failure_trace(std::istream& in, const std::string& origin,
                                 const std::vector<std::string>& extra_columns = {});

// Reads and parses the trace file at `path`. Throws InputError when the file cannot be read or
// does not parse.
FailureTrace load_failure_trace(const std::string& path,
                                const std::vector<std::string>& extra_columns = {});

// The time over which a trace repeats when looped: the last event time plus the mean gap between
// events, so the first event of the next copy follows the last one after a typical gap (assuming
// the trace starts at 0, as the shipped ones do). It is the last time when there is one record,
// and 0 for none. REQUIRES: records sorted by time.
double trace_span_seconds(const std::vector<TraceRecord>& records);

}  // namespace ckptlab
