#include "failure/trace_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "failure/trace_selection.hpp"

namespace ckptlab {

namespace {

const std::vector<std::string> kRemapNames = {"none", "modulo", "random", "by_rack"};

TraceRemap decode_remap(const ConfigNode& n) {
  const std::string remap = n.as_string();
  for (size_t i = 0; i < kRemapNames.size(); ++i)
    if (remap == kRemapNames[i]) return static_cast<TraceRemap>(i);
  const std::string hint = closest_match(remap, kRemapNames);
  n.fail(fmt::format("unknown remap \"{}\"{}; expected one of {}", remap,
                     hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                     fmt::join(kRemapNames, ", ")));
}

}  // namespace

std::string_view to_string(TraceRemap remap) { return kRemapNames.at(static_cast<size_t>(remap)); }

TraceReplaySpec decode_trace_replay(const ConfigNode& t, const ClusterSpec& cluster) {
  TraceReplaySpec out;
  t.expect_keys({"file", "time_scale", "loop", "kinds", "remap", "rack_of", "window", "bursts"});
  namespace fs = std::filesystem;
  const ConfigNode file_node = t["file"];
  fs::path path(file_node.as_string());
  if (path.is_relative()) path = fs::path(t.file()).parent_path() / path;
  out.file = path.lexically_normal().string();
  // The error_code overload: a name the OS rejects (too long, say) is a missing file here, not a
  // filesystem_error escaping the decoder.
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    file_node.fail(
        fmt::format("trace file \"{}\" does not exist (a relative path is taken from "
                    "the directory of the scenario file)",
                    out.file));
  }
  if (auto n = t.find("time_scale")) out.time_scale = n->as_positive_double();
  out.loop = t.bool_or("loop", false);
  if (auto n = t.find("remap")) out.remap = decode_remap(*n);
  out.remap_modulo = out.remap == TraceRemap::modulo;
  if (auto n = t.find("rack_of")) {
    if (out.remap != TraceRemap::by_rack)
      n->fail("rack_of applies to remap: by_rack (it says where the trace's nodes were)");
    try {
      out.rack_of = parse_rack_of(n->as_string());
    } catch (const std::invalid_argument& e) {
      n->fail(e.what());
    }
  } else if (out.remap == TraceRemap::by_rack) {
    t["remap"].fail(
        "remap: by_rack needs rack_of: node/K (K nodes per trace rack) or a rack column");
  }
  if (auto n = t.find("window")) {
    out.window_text = n->as_string();
    try {
      out.window = parse_trace_window(out.window_text);
    } catch (const std::invalid_argument& e) {
      n->fail(e.what());
    }
  }
  if (auto n = t.find("bursts")) {
    const std::string b = n->as_string();
    if (b != "separate" && b != "merge") {
      n->fail(
          fmt::format("unknown bursts \"{}\"; expected separate (default: one event per "
                      "row) or merge (one event per rack and timestamp)",
                      b));
    }
    out.merge_bursts = b == "merge";
  }

  std::vector<std::string> extra;
  if (out.rack_of && !out.rack_of->column.empty()) extra.push_back(out.rack_of->column);
  const FailureTrace trace = load_failure_trace(out.file, extra);
  out.file_events = trace.records.size();
  const std::vector<std::string> present = trace_kinds(trace);

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

  TraceSelection kept = select_trace(trace, out.kinds, out.window);
  for (const TraceRecord& r : kept.records) {
    if (out.remap == TraceRemap::none && r.node >= cluster.nodes) {
      throw InputError(out.file, r.line, 0, "",
                       fmt::format("column 'node': node {} is outside the cluster's {} nodes "
                                   "(set failures.trace.remap: modulo to wrap node ids)",
                                   r.node, cluster.nodes));
    }
  }
  if (kept.records.empty()) {
    t.fail(fmt::format("trace \"{}\" has no events to replay{}", out.file,
                       out.window_text.empty() ? "" : " in window " + out.window_text));
  }
  if (out.rack_of) out.racks = assign_trace_racks(*out.rack_of, kept.records, out.file);
  out.events = std::move(kept.records);
  for (TraceRecord& r : out.events) {
    r.time_s *= out.time_scale;
    r.extra.clear();  // read for the racks only
  }
  out.span = out.window.has_end() ? Seconds{out.window.length_s() * out.time_scale}
                                  : Seconds{trace_span_seconds(out.events)};
  if (out.loop && !(out.span.value > 0)) {
    t.fail(
        "a looped trace needs events spread over a positive time (all of them are at one instant)");
  }
  return out;
}

}  // namespace ckptlab
