#include "failure/trace_replay.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "failure/trace_remap.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

class TraceReplay final : public FailureProcess {
 public:
  struct Event {
    Nanos time;  // within one copy of the trace
    std::vector<std::int64_t> nodes;
    size_t kind;  // index into kinds_
  };

  TraceReplay(std::vector<Event> events, std::vector<FailureKind> kinds, Nanos span, bool loop)
      : events_(std::move(events)), kinds_(std::move(kinds)), span_(span), loop_(loop) {}

  std::optional<FailureEvent> next() override {
    if (index_ == events_.size()) {
      if (!loop_ || events_.empty()) return std::nullopt;
      index_ = 0;
      ++copy_;
    }
    const Event& e = events_[index_];
    // Integer nanoseconds: copy c of an event is exactly c spans later, with no drift however
    // many times the trace loops. The limit check comes first, so the product cannot overflow.
    const Nanos limit = to_nanos(Seconds{kMaxFailureTimeSeconds});
    if (copy_ > 0 && copy_ > (limit - e.time) / span_) {
      index_ = events_.size();
      loop_ = false;
      return std::nullopt;
    }
    ++index_;
    const FailureKind& kind = kinds_[e.kind];
    return FailureEvent{e.time + copy_ * span_, e.nodes, kind.name, kind.detection};
  }

 private:
  std::vector<Event> events_;
  std::vector<FailureKind> kinds_;  // one entry per distinct trace kind
  Nanos span_;
  bool loop_;
  size_t index_ = 0;
  std::int64_t copy_ = 0;
};

// Merges, within each run of events at one instant, those on the same cluster rack into the
// first of them (bursts: merge). Order: by first row, as in the file.
std::vector<TraceReplay::Event> merge_bursts(std::vector<TraceReplay::Event> events,
                                             const ClusterSpec& cluster) {
  std::vector<TraceReplay::Event> out;
  for (size_t i = 0; i < events.size();) {
    const size_t group_start = out.size();
    const Nanos t = events[i].time;
    for (; i < events.size() && events[i].time == t; ++i) {
      const std::int64_t rack = cluster.rack_of(events[i].nodes.front());
      auto same = std::find_if(
          out.begin() + static_cast<std::ptrdiff_t>(group_start), out.end(),
          [&](const TraceReplay::Event& e) { return cluster.rack_of(e.nodes.front()) == rack; });
      if (same == out.end()) {
        out.push_back(std::move(events[i]));
      } else {
        auto& nodes = same->nodes;
        const std::int64_t node = events[i].nodes.front();
        if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) {
          nodes.insert(std::upper_bound(nodes.begin(), nodes.end(), node), node);
        }
      }
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<FailureProcess> make_trace_replay(const TraceReplaySpec& trace,
                                                  const ClusterSpec& cluster,
                                                  const std::vector<FailureKind>& kinds,
                                                  Seconds fallback_detection, std::uint64_t seed) {
  CKPTLAB_CHECK(!trace.loop || trace.span.value > 0, "looped trace with span 0");
  const std::vector<std::int64_t> nodes = remap_trace_nodes(trace, cluster, seed);
  // Resolve each distinct kind once, so next() does no string lookups.
  std::vector<FailureKind> used;
  std::vector<TraceReplay::Event> events;
  events.reserve(trace.events.size());
  for (size_t i = 0; i < trace.events.size(); ++i) {
    const TraceRecord& r = trace.events[i];
    // Events past the limit cannot be represented on the clock. The trace is sorted, so the
    // replay simply ends there.
    if (r.time_s > kMaxFailureTimeSeconds) break;
    size_t kind = 0;
    while (kind < used.size() && used[kind].name != r.kind) ++kind;
    if (kind == used.size()) {
      const FailureKind* listed = find_kind(kinds, r.kind);
      used.push_back({r.kind, 1.0, listed ? listed->detection : fallback_detection});
    }
    events.push_back({to_nanos(Seconds{r.time_s}), {nodes[i]}, kind});
  }
  if (trace.merge_bursts) events = merge_bursts(std::move(events), cluster);
  // A span past the limit leaves no room for a second copy.
  const bool loop = trace.loop && trace.span.value <= kMaxFailureTimeSeconds;
  return std::make_unique<TraceReplay>(std::move(events), std::move(used),
                                       loop ? to_nanos(trace.span) : 0, loop);
}

}  // namespace ckptlab
