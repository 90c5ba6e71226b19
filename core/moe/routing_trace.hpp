// Expert routing traces: measured tokens per expert as CSV, parsed strictly so that a damaged
// or misconverted file is an error naming its line and column, never a silently different
// routing history.
//
// Format: a header `iteration,layer,expert,tokens`, then one row per (iteration, layer, expert):
//   iteration  a whole number >= 0; non-decreasing down the file. A row's value holds from its
//              iteration until the next listed iteration (the trace is a step function, so a
//              sparse trace sampled every N iterations is valid); the last listed iteration's
//              values hold for ever. The first listed iteration must be 0, so that every
//              iteration has a value.
//   layer      the MoE layer's ordinal among the model's MoE layers (0 = the first MoE layer),
//              not its block index
//   expert     the routed expert's id in [0, experts)
//   tokens     token-expert assignments routed to that expert in each of those iterations: a
//              whole number >= 0. Experts not listed at an iteration receive 0 there.
// A (iteration, layer, expert) may occur once. Lines may end in CRLF; blank lines, missing
// columns and stray spaces inside numbers are errors. Columns after the fourth are ignored.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace ckptlab {

struct RoutingTraceRow {
  std::int64_t iteration = 0;
  std::int64_t layer = 0;
  std::int64_t expert = 0;
  std::int64_t tokens = 0;
  int line = 0;          // 1-based line in the file, so range checks against a model can name it
  int layer_column = 0;  // 1-based columns of the layer and expert fields, for the same reason
  int expert_column = 0;
};

struct RoutingTrace {
  std::string file;                   // where it was read from, for messages
  std::vector<RoutingTraceRow> rows;  // file order, which is iteration order
};

// Parses trace text. `origin` names the source in errors. Throws InputError(origin, line,
// column, "", message) naming the CSV column on the first bad line, including a duplicate
// (iteration, layer, expert), rows out of iteration order, a first iteration other than 0 and
// an empty trace.
RoutingTrace parse_routing_trace(std::istream& in, const std::string& origin);

// Reads and parses the trace file at `path`. Throws InputError when the file cannot be read or
// does not parse.
RoutingTrace load_routing_trace(const std::string& path);

// Checks the trace against a model's shape. Throws InputError(file, line, column, "", ...) for
// the first row whose layer is >= moe_layers or whose expert is >= experts.
void check_routing_trace(const RoutingTrace& trace, std::int64_t moe_layers, std::int64_t experts);

}  // namespace ckptlab
