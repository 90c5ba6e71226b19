#include "advise/advise_settings.hpp"

#include <algorithm>

namespace ckptlab {

Settings with_setting(Settings settings, const std::string& key, const std::string& value) {
  auto it = std::find_if(settings.begin(), settings.end(),
                         [&](const auto& kv) { return kv.first == key; });
  if (it != settings.end()) {
    it->second = value;
  } else {
    settings.emplace_back(key, value);
  }
  return settings;
}

std::string setting_of(const Settings& settings, const std::string& key) {
  for (const auto& [k, v] : settings) {
    if (k == key) return v;
  }
  return "";
}

std::string settings_text(const Settings& settings) {
  std::string out;
  for (const auto& [k, v] : settings) {
    out += (out.empty() ? "" : ", ") + k + "=" + (v.empty() ? "(default)" : v);
  }
  return out.empty() ? "as in the scenario" : out;
}

YAML::Node apply_settings(const YAML::Node& policy, const Settings& settings) {
  YAML::Node out = YAML::Clone(policy);
  for (const auto& [key, value] : settings) {
    if (key == "interval") out.remove("interval_iterations");
    if (key == "interval_iterations") out.remove("interval");
    if (value.empty()) {
      out.remove(key);
    } else {
      out[key] = YAML::Load(value);
    }
  }
  return out;
}

std::string candidate_key(const YAML::Node& policy) {
  YAML::Node copy = YAML::Clone(policy);
  copy.remove("label");
  YAML::Emitter emitter;
  emitter << YAML::Flow << copy;
  return emitter.c_str();
}

}  // namespace ckptlab
