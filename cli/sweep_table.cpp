#include "sweep_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "util/input_error.hpp"

namespace ckptlab {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

// A scalar as its cell text: numbers as nlohmann writes them (shortest round-trip form, so the
// CSV holds exactly the summary's value), strings as they are.
std::string cell(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// One policy entry flattened to column -> cell.
using Row = std::vector<std::pair<std::string, std::string>>;

void flatten_ci95(const json& ci, Row& row) {
  for (const auto& [key, value] : ci.items()) {
    if (value.is_object()) {
      for (const auto& [k, v] : value.items()) {
        if (v.is_number()) row.emplace_back(fmt::format("{}_{}_ci95", key, k), cell(v));
      }
    } else if (value.is_number()) {
      row.emplace_back(key + "_ci95", cell(value));
    }
  }
}

Row flatten_policy(const json& policy) {
  Row row;
  for (const auto& [key, value] : policy.items()) {
    if (key == "description") continue;
    if (key == "time_s" && value.is_object()) {
      for (const auto& [k, v] : value.items()) row.emplace_back(k + "_s", cell(v));
    } else if (key == "ci95" && value.is_object()) {
      flatten_ci95(value, row);
    } else if (value.is_primitive()) {
      row.emplace_back(key, cell(value));
    } else if (value.is_object() && key != "sources") {
      // Counters grouped in summary.json (spares_exhausted, repairs, node_accounting, vs_best):
      // one column per number, named <group>_<member>.
      for (const auto& [k, v] : value.items()) {
        if (v.is_number()) row.emplace_back(fmt::format("{}_{}", key, k), cell(v));
      }
    }
  }
  return row;
}

std::string scenario_cell(const json& summary, const json::json_pointer& where) {
  return summary.contains(where) ? cell(summary.at(where)) : "";
}


}  // namespace

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string make_sweep_csv(const SweepPlan& plan, const std::vector<std::string>& hashes,
                           const std::vector<json>& summaries) {
  CKPTLAB_CHECK(summaries.size() == plan.points.size() && hashes.size() == plan.points.size(),
                "one summary and one hash per point");
  const std::vector<std::pair<std::string, json::json_pointer>> scenario_columns = {
      {"model_name", json::json_pointer("/model/name")},
      {"cluster_nodes", json::json_pointer("/cluster/nodes")},
      {"cluster_gpus", json::json_pointer("/cluster/gpus")},
      {"hardware_name", json::json_pointer("/hardware")},
      {"backend_name", json::json_pointer("/backend")},
      {"horizon_s", json::json_pointer("/horizon_s")},
      {"iteration_time_s", json::json_pointer("/iteration_time_s")},
      {"scenario_seed", json::json_pointer("/seed")}};

  // Rows first, then the union of their columns: a column appears where it first appears.
  struct PointRows {
    std::vector<std::string> scenario;
    std::vector<Row> policies;
  };
  std::vector<PointRows> points(plan.points.size());
  std::vector<std::string> policy_columns;
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    for (const auto& [name, where] : scenario_columns) {
      points[i].scenario.push_back(scenario_cell(summaries[i], where));
    }
    for (const json& policy : summaries[i].at("policies")) {
      Row row = flatten_policy(policy);
      for (const auto& [column, value] : row) {
        if (std::find(policy_columns.begin(), policy_columns.end(), column) ==
            policy_columns.end()) {
          policy_columns.push_back(column);
        }
      }
      points[i].policies.push_back(std::move(row));
    }
  }

  std::vector<std::string> fixed = {"point", "hash"};
  for (const auto& [name, where] : scenario_columns) fixed.push_back(name);
  fixed.insert(fixed.end(), policy_columns.begin(), policy_columns.end());
  std::vector<std::string> header = {"point", "hash"};
  for (const std::string& key : plan.columns) {
    // A swept key named like a result column (an axis `failures` next to the failure count)
    // would make two columns of one name.
    const bool taken = std::find(fixed.begin(), fixed.end(), key) != fixed.end();
    header.push_back(taken ? "sweep." + key : key);
  }
  header.insert(header.end(), fixed.begin() + 2, fixed.end());
  const auto join = [](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += ',';
      line += csv_field(cells[c]);
    }
    return line + "\n";
  };

  std::string out = join(header);
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    for (const Row& row : points[i].policies) {
      std::vector<std::string> cells = {std::to_string(plan.points[i].index), hashes[i]};
      for (const std::string& key : plan.columns) cells.push_back(plan.points[i].value_of(key));
      cells.insert(cells.end(), points[i].scenario.begin(), points[i].scenario.end());
      const std::map<std::string, std::string> by_column(row.begin(), row.end());
      for (const std::string& column : policy_columns) {
        const auto it = by_column.find(column);
        cells.push_back(it == by_column.end() ? "" : it->second);
      }
      out += join(cells);
    }
  }
  return out;
}

std::string format_sweep_table(const SweepPlan& plan, const std::vector<json>& summaries) {
  CKPTLAB_CHECK(summaries.size() == plan.points.size(), "one summary per point");
  std::vector<std::string> policies;
  for (const json& summary : summaries) {
    for (const json& p : summary.at("policies")) {
      const std::string label = p.at("policy");
      if (std::find(policies.begin(), policies.end(), label) == policies.end()) {
        policies.push_back(label);
      }
    }
  }
  // A column whose value follows from an earlier column's (a layout set with its model) says
  // nothing the earlier one does not; the terminal is narrow, sweep.csv has it.
  std::vector<std::string> shown;
  for (std::size_t c = 0; c < plan.columns.size(); ++c) {
    bool follows = false;
    for (std::size_t e = 0; e < c && !follows; ++e) {
      std::map<std::string, std::string> value_of;
      follows = std::all_of(plan.points.begin(), plan.points.end(), [&](const SweepPoint& p) {
        const auto [it, fresh] =
            value_of.emplace(p.value_of(plan.columns[e]), p.value_of(plan.columns[c]));
        return fresh || it->second == p.value_of(plan.columns[c]);
      });
    }
    if (!follows) shown.push_back(plan.columns[c]);
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"point"};
  header.insert(header.end(), shown.begin(), shown.end());
  header.insert(header.end(), policies.begin(), policies.end());
  header.push_back("best");
  rows.push_back(header);
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    std::vector<std::string> row = {std::to_string(plan.points[i].index)};
    for (const std::string& key : shown) row.push_back(plan.points[i].value_of(key));
    std::map<std::string, double> ettr;
    for (const json& p : summaries[i].at("policies")) ettr[p.at("policy")] = p.at("ettr");
    std::string best;
    for (const std::string& label : policies) {
      const auto it = ettr.find(label);
      row.push_back(it == ettr.end() ? "-" : fmt::format("{:.4f}", it->second));
      if (it != ettr.end() && (best.empty() || it->second > ettr[best])) best = label;
    }
    row.push_back(best);
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out = "ETTR per point and policy:\n";
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += fmt::format("{:<{}}", row[c], width[c] + 2);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}


}  // namespace ckptlab
