#include "failure/failure_kinds.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "failure/random_draws.hpp"

namespace ckptlab {

Seconds decode_step_duration(const ConfigNode& node) {
  const Seconds d = node.as_duration();
  if (d.value < 0 || d.value > kMaxStepSeconds) {
    node.fail(fmt::format("expected a duration from 0 to 10y for one recovery step, got \"{}\"",
                          node.as_string()));
  }
  return d;
}

std::vector<FailureKind> default_failure_kinds() { return {{"node", 1.0, Seconds{60}}}; }

std::vector<FailureKind> decode_failure_kinds(const ConfigNode& list, bool weight_required) {
  if (list.size() == 0) list.fail("expected at least one failure kind");
  std::vector<FailureKind> kinds;
  double total = 0;
  for (const ConfigNode& entry : list.items()) {
    entry.expect_keys({"name", "weight", "detection"});
    FailureKind k;
    k.name = entry["name"].as_string();
    if (k.name.empty()) entry["name"].fail("a failure kind needs a non-empty name");
    if (find_kind(kinds, k.name)) {
      entry["name"].fail(fmt::format("failure kind \"{}\" is listed twice", k.name));
    }
    if (weight_required || entry.has("weight")) {
      const ConfigNode w = entry["weight"];
      k.weight = w.as_double();
      if (k.weight < 0) w.fail(fmt::format("expected a weight >= 0, got {}", k.weight));
    }
    k.detection = decode_step_duration(entry["detection"]);
    total += k.weight;
    kinds.push_back(std::move(k));
  }
  if (!(total > 0)) list.fail("the failure kinds' weights sum to 0; at least one must be > 0");
  return kinds;
}

const FailureKind* find_kind(const std::vector<FailureKind>& kinds, std::string_view name) {
  auto it = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == name; });
  return it == kinds.end() ? nullptr : &*it;
}

KindPicker::KindPicker(std::vector<FailureKind> kinds, std::uint64_t seed)
    : kinds_(std::move(kinds)), engine_(seed) {
  CKPTLAB_CHECK(!kinds_.empty(), "KindPicker needs at least one kind");
  double sum = 0;
  for (const auto& k : kinds_) {
    CKPTLAB_CHECK(k.weight >= 0, "negative weight for kind " + k.name);
    sum += k.weight;
    cumulative_.push_back(sum);
  }
  CKPTLAB_CHECK(sum > 0, "failure kind weights sum to 0");
}

const FailureKind& KindPicker::next() {
  // One draw per event even with a single kind, so the count of draws never depends on the list.
  const double target = uniform01(engine_) * cumulative_.back();
  // The first kind whose running sum exceeds target. A zero-weight kind adds an empty interval
  // (equal running sums), so upper_bound skips it.
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), target);
  if (it == cumulative_.end()) --it;  // target rounded up onto the total: take the last kind
  while (kinds_[it - cumulative_.begin()].weight == 0) --it;  // rounding into a zero-weight tail
  return kinds_[it - cumulative_.begin()];
}

}  // namespace ckptlab
