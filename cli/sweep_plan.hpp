// The `sweep:` section of a scenario and the points it expands to (docs/sweeps.md).
//
//   sweep:
//     points:                       # optional: explicit combinations, each a map key path -> value
//       - {model: mixtral-8x7b, parallel.ep: 8}
//       - {model: gpt-moe-350m-64e, parallel.ep: 64}
//     axes:                         # optional: key path -> list of values (cartesian product)
//       failures.mtbf_job: [10m, 1h, 24h]
//       cluster.nodes: [1024, 10240]
//
// Every explicit point is combined with every combination of the axes (points outermost, then
// the axes in document order, the last axis varying fastest), so the order of the points, and
// with it sweep.csv, depends only on the file. A point is a list of "key.path=value" overrides
// applied on top of the scenario (after the command line's --set), exactly as --set applies them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "util/config_node.hpp"

namespace ckptlab {

struct SweepSetting {
  std::string key;    // key path, as --set takes it: "failures.mtbf_job", "policies[1].k_pec"
  std::string value;  // the value as flow YAML text: "10m", "[1, 2]", "{name: sync_full}"
  int line = 0;       // where the value is written in the scenario (1-based; 0: unknown)
  int column = 0;
};

struct SweepPoint {
  std::size_t index = 0;               // position in the sweep's order, 0-based
  std::vector<SweepSetting> settings;  // explicit point's settings first, then one per axis

  // "failures.mtbf_job=10m, cluster.nodes=1024" (empty string for a point that sets nothing).
  std::string label() const;
  // The settings as "key=value" overrides for load_scenario.
  std::vector<std::string> overrides() const;
  // The value this point gives `key`, or "" when it does not set it.
  std::string value_of(const std::string& key) const;
};

struct SweepPlan {
  std::string file;                  // the scenario file the section came from
  std::vector<std::string> columns;  // every key some point sets, in order of first appearance
  std::vector<SweepPoint> points;    // in sweep order; never empty
};

// The most points one sweep may have: a typo in an axis (a list pasted twice) should be an error,
// not a month of computing.
inline constexpr std::size_t kMaxSweepPoints = 100000;

// Reads the `sweep:` mapping of a scenario document (after --set overrides). Throws InputError,
// located at the offending node, when the section is missing, has unknown keys, an axis is not a
// non-empty list, a point is not a mapping, a key is both an axis and an explicit point's key,
// or the product exceeds kMaxSweepPoints.
SweepPlan read_sweep_plan(const ConfigNode& root);

}  // namespace ckptlab
