// What the spare-pool tests share: a `restart:` section decoded from YAML text, times in hours,
// and random failure events for the randomised bookkeeping tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "failure/random_draws.hpp"

#include "failure/restart_model.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab::testing {

constexpr double kHour = 3600.0;

inline RestartSpec decode_restart_yaml(const std::string& yaml) {
  return decode_restart(ConfigNode::load_string(yaml, "scenario.yaml")["restart"]);
}

inline Nanos at_hours(double h) { return to_nanos(Seconds{h * kHour}); }

// The nodes of one random failure event: 1 to 3 distinct nodes of 20, in draw order.
inline std::vector<std::int64_t> random_failed_nodes(std::mt19937_64& engine) {
  std::vector<std::int64_t> nodes;
  const std::uint64_t count = 1 + draw_below(engine, 3);
  for (std::uint64_t k = 0; k < count; ++k) {
    const auto node = static_cast<std::int64_t>(draw_below(engine, 20));
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
  }
  return nodes;
}

}  // namespace ckptlab::testing
