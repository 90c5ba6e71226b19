#include "advise/policy_space.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/units.hpp"

namespace ckptlab {

namespace {

// Sort key of an ordinal value: a number, or a duration in seconds.
double ordinal_rank(const std::string& text) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return parse_duration(text).value;
}

// `values` with the scenario's value for `key` (or `fallback` when it has none) as the start.
TunableParameter parameter(const YAML::Node& policy, const std::string& key, bool ordinal,
                           std::vector<std::string> values, const std::string& fallback) {
  TunableParameter p{key, ordinal, std::move(values), 0, !policy[key]};
  const std::string current =
      policy[key] && policy[key].IsScalar() ? policy[key].as<std::string>() : fallback;
  auto it = std::find(p.values.begin(), p.values.end(), current);
  if (it == p.values.end()) {
    if (ordinal) {
      const double rank = ordinal_rank(current);
      it = std::find_if(p.values.begin(), p.values.end(),
                        [&](const std::string& v) { return ordinal_rank(v) > rank; });
    }
    it = p.values.insert(it, current);
  }
  p.start = static_cast<std::size_t>(it - p.values.begin());
  return p;
}

std::vector<std::string> counts(std::int64_t from, std::int64_t to) {
  std::vector<std::string> out;
  for (std::int64_t k = from; k <= to; ++k) out.push_back(std::to_string(k));
  return out;
}

const std::vector<std::string> kPersistIntervals = {"1h", "3h", "6h", "12h", "24h"};

}  // namespace

Settings shown_settings(const PolicySpace& space, const Settings& settings) {
  Settings out = settings;
  for (auto& [key, value] : out) {
    if (!value.empty()) continue;
    for (const TunableParameter& p : space.discrete) {
      if (p.key == key) value = p.values[p.start] + " (default)";
    }
  }
  return out;
}

PolicySpace policy_space(const std::string& kind, const YAML::Node& policy, std::int64_t experts,
                         std::int64_t nodes) {
  PolicySpace s;
  if (kind == "sync_full" || kind == "async_two_level") {
    s.interval = s.daly = true;
  } else if (kind == "in_memory") {
    // InMemoryPolicy requires replicas < nodes.
    s.discrete.push_back(
        parameter(policy, "replicas", true, counts(1, std::min<std::int64_t>(3, nodes - 1)), "1"));
    s.discrete.push_back(parameter(policy, "placement", false, {"group", "ring"}, "group"));
    s.discrete.push_back(parameter(policy, "persist_interval", true, kPersistIntervals, "3h"));
    s.interval = true;
  } else if (kind == "moetion") {
    s.discrete.push_back(
        parameter(policy, "replicas", true, counts(0, std::min<std::int64_t>(3, nodes - 1)), "1"));
    s.discrete.push_back(parameter(policy, "persist_interval", true, kPersistIntervals, "3h"));
    s.notes.push_back(
        "moetion has no interval (it snapshots one slot every iteration) and no window override "
        "(W_sparse follows from the PCIe time of an iteration): neither is searched");
  } else if (kind == "moc_pec") {
    std::vector<std::string> k;
    for (std::int64_t v = 1; v < experts; v *= 2) k.push_back(std::to_string(v));
    k.push_back(std::to_string(experts));
    s.discrete.push_back(parameter(policy, "k_pec", true, k, "1"));
    s.discrete.push_back(
        parameter(policy, "selection", false, {"sequential", "load_aware"}, "sequential"));
    // The snapshot/persist split: k_snapshot experts per layer in host memory (auto: what fits
    // in the forward+backward) of which k_pec are persisted; E keeps every expert in host memory.
    s.discrete.push_back(
        parameter(policy, "k_snapshot", false, {"auto", std::to_string(experts)}, "auto"));
    s.discrete.back().skip_same_description = true;  // MocPecPolicy::describe: "snapshot K experts"

    s.interval = s.daly = true;
  }
  return s;
}

}  // namespace ckptlab
