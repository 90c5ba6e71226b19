#include "failure/trace_time.hpp"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "util/units.hpp"

namespace ckptlab {

namespace {

// Reads exactly `digits` decimal digits at text[pos], advancing pos.
bool read_digits(std::string_view text, size_t& pos, int digits, int& out) {
  if (pos + static_cast<size_t>(digits) > text.size()) return false;
  out = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += static_cast<size_t>(digits);
  return true;
}

[[noreturn]] void bad_time(std::string_view text, const char* why) {
  throw std::invalid_argument(fmt::format(
      "expected an ISO-8601 time YYYY-MM-DD[Thh:mm[:ss[.f]]][Z|+hh:mm] ({}), got \"{}\"", why,
      text));
}

}  // namespace

bool looks_like_iso8601(std::string_view text) {
  if (text.size() < 5 || text[4] != '-') return false;
  for (int i = 0; i < 4; ++i)
    if (text[static_cast<size_t>(i)] < '0' || text[static_cast<size_t>(i)] > '9') return false;
  return true;
}

double parse_iso8601_seconds(std::string_view text) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!read_digits(text, pos, 4, y) || pos >= text.size() || text[pos++] != '-' ||
      !read_digits(text, pos, 2, mo) || pos >= text.size() || text[pos++] != '-' ||
      !read_digits(text, pos, 2, d)) {
    bad_time(text, "the date");
  }
  using namespace std::chrono;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) bad_time(text, "no such date");
  double fraction = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!read_digits(text, pos, 2, h) || pos >= text.size() || text[pos++] != ':' ||
        !read_digits(text, pos, 2, mi)) {
      bad_time(text, "the clock time");
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!read_digits(text, pos, 2, s)) bad_time(text, "the seconds");
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        const size_t start = pos;
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        if (pos == start + 1) bad_time(text, "the fraction");
        std::string digits = "0." + std::string(text.substr(start + 1, pos - start - 1));
        fraction = std::stod(digits);
      }
    }
    // 60 admits a leap second; it lands on the next minute's first second, as POSIX time does.
    if (h > 23 || mi > 59 || s > 60) bad_time(text, "no such clock time");
  }
  int offset_minutes = 0;
  if (pos < text.size()) {
    const char z = text[pos];
    if (z == 'Z') {
      ++pos;
    } else if (z == '+' || z == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!read_digits(text, pos, 2, oh)) bad_time(text, "the zone offset");
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (pos < text.size() && !read_digits(text, pos, 2, om)) bad_time(text, "the zone offset");
      if (oh > 23 || om > 59) bad_time(text, "no such zone offset");
      offset_minutes = (z == '+' ? 1 : -1) * (oh * 60 + om);
    }
  }
  if (pos != text.size()) bad_time(text, "trailing characters");
  const auto day_count = sys_days(date).time_since_epoch().count();
  return static_cast<double>(day_count) * 86400.0 + h * 3600.0 + mi * 60.0 + s + fraction -
         offset_minutes * 60.0;
}

TraceWindow parse_trace_window(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("expected a window START:END of durations (\"30d:200d\", \":200d\", "
                    "\"30d:\"), got \"{}\"",
                    text));
  }
  TraceWindow w;
  const std::string_view start = text.substr(0, colon), end = text.substr(colon + 1);
  if (!start.empty()) w.start_s = parse_duration(start).value;
  if (!end.empty()) w.end_s = parse_duration(end).value;
  if (w.start_s < 0) throw std::invalid_argument(fmt::format("window start {} < 0", start));
  if (!(w.end_s > w.start_s)) {
    throw std::invalid_argument(fmt::format("window \"{}\": END must be later than START", text));
  }
  return w;
}

}  // namespace ckptlab
