// Reading YAML input with errors that say where: file, line, column and key path.
//
// ConfigNode wraps a yaml-cpp node together with the file it came from and its key path, so
// every decode error can be located. Decoders call expect_keys() on each mapping, so an
// unknown key (a typo) is an error with a "did you mean" suggestion, never silently ignored.
//
// Note: yaml-cpp's Node::operator= writes into the document instead of re-pointing the handle;
// ConfigNode's assignment re-points (YAML::Node::reset), so copies never alias-edit a document.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/input_error.hpp"
#include "util/units.hpp"

namespace ckptlab {

class ConfigNode {
 public:
  // Parses a YAML file. Throws InputError when the file cannot be read or is not valid YAML
  // (with the parser's line and column), or when it is empty.
  static ConfigNode load_file(const std::string& path);
  // Parses YAML text; `origin` names it in messages.
  static ConfigNode load_string(const std::string& text, const std::string& origin);

  ConfigNode(YAML::Node node, std::string file, std::string key_path);
  ConfigNode(const ConfigNode& other);
  ConfigNode& operator=(const ConfigNode& other);

  const std::string& file() const { return file_; }
  const std::string& key_path() const { return key_path_; }
  const YAML::Node& yaml() const { return node_; }

  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }

  // Mapping access. operator[] requires the key (error: "missing required key"); find() does not.
  // Both require this node to be a mapping (error otherwise).
  ConfigNode operator[](std::string_view key) const;
  std::optional<ConfigNode> find(std::string_view key) const;
  bool has(std::string_view key) const;
  // Keys in document order.
  std::vector<std::string> keys() const;
  // Every key must be in `allowed`; otherwise an InputError names the key, suggests the closest
  // allowed one and lists them all.
  void expect_keys(std::initializer_list<std::string_view> allowed) const;
  void expect_keys(const std::vector<std::string>& allowed) const;

  // Sequence access. REQUIRES (checked, InputError): a sequence.
  size_t size() const;
  ConfigNode at(size_t index) const;
  std::vector<ConfigNode> items() const;

  // Scalars, each with a located error when the value has the wrong type or is out of range.
  std::string as_string() const;
  bool as_bool() const;
  double as_double() const;
  std::int64_t as_int() const;
  std::int64_t as_positive_int() const;       // >= 1
  double as_positive_double() const;          // > 0
  double as_fraction() const;                 // in [0, 1]
  Seconds as_duration() const;                // "30m"
  Bytes as_size() const;                      // "80 GB"
  BytesPerSecond as_bandwidth() const;        // "25 GB/s"
  std::int64_t as_count() const;              // 4096 or "16M"

  // Optional keys with defaults.
  std::string string_or(std::string_view key, std::string fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;
  double double_or(std::string_view key, double fallback) const;
  std::int64_t int_or(std::string_view key, std::int64_t fallback) const;
  Seconds duration_or(std::string_view key, Seconds fallback) const;

  // Throws an InputError located at this node.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string child_path(std::string_view key) const;
  void require_map() const;

  YAML::Node node_;
  std::string file_;
  std::string key_path_;
};

// Levenshtein distance; used for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Applies a command-line override "key.path[2].leaf=value" to a document. The value is parsed as
// YAML (so "3", "30m", "[1, 2]" all work). Intermediate mappings are created as needed; a
// sequence index must exist, or be one past the end to append ("policies[3]={name: x}"). Throws InputError naming the override on malformed paths.
void apply_override(YAML::Node root, const std::string& assignment);

}  // namespace ckptlab
