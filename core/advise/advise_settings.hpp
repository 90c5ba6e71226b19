// A candidate of `ckptlab advise`: the policy keys it sets, applied to the scenario's own policy
// entry exactly as a user would edit it (docs/advise.md).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace ckptlab {

// Policy key -> value as YAML text ("k_pec" -> "4", "persist_interval" -> "6h"), in the order the
// search set them. A key appears at most once.
using Settings = std::vector<std::pair<std::string, std::string>>;

// `settings` with `key` set to `value` (replacing an earlier value of the key, keeping its place).
Settings with_setting(Settings settings, const std::string& key, const std::string& value);
// The value `settings` gives `key`, or "" when it gives none.
std::string setting_of(const Settings& settings, const std::string& key);
// "k_pec=4, interval_iterations=12"; "as in the scenario" when empty.
std::string settings_text(const Settings& settings);

// A copy of the policy mapping `policy` with every setting applied (each value parsed as YAML).
// The interval keys exclude each other (resolve_interval rejects both), so setting one removes
// the other. The special value "" removes the key (the policy's default rule applies).
YAML::Node apply_settings(const YAML::Node& policy, const Settings& settings);

// The candidate's identity for the evaluation cache: its mapping emitted without `label`, so two
// scenario entries that become the same policy share their evaluations.
std::string candidate_key(const YAML::Node& policy);

}  // namespace ckptlab
