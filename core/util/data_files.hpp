// Where shipped data (models/, scenarios/hardware/) is found, and how a scenario names it.
#pragma once

#include <string>
#include <vector>

namespace ckptlab {

// The data root: $CKPTLAB_DATA_DIR when set, else the source tree the program was built from.
std::string data_dir();

// Resolves a catalog reference from a scenario. `name_or_path` is either a catalog name
// ("deepseek-v3", looked up as <data_dir>/<catalog_subdir>/<name>.yaml) or a path to a YAML file
// (anything containing '/' or ending in .yaml), taken relative to the directory of
// `referring_file`. Returns the path; throws InputError (located at nothing: the caller relocates)
// as std::invalid_argument with the list of catalog names when the entry does not exist.
std::string resolve_catalog_entry(const std::string& catalog_subdir, const std::string& name_or_path,
                                  const std::string& referring_file);

// Catalog names (file stems) in <data_dir>/<catalog_subdir>, sorted.
std::vector<std::string> list_catalog(const std::string& catalog_subdir);

}  // namespace ckptlab
