// Strong unit types and the unit-string parser used by every YAML input.
//
// Durations, sizes and bandwidths travel as these types so that a bare double whose unit is a
// guess never crosses a function boundary. Sizes are integers (bytes of model state are exact);
// durations and bandwidths are doubles. The simulation clock itself is integer nanoseconds
// (Nanos) so that the Ledger's categories add up to wall time exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ckptlab {

struct Seconds {
  double value = 0.0;
  constexpr auto operator<=>(const Seconds&) const = default;
  constexpr Seconds operator+(Seconds o) const { return {value + o.value}; }
  constexpr Seconds operator-(Seconds o) const { return {value - o.value}; }
  constexpr Seconds operator*(double k) const { return {value * k}; }
  constexpr Seconds& operator+=(Seconds o) {
    value += o.value;
    return *this;
  }
};

struct Bytes {
  std::int64_t value = 0;
  constexpr auto operator<=>(const Bytes&) const = default;
  constexpr Bytes operator+(Bytes o) const { return {value + o.value}; }
  constexpr Bytes operator-(Bytes o) const { return {value - o.value}; }
  constexpr Bytes operator*(std::int64_t k) const { return {value * k}; }
  constexpr Bytes& operator+=(Bytes o) {
    value += o.value;
    return *this;
  }
};

struct BytesPerSecond {
  double value = 0.0;
  constexpr auto operator<=>(const BytesPerSecond&) const = default;
};

// Time to move `b` at rate `r`. REQUIRES: r.value > 0.
Seconds transfer_time(Bytes b, BytesPerSecond r);

// Simulation clock tick: one nanosecond.
using Nanos = std::int64_t;
constexpr Nanos kNanosPerSecond = 1'000'000'000;
// Rounds to the nearest nanosecond. REQUIRES: finite, |s| < 292 years.
Nanos to_nanos(Seconds s);
constexpr Seconds to_seconds(Nanos n) { return {static_cast<double>(n) / 1e9}; }

// Parsers for the unit strings of the scenario YAML. Each throws std::invalid_argument with a
// message saying what was expected (the YAML layer adds file, line and key).
//  duration:  "250ms", "30 s", "30m", "1.5h", "7d", "2w"; units ns, us, ms, s, m|min, h, d, w, y
//             (a year is 365 days). A bare number is rejected: the unit is never a guess.
//  size:      "1.2 TB", "80GB", "512 MiB", "4096 B"; SI (kB, MB, GB, TB, PB) and IEC (KiB..PiB).
//  bandwidth: "400 Gb/s" (bits), "25 GB/s" (bytes), "900 MiB/s"; also "Gbps".
//  count:     "16M", "1.5k", "2G" or a plain integer; used for token and parameter counts.
Seconds parse_duration(std::string_view text);
Bytes parse_size(std::string_view text);
BytesPerSecond parse_bandwidth(std::string_view text);
std::int64_t parse_count(std::string_view text);

// Human-readable forms for tables and messages ("1.13 TB", "52.8 GB/s", "7.00 d", "3.3 min").
std::string format_size(Bytes b);
std::string format_bandwidth(BytesPerSecond r);
std::string format_duration(Seconds s);
std::string format_count(double n);  // "670.96 B" parameters, "37.50 B", "323.3 M"

}  // namespace ckptlab
