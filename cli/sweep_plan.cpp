#include "sweep_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ckptlab {

namespace {

SweepSetting setting_of(const std::string& key, const ConfigNode& value) {
  YAML::Emitter emitter;
  // Flow style keeps a list or mapping on one line: it becomes a CSV cell and a --set value.
  emitter << YAML::Flow << value.yaml();
  SweepSetting s{key, emitter.c_str()};
  const YAML::Mark mark = value.yaml().Mark();
  if (!mark.is_null()) {
    s.line = mark.line + 1;
    s.column = mark.column + 1;
  }
  if (s.value.empty()) value.fail("an empty value cannot be swept");
  return s;
}

std::vector<std::vector<SweepSetting>> read_points(const ConfigNode& node) {
  if (!node.is_sequence() || node.size() == 0) {
    node.fail("points is a non-empty list of mappings key.path: value");
  }
  std::vector<std::vector<SweepSetting>> out;
  for (const ConfigNode& point : node.items()) {
    if (!point.is_map()) point.fail("each point is a mapping key.path: value");
    std::vector<SweepSetting> settings;
    for (const std::string& key : point.keys()) settings.push_back(setting_of(key, point[key]));
    out.push_back(std::move(settings));
  }
  return out;
}

struct Axis {
  std::string key;
  std::vector<SweepSetting> values;
};

std::vector<Axis> read_axes(const ConfigNode& node) {
  if (!node.is_map() || node.keys().empty()) {
    node.fail("axes is a mapping key.path: [value, value, ...] with at least one axis");
  }
  std::vector<Axis> axes;
  for (const std::string& key : node.keys()) {
    const ConfigNode values = node[key];
    if (!values.is_sequence() || values.size() == 0) {
      values.fail(fmt::format("axis '{}' needs a non-empty list of values", key));
    }
    Axis axis{key, {}};
    for (const ConfigNode& v : values.items()) axis.values.push_back(setting_of(key, v));
    axes.push_back(std::move(axis));
  }
  return axes;
}

}  // namespace

std::string SweepPoint::label() const {
  std::string out;
  for (const SweepSetting& s : settings) {
    if (!out.empty()) out += ", ";
    out += s.key + "=" + s.value;
  }
  return out;
}

std::vector<std::string> SweepPoint::overrides() const {
  std::vector<std::string> out;
  for (const SweepSetting& s : settings) out.push_back(s.key + "=" + s.value);
  return out;
}

std::string SweepPoint::value_of(const std::string& key) const {
  for (const SweepSetting& s : settings) {
    if (s.key == key) return s.value;
  }
  return "";
}

SweepPlan read_sweep_plan(const ConfigNode& root) {
  const auto section = root.find("sweep");
  if (!section || section->yaml().IsNull()) {
    root.fail(
        "this scenario has no `sweep:` section (axes: key.path -> values, or points: a "
        "list of key.path: value mappings); use `ckptlab run` for a single run");
  }
  if (!section->is_map()) section->fail("sweep is a mapping with axes: and/or points:");
  section->expect_keys({"axes", "points"});
  if (!section->has("axes") && !section->has("points")) {
    section->fail(
        "a sweep needs axes: (key.path -> list of values) or points: (a list of "
        "key.path: value mappings)");
  }

  std::vector<std::vector<SweepSetting>> explicit_points{{}};
  if (auto p = section->find("points")) explicit_points = read_points(*p);
  std::vector<Axis> axes;
  if (auto a = section->find("axes")) axes = read_axes(*a);

  SweepPlan plan;
  plan.file = root.file();
  const auto add_column = [&](const std::string& key) {
    if (std::find(plan.columns.begin(), plan.columns.end(), key) == plan.columns.end()) {
      plan.columns.push_back(key);
    }
  };
  for (const auto& point : explicit_points) {
    for (const SweepSetting& s : point) add_column(s.key);
  }
  for (const Axis& axis : axes) {
    // A key both an axis and a point's setting would have two values in one point.
    for (const auto& point : explicit_points) {
      for (const SweepSetting& s : point) {
        if (s.key == axis.key) {
          (*section)["axes"][axis.key].fail(fmt::format(
              "'{}' is both an axis and set by an explicit point; keep it in one place", s.key));
        }
      }
    }
    add_column(axis.key);
  }

  std::size_t combinations = 1;
  for (const Axis& axis : axes) {
    combinations *= axis.values.size();
    if (combinations * explicit_points.size() > kMaxSweepPoints) {
      section->fail(fmt::format("the sweep has more than {} points; split it", kMaxSweepPoints));
    }
  }
  for (const auto& point : explicit_points) {
    for (std::size_t c = 0; c < combinations; ++c) {
      SweepPoint p;
      p.index = plan.points.size();
      p.settings = point;
      // Mixed-radix digits of c, the last axis least significant (varying fastest).
      std::vector<SweepSetting> axis_settings(axes.size());
      std::size_t rest = c;
      for (std::size_t a = axes.size(); a-- > 0;) {
        axis_settings[a] = axes[a].values[rest % axes[a].values.size()];
        rest /= axes[a].values.size();
      }
      p.settings.insert(p.settings.end(), axis_settings.begin(), axis_settings.end());
      plan.points.push_back(std::move(p));
    }
  }
  return plan;
}

}  // namespace ckptlab
