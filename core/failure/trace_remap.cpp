#include "failure/trace_remap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <utility>

#include "failure/random_draws.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

// Fisher-Yates with draw_below: std::shuffle's algorithm is implementation-defined.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& engine) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(draw_below(engine, i));
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<std::int64_t> shuffled_range(std::int64_t n, std::mt19937_64& engine) {
  std::vector<std::int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  shuffle(v, engine);
  return v;
}

// Assigns the distinct `keys` (sorted, as std::map keys), shuffled, round-robin to a shuffled
// list of 0..targets-1.
std::map<std::int64_t, std::int64_t> round_robin(std::map<std::int64_t, std::int64_t> keys,
                                                 std::int64_t targets, std::mt19937_64& engine) {
  std::vector<std::int64_t> order;
  order.reserve(keys.size());
  for (const auto& [key, unused] : keys) order.push_back(key);
  shuffle(order, engine);
  const std::vector<std::int64_t> target = shuffled_range(targets, engine);
  for (size_t j = 0; j < order.size(); ++j) keys[order[j]] = target[j % target.size()];
  return keys;
}

}  // namespace

std::vector<std::int64_t> remap_trace_nodes(const TraceReplaySpec& trace,
                                            const ClusterSpec& cluster, std::uint64_t seed) {
  CKPTLAB_CHECK(cluster.nodes >= 1, "cluster without nodes");
  std::vector<std::int64_t> out;
  out.reserve(trace.events.size());
  std::mt19937_64 engine(stream_seed(seed, RandomStream::trace_remap));
  switch (trace.remap) {
    case TraceRemap::none:
    case TraceRemap::modulo:
      for (const TraceRecord& r : trace.events) {
        const std::int64_t node =
            trace.remap == TraceRemap::modulo ? r.node % cluster.nodes : r.node;
        CKPTLAB_CHECK(node < cluster.nodes,
                      fmt::format("trace node {} (line {}) on a cluster of {} nodes", r.node,
                                  r.line, cluster.nodes));
        out.push_back(node);
      }
      break;
    case TraceRemap::random: {
      std::map<std::int64_t, std::int64_t> ids;
      for (const TraceRecord& r : trace.events) ids.emplace(r.node, 0);
      const auto to = round_robin(std::move(ids), cluster.nodes, engine);
      for (const TraceRecord& r : trace.events) out.push_back(to.at(r.node));
      break;
    }
    case TraceRemap::by_rack: {
      CKPTLAB_CHECK(trace.racks.rack.size() == trace.events.size(), "by_rack without racks");
      std::map<std::int64_t, std::int64_t> racks;
      for (std::int64_t rack : trace.racks.rack) racks.emplace(rack, 0);
      const auto to = round_robin(std::move(racks), cluster.racks(), engine);
      for (size_t i = 0; i < trace.events.size(); ++i) {
        const std::int64_t rack = to.at(trace.racks.rack[i]);
        const std::int64_t first = rack * cluster.nodes_per_rack;
        const std::int64_t size =
            std::min<std::int64_t>(cluster.nodes_per_rack, cluster.nodes - first);
        out.push_back(first + trace.racks.position[i] % size);
      }
      break;
    }
  }
  return out;
}

}  // namespace ckptlab
