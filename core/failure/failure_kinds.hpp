// Failure kinds: what share of random failures each cause has, and how long each takes to
// detect. A GPU Xid is seen at once; a hang waits for a watchdog timeout. The kind decides the
// `detection` part of every recovery.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct FailureKind {
  std::string name;
  double weight = 1.0;  // share of random node failures; weights are relative, any sum > 0
  Seconds detection;    // time until the job notices a failure of this kind
};

// The longest duration of one recovery step (detection, spare swap, reschedule, process restart,
// repair): 10 years. Longer is not a recovery but the end of the job, and the job clock (int64
// nanoseconds, about 292 years) must hold the horizon plus any step.
constexpr double kMaxStepSeconds = 10.0 * 365 * 86400;

// Decodes a step duration: a duration in [0, kMaxStepSeconds]. Throws InputError located at
// `node`, quoting the value, otherwise.
Seconds decode_step_duration(const ConfigNode& node);

// The kinds used when a scenario lists none: one kind "node" with weight 1 and 1 minute
// detection. The one minute is a typical collective-timeout or health-check period; scenarios
// that care should list their own kinds.
std::vector<FailureKind> default_failure_kinds();

// Decodes the `failures.kinds` list: entries {name, weight, detection}. Names must be unique and
// non-empty. weight must be >= 0 with a positive sum, and detection >= 0. When `weight_required`
// is false (trace replay, where the trace gives each event's kind), weight may be left out and
// defaults to 1. Throws InputError, located at the entry, on any violation.
std::vector<FailureKind> decode_failure_kinds(const ConfigNode& list, bool weight_required);

// The kind named `name`, or nullptr.
const FailureKind* find_kind(const std::vector<FailureKind>& kinds, std::string_view name);

// Draws kinds in proportion to their weights from its own engine (stream failure_kinds). A kind
// choice then never shifts the node or rack streams. Weights of 0 are never drawn.
class KindPicker {
 public:
  // REQUIRES: kinds non-empty, weights >= 0 with a positive sum (decode_failure_kinds ensures it).
  KindPicker(std::vector<FailureKind> kinds, std::uint64_t seed);

  const FailureKind& next();

 private:
  std::vector<FailureKind> kinds_;
  std::vector<double> cumulative_;  // running sums of the weights, in list order
  std::mt19937_64 engine_;
};

}  // namespace ckptlab
