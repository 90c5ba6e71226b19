#include "util/config_node.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "util/yaml_syntax.hpp"

namespace ckptlab {

namespace {

std::string node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return fmt::format("\"{}\"", n.Scalar());
    case YAML::NodeType::Null: return "nothing (null)";
    default: return "an undefined value";
  }
}

}  // namespace

ConfigNode ConfigNode::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, 0, "", "cannot open file");
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path);
}

ConfigNode ConfigNode::load_string(const std::string& text, const std::string& origin) {
  check_yaml_syntax(text, origin);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(origin, e.mark.line + 1, e.mark.column + 1, "",
                     fmt::format("invalid YAML: {}", e.msg));
  }
  if (!root || root.IsNull()) throw InputError(origin, 0, 0, "", "the document is empty");
  return ConfigNode(root, origin, "");
}

ConfigNode::ConfigNode(YAML::Node node, std::string file, std::string key_path)
    : node_(node), file_(std::move(file)), key_path_(std::move(key_path)) {}

ConfigNode::ConfigNode(const ConfigNode& other)
    : node_(other.node_), file_(other.file_), key_path_(other.key_path_) {}

ConfigNode& ConfigNode::operator=(const ConfigNode& other) {
  node_.reset(other.node_);  // re-point; YAML::Node::operator= would overwrite the document
  file_ = other.file_;
  key_path_ = other.key_path_;
  return *this;
}

void ConfigNode::fail(const std::string& message) const {
  const YAML::Mark mark = node_.Mark();
  if (mark.is_null()) {
    throw InputError(file_, 0, 0, key_path_,
                     message + (key_path_.empty() ? "" : " (value set with --set)"));
  }
  throw InputError(file_, mark.line + 1, mark.column + 1, key_path_, message);
}

std::string ConfigNode::child_path(std::string_view key) const {
  return key_path_.empty() ? std::string(key) : fmt::format("{}.{}", key_path_, key);
}

void ConfigNode::require_map() const {
  if (!node_.IsMap()) fail(fmt::format("expected a mapping of keys, got {}", node_kind(node_)));
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
  auto child = find(key);
  if (!child) {
    ConfigNode(node_, file_, child_path(key)).fail("missing required key");
  }
  return *child;
}

std::optional<ConfigNode> ConfigNode::find(std::string_view key) const {
  require_map();
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return ConfigNode(kv.second, file_, child_path(key));
  }
  return std::nullopt;
}

bool ConfigNode::has(std::string_view key) const { return find(key).has_value(); }

std::vector<std::string> ConfigNode::keys() const {
  require_map();
  std::vector<std::string> out;
  for (const auto& kv : node_) out.push_back(kv.first.Scalar());
  return out;
}

void ConfigNode::expect_keys(std::initializer_list<std::string_view> allowed) const {
  expect_keys(std::vector<std::string>(allowed.begin(), allowed.end()));
}

void ConfigNode::expect_keys(const std::vector<std::string>& allowed) const {
  require_map();
  std::vector<std::string> seen;
  for (const auto& kv : node_) {
    const std::string key = kv.first.Scalar();
    // A key added by --set has no position in the file: point at the mapping it was added to.
    const bool from_override = kv.first.Mark().is_null() && !node_.Mark().is_null();
    ConfigNode at_key(from_override ? node_ : kv.first, file_, child_path(key));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) at_key.fail("duplicate key");
    seen.push_back(key);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string hint = closest_match(key, allowed);
    at_key.fail(fmt::format("unknown key{}; allowed here: {}{}",
                            hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                            fmt::join(allowed, ", "), from_override ? " (key set with --set)" : ""));
  }
}

size_t ConfigNode::size() const {
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", node_kind(node_)));
  return node_.size();
}

ConfigNode ConfigNode::at(size_t index) const {
  if (index >= size()) fail(fmt::format("list has no element {}", index));
  return ConfigNode(node_[index], file_, fmt::format("{}[{}]", key_path_, index));
}

std::vector<ConfigNode> ConfigNode::items() const {
  std::vector<ConfigNode> out;
  for (size_t i = 0; i < size(); ++i) out.push_back(at(i));
  return out;
}

std::string ConfigNode::as_string() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a single value, got {}", node_kind(node_)));
  return node_.Scalar();
}

bool ConfigNode::as_bool() const {
  const std::string s = as_string();
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  fail(fmt::format("expected true or false, got \"{}\"", s));
}

double ConfigNode::as_double() const {
  const std::string s = as_string();
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || used == 0) fail(fmt::format("expected a number, got \"{}\"", s));
  if (!std::isfinite(v)) fail(fmt::format("expected a finite number, got \"{}\"", s));
  return v;
}

std::int64_t ConfigNode::as_int() const {
  const std::string s = as_string();
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::out_of_range&) {
    fail(fmt::format("integer \"{}\" is out of range", s));
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || used == 0) fail(fmt::format("expected a whole number, got \"{}\"", s));
  return v;
}

std::int64_t ConfigNode::as_positive_int() const {
  const std::int64_t v = as_int();
  if (v < 1) fail(fmt::format("expected a whole number >= 1, got {}", v));
  return v;
}

double ConfigNode::as_positive_double() const {
  const double v = as_double();
  if (v <= 0) fail(fmt::format("expected a number > 0, got {}", v));
  return v;
}

double ConfigNode::as_fraction() const {
  const double v = as_double();
  if (v < 0 || v > 1) fail(fmt::format("expected a fraction between 0 and 1, got {}", v));
  return v;
}

Seconds ConfigNode::as_duration() const {
  try {
    return parse_duration(as_string());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Bytes ConfigNode::as_size() const {
  try {
    return parse_size(as_string());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

BytesPerSecond ConfigNode::as_bandwidth() const {
  try {
    return parse_bandwidth(as_string());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

std::int64_t ConfigNode::as_count() const {
  try {
    return parse_count(as_string());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

std::string ConfigNode::string_or(std::string_view key, std::string fallback) const {
  auto n = find(key);
  return n ? n->as_string() : fallback;
}
bool ConfigNode::bool_or(std::string_view key, bool fallback) const {
  auto n = find(key);
  return n ? n->as_bool() : fallback;
}
double ConfigNode::double_or(std::string_view key, double fallback) const {
  auto n = find(key);
  return n ? n->as_double() : fallback;
}
std::int64_t ConfigNode::int_or(std::string_view key, std::int64_t fallback) const {
  auto n = find(key);
  return n ? n->as_int() : fallback;
}
Seconds ConfigNode::duration_or(std::string_view key, Seconds fallback) const {
  auto n = find(key);
  return n ? n->as_duration() : fallback;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace {
// A deep copy made of fresh nodes: they carry no file position (Mark::is_null()).
YAML::Node without_marks(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return YAML::Node(n.Scalar());
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : n) out.push_back(without_marks(item));
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& kv : n) out[kv.first.Scalar()] = without_marks(kv.second);
      return out;
    }
    default: return YAML::Node(YAML::NodeType::Null);
  }
}
}  // namespace

void apply_override(YAML::Node root, const std::string& assignment) {
  const auto fail = [&](const std::string& why) -> void {
    throw InputError("--set " + assignment, 0, 0, "", why);
  };
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail("expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  YAML::Node value;
  try {
    check_yaml_syntax(assignment.substr(eq + 1), "--set");
  } catch (const InputError& e) {
    // The problem without check_yaml_syntax's "invalid YAML: " prefix.
    const std::string& m = e.message();
    fail("value is not valid YAML: " + m.substr(std::min(m.find(": ") + 2, m.size())));
  }
  try {
    // Rebuilt without positions, so errors about it say it came from --set rather than pointing
    // at line 1 of the scenario file.
    value = without_marks(YAML::Load(assignment.substr(eq + 1)));
  } catch (const YAML::Exception& e) {
    fail(fmt::format("value is not valid YAML: {}", e.msg));
  }

  // Split "a.b[2].c" into steps: a key, or an index into a sequence.
  struct Step {
    std::string key;
    long index = -1;
  };
  std::vector<Step> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) fail("unclosed '[' in key path");
      long index = -1;
      try {
        index = std::stol(path.substr(i + 1, close - i - 1));
      } catch (const std::exception&) {
        fail("index in [] must be a whole number");
      }
      if (index < 0) fail("index in [] must be >= 0");
      steps.push_back({"", index});
      i = close + 1;
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string::npos) end = path.size();
    steps.push_back({path.substr(i, end - i)});
    i = end;
  }
  if (steps.empty()) fail("empty key path");

  YAML::Node cursor = root;
  for (size_t s = 0; s < steps.size(); ++s) {
    const bool last = s + 1 == steps.size();
    YAML::Node next;
    if (steps[s].index >= 0) {
      const long size = cursor.IsSequence() ? static_cast<long>(cursor.size()) : -1;
      if (last && steps[s].index == size) {  // one past the end appends: policies[3]={...}
        cursor.push_back(value);
        return;
      }
      if (size < 0 || steps[s].index >= size) {
        fail(fmt::format("no list element [{}] at this point of the key path", steps[s].index));
      }
      if (last) {
        cursor[steps[s].index] = value;
        return;
      }
      next.reset(cursor[steps[s].index]);
    } else {
      if (cursor.IsDefined() && !cursor.IsMap() && !cursor.IsNull()) {
        fail(fmt::format("'{}' is not inside a mapping", steps[s].key));
      }
      if (last) {
        cursor[steps[s].key] = value;
        return;
      }
      next.reset(cursor[steps[s].key]);
    }
    cursor.reset(next);
  }
}

}  // namespace ckptlab
