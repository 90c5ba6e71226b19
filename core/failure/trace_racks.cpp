#include "failure/trace_racks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <stdexcept>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

bool whole_number(const std::string& s, std::int64_t& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return !s.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

std::string RackOf::describe() const {
  return nodes_per_rack > 0 ? fmt::format("node/{}", nodes_per_rack)
                            : fmt::format("column {}", column);
}

RackOf parse_rack_of(std::string_view text) {
  RackOf out;
  if (text.substr(0, 5) == "node/") {
    const std::string k(text.substr(5));
    if (!whole_number(k, out.nodes_per_rack) || out.nodes_per_rack < 1) {
      throw std::invalid_argument(
          fmt::format("expected node/K with a whole K >= 1 (nodes per rack), got \"{}\"", text));
    }
    return out;
  }
  const bool ok = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!ok) {
    throw std::invalid_argument(fmt::format(
        "expected a rack rule node/K (e.g. node/96) or the name of a trace column, got \"{}\"",
        text));
  }
  out.column = std::string(text);
  return out;
}

std::int64_t TraceRacks::total_nodes() const {
  std::int64_t n = 0;
  for (const auto& [rack, count] : rack_nodes) n += count;
  return n;
}

TraceRacks assign_trace_racks(const RackOf& rule, const std::vector<TraceRecord>& records,
                              const std::string& origin, std::size_t column_index,
                              std::int64_t nodes) {
  TraceRacks out;
  out.rack.reserve(records.size());
  out.position.reserve(records.size());
  if (rule.nodes_per_rack > 0) {
    const std::int64_t k = rule.nodes_per_rack;
    std::int64_t n = nodes;
    for (const TraceRecord& r : records) {
      out.rack.push_back(r.node / k);
      out.position.push_back(r.node % k);
      if (nodes == 0) n = std::max(n, r.node + 1);
    }
    for (std::int64_t first = 0; first < n; first += k)
      out.rack_nodes[first / k] = std::min(k, n - first);
    return out;
  }
  // A rack column: number the labels, check each node stays in one rack.
  std::set<std::string> labels;
  bool numeric = true;
  for (const TraceRecord& r : records) {
    CKPTLAB_CHECK(column_index < r.extra.size(), "rack column not read");
    const TraceValue& v = r.extra[column_index];
    if (v.text.empty()) {
      throw InputError(
          origin, r.line, v.column, "",
          fmt::format("column '{}': expected a rack label, got an empty field", rule.column));
    }
    std::int64_t x = 0;
    numeric = numeric && whole_number(v.text, x);
    labels.insert(v.text);
  }
  std::vector<std::string> order(labels.begin(), labels.end());
  if (numeric) {
    std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
      std::int64_t x = 0, y = 0;
      whole_number(a, x);
      whole_number(b, y);
      return x < y;
    });
  }
  std::map<std::string, std::int64_t> index;
  for (const std::string& l : order) index.emplace(l, static_cast<std::int64_t>(index.size()));
  std::map<std::int64_t, std::pair<std::int64_t, int>> rack_of_node;  // node -> (rack, line)
  std::map<std::int64_t, std::set<std::int64_t>> members;
  for (const TraceRecord& r : records) {
    const TraceValue& v = r.extra[column_index];
    const std::int64_t rack = index.at(v.text);
    const auto [it, inserted] = rack_of_node.emplace(r.node, std::make_pair(rack, r.line));
    if (!inserted && it->second.first != rack) {
      throw InputError(
          origin, r.line, v.column, "",
          fmt::format("column '{}': node {} is in rack \"{}\" here but in rack \"{}\" "
                      "on line {}",
                      rule.column, r.node, v.text, order[static_cast<size_t>(it->second.first)],
                      it->second.second));
    }
    members[rack].insert(r.node);
  }
  for (const auto& [rack, set] : members)
    out.rack_nodes[rack] = static_cast<std::int64_t>(set.size());
  for (const TraceRecord& r : records) {
    const std::int64_t rack = rack_of_node.at(r.node).first;
    const auto& set = members.at(rack);
    out.rack.push_back(rack);
    out.position.push_back(std::distance(set.begin(), set.find(r.node)));
  }
  return out;
}

}  // namespace ckptlab
