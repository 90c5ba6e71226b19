#include "failure/failure_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "failure/trace_time.hpp"
#include "util/csv_fields.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

constexpr std::string_view kColumns[] = {"time_s", "node", "kind"};

using Field = CsvField;

// Splits a whole CSV line, unquoting "..." fields ("" is a quote inside one). The first three
// columns never need quotes; the extra ones (original labels) may hold commas. Returns the
// 1-based column of an unterminated quote in `bad_quote`, else 0.
std::vector<TraceValue> split_csv(std::string_view line, int& bad_quote) {
  std::vector<TraceValue> out;
  bad_quote = 0;
  size_t i = 0;
  for (;;) {
    TraceValue v;
    v.column = static_cast<int>(i) + 1;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) {
          bad_quote = v.column;
          return out;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            v.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        v.text += line[i++];
      }
      while (i < line.size() && line[i] != ',') v.text += line[i++];  // text after the quote
    } else {
      const size_t comma = std::min(line.find(',', i), line.size());
      v.text = std::string(line.substr(i, comma - i));
      i = comma;
    }
    out.push_back(std::move(v));
    if (i >= line.size()) return out;
    ++i;  // the comma
  }
}

bool is_kind_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+' || c == '.';
}

class LineParser {
 public:
  LineParser(const std::string& origin, int line) : origin_(origin), line_(line) {}

  [[noreturn]] void fail(const Field& f, int col, const std::string& what) const {
    throw InputError(origin_, line_, f.column, "",
                     fmt::format("column '{}': {}", kColumns[col], what));
  }

  // Seconds since the epoch of an ISO-8601 time (the caller subtracts the first row's).
  double iso_time(const Field& f) const {
    try {
      return parse_iso8601_seconds(f.text);
    } catch (const std::invalid_argument& e) {
      fail(f, 0, e.what());
    }
  }

  double time(const Field& f) const {
    double v = 0;
    const char* end = f.text.data() + f.text.size();
    auto [ptr, ec] = std::from_chars(f.text.data(), end, v);
    if (f.text.empty() || ec != std::errc() || ptr != end) {
      fail(f, 0, fmt::format("expected seconds as a number, got \"{}\"", f.text));
    }
    if (!std::isfinite(v) || v < 0) {
      fail(f, 0, fmt::format("expected a finite time >= 0, got \"{}\"", f.text));
    }
    return v;
  }

  std::int64_t node(const Field& f) const {
    std::int64_t v = 0;
    const char* end = f.text.data() + f.text.size();
    auto [ptr, ec] = std::from_chars(f.text.data(), end, v);
    if (f.text.empty() || ec != std::errc() || ptr != end || v < 0) {
      fail(f, 1, fmt::format("expected a node id (a whole number >= 0), got \"{}\"", f.text));
    }
    return v;
  }

  std::string kind(const Field& f) const {
    bool ok = !f.text.empty();
    for (char c : f.text) ok = ok && is_kind_char(c);
    if (!ok) {
      fail(f, 2,
           fmt::format("expected a kind word (letters, digits, _ - + .), got \"{}\"", f.text));
    }
    return std::string(f.text);
  }

 private:
  const std::string& origin_;
  int line_;
};

}  // namespace

FailureTrace parse_failure_trace(std::istream& in, const std::string& origin,
                                 const std::vector<std::string>& extra_columns) {
  FailureTrace trace;
  trace.file = origin;
  trace.extra_columns = extra_columns;
  std::vector<size_t> extra_index;  // header position of each requested extra column
  int first_data_line = 0;          // decides numeric or ISO times for the whole file
  bool iso = false;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string_view text(raw);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    Field fields[3];
    const int count = split_leading_fields(text, fields);
    if (line == 1) {
      // The header names the columns; checking it catches a file of another format (or the
      // columns in another order) before its numbers are misread.
      for (int c = 0; c < 3; ++c) {
        if (c >= count || fields[c].text != kColumns[c]) {
          throw InputError(origin, 1, c < count ? fields[c].column : 1, "",
                           fmt::format("expected the header time_s,node,kind (extra columns "
                                       "after these are allowed), got \"{}\"",
                                       text));
        }
      }
      int bad_quote = 0;
      for (TraceValue& v : split_csv(text, bad_quote)) trace.columns.push_back(std::move(v.text));
      if (bad_quote) throw InputError(origin, 1, bad_quote, "", "unterminated quote in the header");
      for (const std::string& name : extra_columns) {
        const auto it = std::find(trace.columns.begin() + 3, trace.columns.end(), name);
        if (it == trace.columns.end()) {
          throw InputError(origin, 1, 1, "",
                           fmt::format("no column '{}' after time_s,node,kind in the header "
                                       "\"{}\"",
                                       name, text));
        }
        extra_index.push_back(static_cast<size_t>(it - trace.columns.begin()));
      }
      continue;
    }
    if (text.empty()) throw InputError(origin, line, 1, "", "empty line in a failure trace");
    LineParser p(origin, line);
    if (count < 3) {
      p.fail(fields[count - 1], count,
             fmt::format("missing; expected 3 columns time_s,node,kind, got \"{}\"", text));
    }
    if (first_data_line == 0) {
      first_data_line = line;
      iso = looks_like_iso8601(fields[0].text);
    } else if (looks_like_iso8601(fields[0].text) != iso) {
      p.fail(fields[0], 0,
             fmt::format("expected {} like the first row's (line {}), got \"{}\"",
                         iso ? "an ISO-8601 time" : "seconds", first_data_line, fields[0].text));
    }
    double time_s = 0;
    if (iso) {
      const double epoch = p.iso_time(fields[0]);
      if (!trace.epoch_origin_s) trace.epoch_origin_s = epoch;
      time_s = epoch - *trace.epoch_origin_s;
    } else {
      time_s = p.time(fields[0]);
    }
    TraceRecord r{time_s, p.node(fields[1]), p.kind(fields[2]), line, {}};
    if (!extra_index.empty()) {
      int bad_quote = 0;
      std::vector<TraceValue> all = split_csv(text, bad_quote);
      if (bad_quote) throw InputError(origin, line, bad_quote, "", "unterminated quote");
      for (size_t e = 0; e < extra_index.size(); ++e) {
        if (all.size() <= extra_index[e]) {
          throw InputError(origin, line, static_cast<int>(text.size()) + 1, "",
                           fmt::format("column '{}': missing; the header has {} columns, this "
                                       "row {}",
                                       extra_columns[e], trace.columns.size(), all.size()));
        }
        r.extra.push_back(std::move(all[extra_index[e]]));
      }
    }
    if (!trace.records.empty() && r.time_s < trace.records.back().time_s) {
      p.fail(fields[0], 0,
             fmt::format("time {} is earlier than the previous row's {} (line {}); a trace must "
                         "be sorted by time",
                         fields[0].text, trace.records.back().time_s, trace.records.back().line));
    }
    trace.records.push_back(std::move(r));
  }
  if (in.bad()) throw InputError(origin, line, 0, "", "read error");
  if (line == 0) throw InputError(origin, 0, 0, "", "empty trace file: expected a header line");
  return trace;
}

FailureTrace load_failure_trace(const std::string& path,
                                const std::vector<std::string>& extra_columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "", "cannot open the failure trace");
  return parse_failure_trace(in, path, extra_columns);
}

double trace_span_seconds(const std::vector<TraceRecord>& records) {
  if (records.empty()) return 0;
  const double first = records.front().time_s;
  const double last = records.back().time_s;
  if (records.size() == 1) return last;
  return last + (last - first) / static_cast<double>(records.size() - 1);
}

}  // namespace ckptlab
