// How a scenario replays a trace: the decoded `failures.trace` mapping and the events it keeps.
// The schema is documented at the top of failure_spec.cpp, and the CSV format in failure_trace.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_trace.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct TraceReplaySpec {
  std::string file;                 // resolved path of the CSV
  double time_scale = 1.0;          // multiplies every time: 0.5 doubles the failure rate
  bool loop = false;                // repeat after `span` forever, else end after the last event
  std::vector<std::string> kinds;   // kept kinds; empty keeps all
  bool remap_modulo = false;        // node ids >= cluster nodes wrap around (node % nodes)
  std::size_t file_events = 0;      // rows in the file, before the kinds filter
  std::vector<TraceRecord> events;  // kept rows, times already multiplied by time_scale
  Seconds span;                     // trace_span_seconds(events): the loop period
};

// Decodes `failures.trace` ({file, time_scale, loop, kinds, remap}) and reads the trace. A
// relative `file` is taken from the directory of the scenario file (ConfigNode::file()).
// Throws InputError in these cases:
//  - an unknown key, or a file that does not exist (located at the YAML key);
//  - a CSV that does not parse (located at the trace line);
//  - a `kinds` entry that occurs nowhere in the trace (a typo, with a suggestion);
//  - no events left after the filter;
//  - a kept node id >= cluster.nodes without `remap: modulo` (located at the trace line);
//  - `loop` with all events at one instant.
TraceReplaySpec decode_trace_replay(const ConfigNode& node, const ClusterSpec& cluster);

}  // namespace ckptlab
