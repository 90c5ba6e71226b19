#include "failure/trace_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

namespace ckptlab {

TraceReplaySpec decode_trace_replay(const ConfigNode& t, const ClusterSpec& cluster) {
  TraceReplaySpec out;
  t.expect_keys({"file", "time_scale", "loop", "kinds", "remap"});
  namespace fs = std::filesystem;
  const ConfigNode file_node = t["file"];
  fs::path path(file_node.as_string());
  if (path.is_relative()) path = fs::path(t.file()).parent_path() / path;
  out.file = path.lexically_normal().string();
  if (!fs::is_regular_file(path)) {
    file_node.fail(
        fmt::format("trace file \"{}\" does not exist (a relative path is taken from "
                    "the directory of the scenario file)",
                    out.file));
  }
  if (auto n = t.find("time_scale")) out.time_scale = n->as_positive_double();
  out.loop = t.bool_or("loop", false);
  if (auto n = t.find("remap")) {
    const std::string remap = n->as_string();
    if (remap != "none" && remap != "modulo") {
      n->fail(fmt::format("unknown remap \"{}\"; expected none or modulo", remap));
    }
    out.remap_modulo = remap == "modulo";
  }

  const FailureTrace trace = load_failure_trace(out.file);
  out.file_events = trace.records.size();
  std::vector<std::string> present;  // kinds in the file, sorted, for filter checks and messages
  for (const auto& r : trace.records) {
    if (std::find(present.begin(), present.end(), r.kind) == present.end())
      present.push_back(r.kind);
  }
  std::sort(present.begin(), present.end());

  if (auto list = t.find("kinds")) {
    if (list->size() == 0) list->fail("expected at least one kind to keep (or leave kinds out)");
    for (const ConfigNode& k : list->items()) {
      const std::string name = k.as_string();
      if (std::find(present.begin(), present.end(), name) == present.end()) {
        const std::string hint = closest_match(name, present);
        k.fail(fmt::format("kind \"{}\" does not occur in trace \"{}\"{}; kinds there: {}", name,
                           out.file, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                           fmt::join(present, ", ")));
      }
      if (std::find(out.kinds.begin(), out.kinds.end(), name) != out.kinds.end()) {
        k.fail(fmt::format("kind \"{}\" is listed twice", name));
      }
      out.kinds.push_back(name);
    }
  }

  for (const auto& r : trace.records) {
    if (!out.kinds.empty() &&
        std::find(out.kinds.begin(), out.kinds.end(), r.kind) == out.kinds.end()) {
      continue;
    }
    if (!out.remap_modulo && r.node >= cluster.nodes) {
      throw InputError(out.file, r.line, 0, "",
                       fmt::format("column 'node': node {} is outside the cluster's {} nodes "
                                   "(set failures.trace.remap: modulo to wrap node ids)",
                                   r.node, cluster.nodes));
    }
    TraceRecord kept = r;
    kept.time_s = r.time_s * out.time_scale;
    out.events.push_back(std::move(kept));
  }
  if (out.events.empty()) t.fail(fmt::format("trace \"{}\" has no events to replay", out.file));
  out.span = Seconds{trace_span_seconds(out.events)};
  if (out.loop && !(out.span.value > 0)) {
    t.fail(
        "a looped trace needs events spread over a positive time (all of them are at one instant)");
  }
  return out;
}

}  // namespace ckptlab
