#include "util/data_files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#ifndef CKPTLAB_DEFAULT_DATA_DIR
#define CKPTLAB_DEFAULT_DATA_DIR "."
#endif

namespace ckptlab {

namespace fs = std::filesystem;

std::string data_dir() {
  const char* env = std::getenv("CKPTLAB_DATA_DIR");
  return (env && *env) ? std::string(env) : std::string(CKPTLAB_DEFAULT_DATA_DIR);
}

std::vector<std::string> list_catalog(const std::string& catalog_subdir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(data_dir()) / catalog_subdir, ec)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string resolve_catalog_entry(const std::string& catalog_subdir, const std::string& name_or_path,
                                  const std::string& referring_file) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 &&
                        name_or_path.substr(name_or_path.size() - 5) == ".yaml");
  if (is_path) {
    fs::path p(name_or_path);
    if (p.is_relative()) p = fs::path(referring_file).parent_path() / p;
    std::error_code ec;  // e.g. a name too long for the file system: "does not exist", not a throw
    if (!fs::is_regular_file(p, ec)) {
      throw std::invalid_argument(fmt::format("file \"{}\" does not exist", p.string()));
    }
    return p.string();
  }
  fs::path p = fs::path(data_dir()) / catalog_subdir / (name_or_path + ".yaml");
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    throw std::invalid_argument(fmt::format("no {} entry named \"{}\"; known: {}", catalog_subdir,
                                            name_or_path, fmt::join(list_catalog(catalog_subdir), ", ")));
  }
  return p.string();
}

}  // namespace ckptlab
