#include "failure/trace_selection.hpp"

#include <algorithm>
#include <set>

namespace ckptlab {

std::vector<std::string> trace_kinds(const FailureTrace& trace) {
  std::set<std::string> kinds;
  for (const TraceRecord& r : trace.records) kinds.insert(r.kind);
  return {kinds.begin(), kinds.end()};
}

TraceSelection select_trace(const FailureTrace& trace, const std::vector<std::string>& kinds,
                            const TraceWindow& window) {
  TraceSelection out;
  for (const TraceRecord& r : trace.records) {
    if (!window.contains(r.time_s)) continue;
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) continue;
    TraceRecord kept = r;
    kept.time_s -= window.start_s;
    out.records.push_back(std::move(kept));
  }
  const double last = trace.records.empty() ? 0 : trace.records.back().time_s;
  out.period_s = window.has_end() ? window.length_s() : std::max(0.0, last - window.start_s);
  return out;
}

}  // namespace ckptlab
