// libFuzzer target: the failure-trace CSV reader (core/failure/failure_trace.hpp). Input: the
// bytes of a trace file. Any input either parses into records that honour the documented
// format, or throws InputError; anything else is a finding.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "failure/failure_trace.hpp"
#include "util/input_error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  ckptlab::FailureTrace trace;
  try {
    trace = ckptlab::parse_failure_trace(in, "fuzz-trace.csv");
  } catch (const ckptlab::InputError&) {
    return 0;
  }
  // What the parser promises about what it accepted; a violation aborts, so libFuzzer keeps the
  // input as a crash.
  double previous = 0;
  for (const ckptlab::TraceRecord& r : trace.records) {
    if (!std::isfinite(r.time_s) || r.time_s < previous || r.node < 0 || r.kind.empty() ||
        r.line < 2) {
      std::abort();
    }
    previous = r.time_s;
  }
  const double span = ckptlab::trace_span_seconds(trace.records);
  if (!trace.records.empty() && !(span >= trace.records.back().time_s)) std::abort();
  return 0;
}
