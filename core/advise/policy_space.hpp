// What `ckptlab advise` may tune in each policy: only keys the policy really decodes, within the
// ranges its decoder accepts (core/policies/*.hpp list them).
//
//   sync_full        interval (searched as interval_iterations; starts at `interval: daly`)
//   async_two_level  interval (its snapshot/persist cadence: one snapshot, then one persist,
//                    per interval; starts at `interval: daly`)
//   in_memory        replicas 1..3, placement group|ring, persist_interval 1h..24h, and
//                    interval_iterations (starts at Gemini's rule: the policy's default)
//   moetion          replicas 0..3, persist_interval 1h..24h; no interval (a slot every
//                    iteration) and no window override (W_sparse follows from PCIe time)
//   moc_pec          k_pec 1, 2, 4, .. E, selection sequential|load_aware, the snapshot/persist
//                    split k_snapshot auto|E, and the interval (starts at `interval: daly`)
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "advise/advise_settings.hpp"

namespace ckptlab {

struct TunableParameter {
  std::string key;
  // Ordinal values are searched by climbing from the current one (ETTR is taken as unimodal in
  // them); categorical ones are all tried.
  bool ordinal = false;
  std::vector<std::string> values;  // YAML texts; ordinal ones ascending
  std::size_t start = 0;            // index of the scenario's value (inserted when not listed)
  // The scenario does not set the key: its start value is the policy's default, and a candidate
  // at that value leaves the key out (so it is the scenario's own entry, evaluated once).
  bool start_is_default = false;
  // A value whose candidate the policy describes exactly as an earlier value's is the same
  // policy (k_snapshot: auto often resolves to E or to k_pec) and is not run again. Only set
  // where the policy's describe() names the parameter's resolved value.
  bool skip_same_description = false;
  // The YAML text a candidate uses for values[i] ("" leaves the key out).
  std::string text(std::size_t i) const { return start_is_default && i == start ? "" : values[i]; }
};

struct PolicySpace {
  std::vector<TunableParameter> discrete;  // searched one after another, in this order
  bool interval = false;                   // the interval is searched (interval_iterations)
  bool daly = false;                       // the policy accepts `interval: daly`: the start
  std::vector<std::string> notes;          // what was asked for and does not exist
};

// `settings` for reading: a key left at the policy's default ("") shows that default value,
// "k_pec=1 (default)".
Settings shown_settings(const PolicySpace& space, const Settings& settings);

// The space of a policy of `kind` whose scenario entry is `policy`, for a model with `experts`
// routed experts per MoE layer (0: dense) on `nodes` nodes. An unknown kind has an empty space
// (its scenario settings are kept and only evaluated).
PolicySpace policy_space(const std::string& kind, const YAML::Node& policy, std::int64_t experts,
                         std::int64_t nodes);

}  // namespace ckptlab
