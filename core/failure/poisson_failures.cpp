#include "failure/poisson_failures.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <string>

#include "failure/random_draws.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

// One Poisson stream over `units` units. A unit is a node or a domain of consecutive nodes. The
// kind comes from a picker (node failures) or is fixed (domain events).
class PoissonFailures final : public FailureProcess {
 public:
  PoissonFailures(Seconds mtbf_unit, std::int64_t nodes, std::int64_t nodes_per_unit,
                  std::optional<KindPicker> picker, FailureKind fixed_kind, std::uint64_t seed,
                  std::vector<std::int64_t> ids = {})
      : ids_(std::move(ids)),
        nodes_(nodes),
        nodes_per_unit_(nodes_per_unit),
        units_((nodes + nodes_per_unit - 1) / nodes_per_unit),
        mean_gap_s_(mtbf_unit.value / static_cast<double>(units_)),
        picker_(std::move(picker)),
        fixed_kind_(std::move(fixed_kind)),
        engine_(seed) {
    CKPTLAB_CHECK(nodes >= 1 && nodes_per_unit >= 1 && mtbf_unit.value > 0,
                  "PoissonFailures: nodes " + std::to_string(nodes) + ", per unit " +
                      std::to_string(nodes_per_unit) + ", MTBF " + std::to_string(mtbf_unit.value));
  }

  std::optional<FailureEvent> next() override {
    if (ended_) return std::nullopt;
    // The gap is drawn before the unit, and both come from the one engine, so a stream is a fixed
    // function of its seed.
    const double gap_s = draw_exponential(engine_, mean_gap_s_);
    const std::int64_t unit =
        static_cast<std::int64_t>(draw_below(engine_, static_cast<std::uint64_t>(units_)));
    if (to_seconds(now_).value + gap_s > kMaxFailureTimeSeconds) {
      ended_ = true;
      return std::nullopt;
    }
    // The clock advances in whole nanoseconds, so no rounding error builds up over many events.
    now_ += to_nanos(Seconds{gap_s});
    FailureEvent e;
    e.time = now_;
    const std::int64_t first = unit * nodes_per_unit_;
    const std::int64_t last = std::min(first + nodes_per_unit_, nodes_);
    e.nodes.reserve(static_cast<size_t>(last - first));
    for (std::int64_t n = first; n < last; ++n) {
      e.nodes.push_back(ids_.empty() ? n : ids_[static_cast<size_t>(n)]);
    }
    const FailureKind& kind = picker_ ? picker_->next() : fixed_kind_;
    e.kind = kind.name;
    e.detection = kind.detection;
    return e;
  }

 private:
  std::vector<std::int64_t> ids_;  // non-empty: unit i is node ids_[i] (nodes_per_unit 1)
  std::int64_t nodes_;
  std::int64_t nodes_per_unit_;
  std::int64_t units_;
  double mean_gap_s_;  // cluster-wide: unit MTBF / units
  std::optional<KindPicker> picker_;
  FailureKind fixed_kind_;
  std::mt19937_64 engine_;
  Nanos now_ = 0;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<FailureProcess> make_exponential_node_failures(Seconds mtbf_node,
                                                               std::int64_t nodes,
                                                               std::vector<FailureKind> kinds,
                                                               std::uint64_t seed) {
  return std::make_unique<PoissonFailures>(
      mtbf_node, nodes, 1,
      KindPicker(std::move(kinds), stream_seed(seed, RandomStream::failure_kinds)), FailureKind{},
      stream_seed(seed, RandomStream::node_failures));
}

std::unique_ptr<FailureProcess> make_exponential_subset_failures(Seconds mtbf_node,
                                                                 std::vector<std::int64_t> node_ids,
                                                                 std::vector<FailureKind> kinds,
                                                                 std::uint64_t seed,
                                                                 std::uint64_t kinds_seed) {
  CKPTLAB_CHECK(!node_ids.empty(), "subset failures of no nodes");
  const auto n = static_cast<std::int64_t>(node_ids.size());
  return std::make_unique<PoissonFailures>(mtbf_node, n, 1,
                                           KindPicker(std::move(kinds), kinds_seed), FailureKind{},
                                           seed, std::move(node_ids));
}

std::unique_ptr<FailureProcess> make_domain_failures(Seconds mtbf_domain, std::int64_t nodes,
                                                     std::int64_t nodes_per_domain,
                                                     FailureKind kind, std::uint64_t seed) {
  return std::make_unique<PoissonFailures>(mtbf_domain, nodes, nodes_per_domain, std::nullopt,
                                           std::move(kind),
                                           stream_seed(seed, RandomStream::domain_failures));
}

}  // namespace ckptlab
