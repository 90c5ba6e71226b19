// How a scenario replays a trace: the decoded `failures.trace` mapping and the events it keeps.
// The schema is documented at the top of failure_spec.cpp, and the CSV format in failure_trace.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_trace.hpp"
#include "failure/trace_racks.hpp"
#include "failure/trace_time.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

// How trace node ids become cluster nodes (trace_remap.hpp).
enum class TraceRemap {
  none,     // as recorded; an id >= cluster nodes is an error
  modulo,   // id % nodes
  random,   // a random assignment for the seed: injective when the trace has at most as many
            // nodes as the cluster, else balanced many-to-one
  by_rack,  // each trace rack to a random cluster rack, nodes by their place in the rack, so
            // failures that hit one rack of the logged cluster hit one rack of the simulated one
};
std::string_view to_string(TraceRemap remap);

struct TraceReplaySpec {
  std::string file;                // resolved path of the CSV
  double time_scale = 1.0;         // multiplies every time: 0.5 doubles the failure rate
  bool loop = false;               // repeat after `span` forever, else end after the last event
  std::vector<std::string> kinds;  // kept kinds; empty keeps all
  TraceRemap remap = TraceRemap::none;
  bool remap_modulo = false;        // remap == modulo (kept for existing readers)
  std::optional<RackOf> rack_of;    // by_rack: where the trace's nodes were
  TraceRacks racks;                 // by_rack: the rack and place of each kept event
  TraceWindow window;               // kept part of the trace, before time_scale
  std::string window_text;          // as written, for describe(); empty: the whole trace
  bool merge_bursts = false;        // bursts: merge (trace_replay.hpp)
  std::size_t file_events = 0;      // rows in the file, before the kinds and window filters
  std::vector<TraceRecord> events;  // kept rows, times from the window start times time_scale
  Seconds span;                     // the loop period (see decode_trace_replay)
};

// Decodes `failures.trace` ({file, time_scale, loop, kinds, remap, rack_of, window, bursts}) and
// reads the trace. A relative `file` is taken from the directory of the scenario file
// (ConfigNode::file()). The loop period is the window's length when it has an end, else the
// kept events' last time plus their mean gap (trace_span_seconds), times time_scale.
// Throws InputError in these cases:
//  - an unknown key, or a file that does not exist (located at the YAML key);
//  - a CSV that does not parse (located at the trace line);
//  - a `kinds` entry that occurs nowhere in the trace (a typo, with a suggestion);
//  - a window that does not parse; no events left after the filters;
//  - a kept node id >= cluster.nodes with `remap: none` (located at the trace line);
//  - `remap: by_rack` without `rack_of`, or `rack_of` with another remap;
//  - `loop` with all events at one instant.
TraceReplaySpec decode_trace_replay(const ConfigNode& node, const ClusterSpec& cluster);

}  // namespace ckptlab
