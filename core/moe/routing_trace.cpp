#include "moe/routing_trace.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <set>
#include <string_view>
#include <tuple>

#include "util/csv_fields.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

constexpr std::string_view kColumns[] = {"iteration", "layer", "expert", "tokens"};
constexpr int kColumnCount = 4;

using Field = CsvField;

[[noreturn]] void fail(const std::string& origin, int line, const Field& f, int col,
                       const std::string& what) {
  throw InputError(origin, line, f.column, "", fmt::format("column '{}': {}", kColumns[col], what));
}

std::int64_t whole_number(const std::string& origin, int line, const Field& f, int col) {
  std::int64_t v = 0;
  const char* end = f.text.data() + f.text.size();
  auto [ptr, ec] = std::from_chars(f.text.data(), end, v);
  if (f.text.empty() || ec != std::errc() || ptr != end || v < 0) {
    fail(origin, line, f, col, fmt::format("expected a whole number >= 0, got \"{}\"", f.text));
  }
  return v;
}

}  // namespace

RoutingTrace parse_routing_trace(std::istream& in, const std::string& origin) {
  RoutingTrace trace;
  trace.file = origin;
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> seen_at_iteration;
  int line = 0;
  for (std::string raw; std::getline(in, raw);) {
    ++line;
    std::string_view text(raw);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    Field fields[kColumnCount];
    const int count = split_leading_fields(text, fields);
    if (line == 1) {
      for (int c = 0; c < kColumnCount; ++c) {
        if (c >= count || fields[c].text != kColumns[c]) {
          throw InputError(origin, 1, c < count ? fields[c].column : 1, "",
                           fmt::format("expected the header iteration,layer,expert,tokens (extra "
                                       "columns after these are allowed), got \"{}\"",
                                       text));
        }
      }
      continue;
    }
    if (text.empty()) throw InputError(origin, line, 1, "", "empty line in a routing trace");
    if (count < kColumnCount) {
      fail(origin, line, fields[count - 1], count,
           fmt::format("missing; expected 4 columns iteration,layer,expert,tokens, got \"{}\"",
                       text));
    }
    RoutingTraceRow r;
    r.iteration = whole_number(origin, line, fields[0], 0);
    r.layer = whole_number(origin, line, fields[1], 1);
    r.expert = whole_number(origin, line, fields[2], 2);
    r.tokens = whole_number(origin, line, fields[3], 3);
    r.line = line;
    r.layer_column = fields[1].column;
    r.expert_column = fields[2].column;
    if (trace.rows.empty() && r.iteration != 0) {
      fail(origin, line, fields[0], 0,
           fmt::format("the first row must be at iteration 0 (every iteration needs a value), "
                       "got {}",
                       r.iteration));
    }
    if (!trace.rows.empty()) {
      const RoutingTraceRow& prev = trace.rows.back();
      if (r.iteration < prev.iteration) {
        fail(origin, line, fields[0], 0,
             fmt::format("iteration {} is earlier than the previous row's {} (line {}); a trace "
                         "must be sorted by iteration",
                         r.iteration, prev.iteration, prev.line));
      }
      if (r.iteration != prev.iteration) seen_at_iteration.clear();
    }
    if (!seen_at_iteration.emplace(r.iteration, r.layer, r.expert).second) {
      fail(origin, line, fields[2], 2,
           fmt::format("layer {} expert {} is listed twice at iteration {}", r.layer, r.expert,
                       r.iteration));
    }
    trace.rows.push_back(r);
  }
  if (in.bad()) throw InputError(origin, line, 0, "", "read error");
  if (line == 0) throw InputError(origin, 0, 0, "", "empty routing trace: expected a header line");
  if (trace.rows.empty()) throw InputError(origin, line, 0, "", "routing trace has no rows");
  return trace;
}

RoutingTrace load_routing_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "", "cannot open the routing trace");
  return parse_routing_trace(in, path);
}

void check_routing_trace(const RoutingTrace& trace, std::int64_t moe_layers, std::int64_t experts) {
  for (const RoutingTraceRow& r : trace.rows) {
    if (r.layer >= moe_layers) {
      throw InputError(trace.file, r.line, r.layer_column, "",
                       fmt::format("column 'layer': MoE layer {} is outside the model's {} MoE "
                                   "layers (layer is the ordinal among MoE layers, from 0)",
                                   r.layer, moe_layers));
    }
    if (r.expert >= experts) {
      throw InputError(trace.file, r.line, r.expert_column, "",
                       fmt::format("column 'expert': expert {} is outside the model's {} routed "
                                   "experts",
                                   r.expert, experts));
    }
  }
}

}  // namespace ckptlab
