#include "failure/failure_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "failure/poisson_failures.hpp"
#include "failure/random_draws.hpp"
#include "failure/trace_replay.hpp"
#include "failure/weibull_failures.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

class NoFailures final : public FailureProcess {
 public:
  std::optional<FailureEvent> next() override { return std::nullopt; }
};

class MergedFailures final : public FailureProcess {
 public:
  MergedFailures(std::unique_ptr<FailureProcess> first, std::unique_ptr<FailureProcess> second)
      : first_(std::move(first)), second_(std::move(second)) {
    head_first_ = first_->next();
    head_second_ = second_->next();
  }

  std::optional<FailureEvent> next() override {
    // Each side keeps one event of look-ahead. Taking `first` on ties makes the order independent
    // of anything but the two streams.
    if (!head_first_ && !head_second_) return std::nullopt;
    const bool take_first =
        head_first_ && (!head_second_ || head_first_->time <= head_second_->time);
    std::optional<FailureEvent>& head = take_first ? head_first_ : head_second_;
    std::optional<FailureEvent> out = std::move(head);
    head = (take_first ? first_ : second_)->next();
    return out;
  }

 private:
  std::unique_ptr<FailureProcess> first_;
  std::unique_ptr<FailureProcess> second_;
  std::optional<FailureEvent> head_first_;
  std::optional<FailureEvent> head_second_;
};

// Streams of systematically bad nodes (random_draws.hpp).
constexpr auto kBadNodeChoiceStream = RandomStream::bad_node_choice;
constexpr auto kBadNodeFailuresStream = RandomStream::bad_node_failures;
constexpr auto kBadNodeKindsStream = RandomStream::bad_node_kinds;

// `count` distinct node ids of 0..nodes-1, uniformly (a partial Fisher-Yates shuffle), sorted.
std::vector<std::int64_t> choose_bad_nodes(std::int64_t nodes, std::int64_t count,
                                           std::uint64_t seed) {
  std::vector<std::int64_t> ids(static_cast<size_t>(nodes));
  std::iota(ids.begin(), ids.end(), 0);
  std::mt19937_64 engine(stream_seed(seed, kBadNodeChoiceStream));
  for (std::int64_t i = 0; i < count; ++i) {
    const auto j =
        i + static_cast<std::int64_t>(draw_below(engine, static_cast<std::uint64_t>(nodes - i)));
    std::swap(ids[static_cast<size_t>(i)], ids[static_cast<size_t>(j)]);
  }
  ids.resize(static_cast<size_t>(count));
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

std::unique_ptr<FailureProcess> merge_failure_processes(std::unique_ptr<FailureProcess> first,
                                                        std::unique_ptr<FailureProcess> second) {
  CKPTLAB_CHECK(first && second, "merge_failure_processes needs two processes");
  return std::make_unique<MergedFailures>(std::move(first), std::move(second));
}

std::unique_ptr<FailureProcess> make_failure_process(const FailureSpec& spec,
                                                     const ClusterSpec& cluster,
                                                     std::uint64_t seed) {
  CKPTLAB_CHECK(spec.model == FailureModel::none || spec.cluster.nodes == cluster.nodes,
                fmt::format("failure spec decoded for {} nodes, used on {}", spec.cluster.nodes,
                            cluster.nodes));
  std::vector<std::int64_t> bad;
  double multiplier = 1;
  if (spec.bad_nodes && spec.bad_nodes->rate_multiplier > 1 &&
      (spec.model == FailureModel::exponential || spec.model == FailureModel::weibull)) {
    bad = choose_bad_nodes(cluster.nodes, spec.bad_nodes->count(cluster.nodes), seed);
    multiplier = spec.bad_nodes->rate_multiplier;
  }
  std::unique_ptr<FailureProcess> nodes;
  switch (spec.model) {
    case FailureModel::none:
      nodes = std::make_unique<NoFailures>();
      break;
    case FailureModel::exponential:
      nodes = make_exponential_node_failures(spec.mtbf_node, cluster.nodes, spec.kinds, seed);
      if (!bad.empty()) {
        // Memoryless: the extra (multiplier - 1) of a bad node's rate is a process of its own.
        nodes = merge_failure_processes(
            std::move(nodes),
            make_exponential_subset_failures(Seconds{spec.mtbf_node.value / (multiplier - 1)}, bad,
                                             spec.kinds, stream_seed(seed, kBadNodeFailuresStream),
                                             stream_seed(seed, kBadNodeKindsStream)));
      }
      break;
    case FailureModel::weibull:
      nodes = make_weibull_node_failures(spec.shape, spec.scale, cluster.nodes, spec.kinds, seed,
                                         bad, multiplier);
      break;
    case FailureModel::trace:
      nodes = make_trace_replay(spec.trace, cluster, spec.kinds,
                                default_failure_kinds()[0].detection, seed);
      break;
  }
  if (!spec.correlated) return nodes;
  const CorrelatedFailures& c = *spec.correlated;
  CKPTLAB_CHECK(c.domain == "rack", "unknown failure domain " + c.domain);
  auto racks = make_domain_failures(c.mtbf_domain, cluster.nodes, cluster.nodes_per_rack,
                                    FailureKind{c.kind, 1.0, c.detection}, seed);
  return merge_failure_processes(std::move(nodes), std::move(racks));
}

}  // namespace ckptlab
