#pragma once
// Result files that are never seen half-written: sweep.csv, traces, profiles, validation.json.

#include <string>

namespace ckptlab {

// Writes `content` to `path` through a temporary file in the same directory (fsynced, then
// renamed over `path`, then the directory fsynced), so readers see the old file or the new one,
// never a prefix. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace ckptlab
