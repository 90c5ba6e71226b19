// The comparison table `ckptlab run` prints: one row per policy.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ckptlab {

// Renders summary.json's policies as an aligned text table (ETTR, checkpoint stall, lost work,
// restart + load, failures, checkpoint size, interval), with the scenario line above it.
std::string format_run_table(const nlohmann::ordered_json& summary);

}  // namespace ckptlab
