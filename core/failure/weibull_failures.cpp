#include "failure/weibull_failures.hpp"

#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <utility>

#include "failure/random_draws.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

class WeibullFailures final : public FailureProcess {
 public:
  WeibullFailures(double shape, Seconds scale, std::int64_t nodes, KindPicker picker,
                  std::uint64_t seed, const std::vector<std::int64_t>& bad, double multiplier)
      : shape_(shape), scale_s_(scale.value), picker_(std::move(picker)), engine_(seed) {
    if (!bad.empty()) {
      bad_.assign(static_cast<size_t>(nodes), false);
      for (std::int64_t n : bad) bad_.at(static_cast<size_t>(n)) = true;
      bad_scale_s_ = scale.value / multiplier;
    }
    CKPTLAB_CHECK(nodes >= 1 && shape > 0 && scale.value > 0,
                  "WeibullFailures: nodes " + std::to_string(nodes) + ", shape " +
                      std::to_string(shape) + ", scale " + std::to_string(scale.value));
    std::vector<Entry> initial;
    initial.reserve(static_cast<size_t>(nodes));
    for (std::int64_t node = 0; node < nodes; ++node) {
      if (auto t = lifetime_end(0, node)) initial.push_back({*t, node});
    }
    // Building the heap from the full vector is O(n), which matters at 10,240 nodes.
    heap_ = Heap(std::greater<Entry>(), std::move(initial));
  }

  std::optional<FailureEvent> next() override {
    if (heap_.empty()) return std::nullopt;
    const auto [time, node] = heap_.top();
    heap_.pop();
    // The node is replaced at its failure, so its next lifetime starts then. Detection and
    // restart do not delay this: a spare or a repaired node starts ageing when it goes in.
    if (auto t = lifetime_end(time, node)) heap_.push({*t, node});
    const FailureKind& kind = picker_.next();
    return FailureEvent{time, {node}, kind.name, kind.detection};
  }

 private:
  using Entry = std::pair<Nanos, std::int64_t>;  // (time, node): ties break on node id
  using Heap = std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>>;

  // When a lifetime that begins at `start` ends, or nullopt past kMaxFailureTimeSeconds. The draw
  // is taken in every case, so the engine's use never depends on the horizon.
  std::optional<Nanos> lifetime_end(Nanos start, std::int64_t node) {
    const bool bad = !bad_.empty() && bad_[static_cast<size_t>(node)];
    const double life_s = draw_weibull(engine_, shape_, bad ? bad_scale_s_ : scale_s_);
    if (to_seconds(start).value + life_s > kMaxFailureTimeSeconds) return std::nullopt;
    return start + to_nanos(Seconds{life_s});
  }

  double shape_;
  double scale_s_;
  std::vector<bool> bad_;   // empty: no bad nodes
  double bad_scale_s_ = 0;  // scale of a bad node
  KindPicker picker_;
  std::mt19937_64 engine_;
  Heap heap_;
};

}  // namespace

std::unique_ptr<FailureProcess> make_weibull_node_failures(
    double shape, Seconds scale, std::int64_t nodes, std::vector<FailureKind> kinds,
    std::uint64_t seed, const std::vector<std::int64_t>& bad, double rate_multiplier) {
  return std::make_unique<WeibullFailures>(
      shape, scale, nodes,
      KindPicker(std::move(kinds), stream_seed(seed, RandomStream::failure_kinds)),
      stream_seed(seed, RandomStream::node_failures), bad, rate_multiplier);
}

}  // namespace ckptlab
