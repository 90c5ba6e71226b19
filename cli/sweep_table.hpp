// sweep.csv: one row per point x policy, built only from the points' summary.json files, so it
// is the same whatever ran the points (--jobs, --shard, mpirun) and in whatever order they ended.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep_plan.hpp"

namespace ckptlab {

// Columns: point (index), hash, one per plan.columns (named by the key path, or "sweep.<key>"
// when that name is also a result column; the value the point gives that key, empty when it gives
// none), the scenario-level model_name, cluster_nodes, cluster_gpus, hardware_name, horizon_s,
// iteration_time_s and scenario_seed, then every scalar field of a policy's summary entry (policy,
// kind, ettr, wall_s, ...), each time_s category as <category>_s, and each numeric leaf of a
// policy's `ci95` object as <field>_ci95 (a nested object's as <object>_<field>_ci95:
// share_of_wall_productive_ci95). Policy columns are the
// union over all points in order of first appearance, so a field one summary lacks is an empty
// cell. `description` and `sources` stay in summary.json (free text, not numbers).
// REQUIRES: summaries.size() == plan.points.size(); summaries[i] belongs to plan.points[i].
std::string make_sweep_csv(const SweepPlan& plan, const std::vector<std::string>& hashes,
                           const std::vector<nlohmann::ordered_json>& summaries);

// The terminal view of a finished sweep: one line per point (its settings, leaving out a swept
// key whose value follows from an earlier one's), the ETTR of every policy and the best policy.
// REQUIRES: as make_sweep_csv.
std::string format_sweep_table(const SweepPlan& plan,
                               const std::vector<nlohmann::ordered_json>& summaries);

// A CSV field, quoted (RFC 4180) when it holds a comma, quote, or line break.
std::string csv_field(const std::string& text);

}  // namespace ckptlab
