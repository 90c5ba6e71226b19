#include "failure/failure_trace.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

constexpr std::string_view kColumns[] = {"time_s", "node", "kind"};

struct Field {
  std::string_view text;
  int column = 1;  // 1-based character column of the field start, for the InputError
};

// Splits off the first three comma-separated fields. Anything after a third comma is an extra
// column and is ignored. Returns how many fields were found (at most 3).
int split_fields(std::string_view line, Field (&fields)[3]) {
  int count = 0;
  size_t start = 0;
  while (count < 3) {
    const size_t comma = line.find(',', start);
    const size_t end = comma == std::string_view::npos ? line.size() : comma;
    fields[count++] = {line.substr(start, end - start), static_cast<int>(start) + 1};
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return count;
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

FailureTrace parse_failure_trace(std::istream& in, const std::string& origin) {
  FailureTrace trace;
  trace.file = origin;
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    std::string_view text(raw);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    Field fields[3];
    const int count = split_fields(text, fields);
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
      continue;
    }
    if (text.empty()) throw InputError(origin, line, 1, "", "empty line in a failure trace");
    LineParser p(origin, line);
    if (count < 3) {
      p.fail(fields[count - 1], count,
             fmt::format("missing; expected 3 columns time_s,node,kind, got \"{}\"", text));
    }
    TraceRecord r{p.time(fields[0]), p.node(fields[1]), p.kind(fields[2]), line};
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

FailureTrace load_failure_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "", "cannot open the failure trace");
  return parse_failure_trace(in, path);
}

double trace_span_seconds(const std::vector<TraceRecord>& records) {
  if (records.empty()) return 0;
  const double first = records.front().time_s;
  const double last = records.back().time_s;
  if (records.size() == 1) return last;
  return last + (last - first) / static_cast<double>(records.size() - 1);
}

}  // namespace ckptlab
