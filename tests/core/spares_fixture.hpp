// What the spare-pool tests share: a `restart:` section decoded from YAML text, and times in
// hours.
#pragma once

#include <string>

#include "failure/restart_model.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab::testing {

constexpr double kHour = 3600.0;

inline RestartSpec decode_restart_yaml(const std::string& yaml) {
  return decode_restart(ConfigNode::load_string(yaml, "scenario.yaml")["restart"]);
}

inline Nanos at_hours(double h) { return to_nanos(Seconds{h * kHour}); }

}  // namespace ckptlab::testing
