// Writes a results directory atomically: every file goes into a temporary sibling directory,
// is fsynced, and the directory is renamed into place, so a crash or a failed run never leaves
// a partial results directory behind, and an existing one is replaced only when asked.
#pragma once

#include <map>
#include <string>

namespace ckptlab {

// Writes `files` (name -> content) as directory `out`. If `out` exists: with `force` it is
// replaced (the old one is removed only after the new one is in place), else
// std::invalid_argument. Other failures (permissions, disk full) throw std::runtime_error and
// leave no partial directory.
void write_results_directory(const std::string& out, const std::map<std::string, std::string>& files,
                             bool force);

// Throws std::invalid_argument when `out` exists and `force` is false (checked before a run,
// so a long run is not wasted on a refusal at the end).
void check_results_directory(const std::string& out, bool force);

}  // namespace ckptlab
