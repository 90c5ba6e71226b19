// Racks of a failure trace's nodes, when the trace says where its nodes were: either by a rule
// on the node id ("node/96": Titan's 96 nodes per cabinet) or by a column of the trace ("rack",
// "cabinet"). Fitting uses racks to measure correlation; replay (`remap: by_rack`) to keep the
// nodes of one trace rack together on the simulated cluster.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "failure/failure_trace.hpp"

namespace ckptlab {

struct RackOf {
  std::int64_t nodes_per_rack = 0;  // > 0: rack = node / nodes_per_rack
  std::string column;               // else: the rack is this column's value
  std::string describe() const;     // "node/96" or "column cabinet"
};

// Parses a rack rule: "node/K" with a whole K >= 1, or a column name (letters, digits, '_',
// '-', '.'). Throws std::invalid_argument saying what was expected.
RackOf parse_rack_of(std::string_view text);

struct TraceRacks {
  std::vector<std::int64_t> rack;      // per record: the rack, 0-based
  std::vector<std::int64_t> position;  // per record: the node's index within its rack
  // Nodes per rack: from the rule and the node count, or, for a column, the distinct nodes seen
  // in each rack (a lower bound: nodes that never fail leave no trace).
  std::map<std::int64_t, std::int64_t> rack_nodes;
  std::int64_t total_nodes() const;
};

// The racks of `records`. For a column rule, `column_index` is the column's place in each
// record's `extra`; labels are numbered in ascending order (numerically when all are whole
// numbers), and a node's position is its rank among the rack's distinct nodes. `nodes` (0 when
// unknown) sizes the racks of a node/K rule; unknown, the largest node id + 1 does. Throws
// InputError at the record's line when a node appears in two racks, or a label is empty.
TraceRacks assign_trace_racks(const RackOf& rule, const std::vector<TraceRecord>& records,
                              const std::string& origin, std::size_t column_index = 0,
                              std::int64_t nodes = 0);

}  // namespace ckptlab
