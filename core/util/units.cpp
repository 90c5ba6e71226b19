#include "util/units.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace ckptlab {

Seconds transfer_time(Bytes b, BytesPerSecond r) {
  return {static_cast<double>(b.value) / r.value};
}

Nanos to_nanos(Seconds s) { return static_cast<Nanos>(std::llround(s.value * 1e9)); }

namespace {

struct UnitFactor {
  std::string_view name;
  double factor;
};

// Splits "  1.5 GB/s" into 1.5 and "GB/s". Throws when there is no leading number.
std::pair<double, std::string_view> split_number(std::string_view text, std::string_view what) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  double number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) {
    throw std::invalid_argument(fmt::format("expected a {}, got \"{}\"", what, text));
  }
  if (!std::isfinite(number)) {
    throw std::invalid_argument(fmt::format("expected a finite {}, got \"{}\"", what, text));
  }
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.remove_prefix(1);
  return {number, unit};
}

template <size_t N>
double lookup_unit(std::string_view unit, const std::array<UnitFactor, N>& table,
                   std::string_view text, std::string_view what, std::string_view examples) {
  for (const auto& u : table) {
    if (u.name == unit) return u.factor;
  }
  if (unit.empty()) {
    throw std::invalid_argument(
        fmt::format("expected a {} with a unit (e.g. {}), got the bare number \"{}\"", what,
                    examples, text));
  }
  throw std::invalid_argument(
      fmt::format("unknown unit \"{}\" in \"{}\": expected a {} such as {}", unit, text, what, examples));
}

constexpr std::array<UnitFactor, 13> kDurationUnits{{{"ns", 1e-9},
                                                     {"us", 1e-6},
                                                     {"ms", 1e-3},
                                                     {"s", 1},
                                                     {"sec", 1},
                                                     {"m", 60},
                                                     {"min", 60},
                                                     {"h", 3600},
                                                     {"hr", 3600},
                                                     {"d", 86400},
                                                     {"day", 86400},
                                                     {"w", 7 * 86400},
                                                     {"y", 365 * 86400}}};

constexpr std::array<UnitFactor, 12> kSizeUnits{{{"B", 1},
                                                 {"kB", 1e3},
                                                 {"KB", 1e3},
                                                 {"MB", 1e6},
                                                 {"GB", 1e9},
                                                 {"TB", 1e12},
                                                 {"PB", 1e15},
                                                 {"KiB", 1024.0},
                                                 {"MiB", 1024.0 * 1024},
                                                 {"GiB", 1024.0 * 1024 * 1024},
                                                 {"TiB", 1024.0 * 1024 * 1024 * 1024},
                                                 {"PiB", 1024.0 * 1024 * 1024 * 1024 * 1024}}};

constexpr std::array<UnitFactor, 16> kBandwidthUnits{{{"B/s", 1},
                                                      {"kB/s", 1e3},
                                                      {"KB/s", 1e3},
                                                      {"MB/s", 1e6},
                                                      {"GB/s", 1e9},
                                                      {"TB/s", 1e12},
                                                      {"MiB/s", 1024.0 * 1024},
                                                      {"GiB/s", 1024.0 * 1024 * 1024},
                                                      {"b/s", 1.0 / 8},
                                                      {"kb/s", 1e3 / 8},
                                                      {"Mb/s", 1e6 / 8},
                                                      {"Gb/s", 1e9 / 8},
                                                      {"Tb/s", 1e12 / 8},
                                                      {"Mbps", 1e6 / 8},
                                                      {"Gbps", 1e9 / 8},
                                                      {"Tbps", 1e12 / 8}}};

constexpr std::array<UnitFactor, 8> kCountUnits{{{"", 1},
                                                 {"k", 1e3},
                                                 {"K", 1e3},
                                                 {"M", 1e6},
                                                 {"G", 1e9},
                                                 {"B", 1e9},
                                                 {"T", 1e12},
                                                 {"Ki", 1024.0}}};

}  // namespace

Seconds parse_duration(std::string_view text) {
  auto [number, unit] = split_number(text, "duration");
  double factor = lookup_unit(unit, kDurationUnits, text, "duration", "\"250ms\", \"30m\", \"7d\"");
  if (number < 0) throw std::invalid_argument(fmt::format("duration \"{}\" is negative", text));
  double seconds = number * factor;
  if (seconds > 1000.0 * 365 * 86400) {
    throw std::invalid_argument(fmt::format("duration \"{}\" exceeds 1000 years", text));
  }
  return {seconds};
}

Bytes parse_size(std::string_view text) {
  auto [number, unit] = split_number(text, "size");
  double factor = lookup_unit(unit, kSizeUnits, text, "size", "\"80 GB\", \"1.2 TB\", \"512 MiB\"");
  if (number < 0) throw std::invalid_argument(fmt::format("size \"{}\" is negative", text));
  double bytes = number * factor;
  if (bytes > 9.0e18) throw std::invalid_argument(fmt::format("size \"{}\" is too large", text));
  return {static_cast<std::int64_t>(std::llround(bytes))};
}

BytesPerSecond parse_bandwidth(std::string_view text) {
  auto [number, unit] = split_number(text, "bandwidth");
  double factor =
      lookup_unit(unit, kBandwidthUnits, text, "bandwidth", "\"400 Gb/s\", \"25 GB/s\"");
  if (number <= 0) throw std::invalid_argument(fmt::format("bandwidth \"{}\" must be positive", text));
  return {number * factor};
}

std::int64_t parse_count(std::string_view text) {
  auto [number, unit] = split_number(text, "count");
  double factor = lookup_unit(unit, kCountUnits, text, "count", "\"16M\", \"4096\", \"1.5k\"");
  if (number < 0) throw std::invalid_argument(fmt::format("count \"{}\" is negative", text));
  double count = number * factor;
  if (count > 9.0e18) throw std::invalid_argument(fmt::format("count \"{}\" is too large", text));
  if (std::abs(count - std::round(count)) > 1e-6 * std::max(1.0, count)) {
    throw std::invalid_argument(fmt::format("count \"{}\" is not a whole number", text));
  }
  return static_cast<std::int64_t>(std::llround(count));
}

std::string format_size(Bytes b) {
  double v = static_cast<double>(b.value);
  constexpr std::array<const char*, 6> names{"B", "kB", "MB", "GB", "TB", "PB"};
  size_t i = 0;
  while (std::abs(v) >= 1000 && i + 1 < names.size()) {
    v /= 1000;
    ++i;
  }
  return i == 0 ? fmt::format("{} B", b.value) : fmt::format("{:.2f} {}", v, names[i]);
}

std::string format_bandwidth(BytesPerSecond r) {
  double v = r.value;
  constexpr std::array<const char*, 5> names{"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
  size_t i = 0;
  while (std::abs(v) >= 1000 && i + 1 < names.size()) {
    v /= 1000;
    ++i;
  }
  return fmt::format("{:.1f} {}", v, names[i]);
}

std::string format_duration(Seconds s) {
  double v = s.value;
  if (v < 1e-3) return fmt::format("{:.1f} us", v * 1e6);
  if (v < 1) return fmt::format("{:.1f} ms", v * 1e3);
  if (v < 120) return fmt::format("{:.2f} s", v);
  if (v < 7200) return fmt::format("{:.1f} min", v / 60);
  if (v < 3 * 86400) return fmt::format("{:.2f} h", v / 3600);
  return fmt::format("{:.2f} d", v / 86400);
}

std::string format_count(double n) {
  if (std::abs(n) >= 1e12) return fmt::format("{:.2f} T", n / 1e12);
  if (std::abs(n) >= 1e9) return fmt::format("{:.2f} B", n / 1e9);
  if (std::abs(n) >= 1e6) return fmt::format("{:.1f} M", n / 1e6);
  if (std::abs(n) >= 1e3) return fmt::format("{:.1f} k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

}  // namespace ckptlab
