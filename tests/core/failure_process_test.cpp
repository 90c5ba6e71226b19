// Behaviour of the failure streams: determinism, ordering, rack events and stream independence.
#include "failure/failure_process.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "failure/failure_spec.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

constexpr double kDay = 86400.0;

ClusterSpec cluster_of(std::int64_t nodes, int nodes_per_rack = 32) {
  ClusterSpec c;
  c.nodes = nodes;
  c.nodes_per_rack = nodes_per_rack;
  return c;
}

FailureSpec decode(const std::string& yaml, const ClusterSpec& cluster) {
  return decode_failures(ConfigNode::load_string(yaml, "test.yaml")["failures"], cluster);
}

std::vector<FailureEvent> take(FailureProcess& p, size_t n) {
  std::vector<FailureEvent> out;
  while (out.size() < n) {
    auto e = p.next();
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

const char* kExponential = R"(
failures:
  model: exponential
  mtbf_node: "264d"
  kinds:
    - {name: gpu, weight: 0.6, detection: "2m"}
    - {name: host, weight: 0.4, detection: "5m"}
)";

const char* kWeibull = R"(
failures:
  model: weibull
  shape: 0.7
  scale: "300d"
)";

TEST(FailureProcess, SameSeedGivesIdenticalStreams) {
  const ClusterSpec c = cluster_of(10240);
  for (const char* yaml : {kExponential, kWeibull}) {
    const FailureSpec spec = decode(yaml, c);
    auto a = make_failure_process(spec, c, 1234);
    auto b = make_failure_process(spec, c, 1234);
    EXPECT_EQ(take(*a, 2000), take(*b, 2000)) << yaml;
  }
}

TEST(FailureProcess, DifferentSeedsGiveDifferentStreams) {
  const ClusterSpec c = cluster_of(10240);
  for (const char* yaml : {kExponential, kWeibull}) {
    const FailureSpec spec = decode(yaml, c);
    auto a = make_failure_process(spec, c, 1);
    auto b = make_failure_process(spec, c, 2);
    const auto ea = take(*a, 100), eb = take(*b, 100);
    int same_time = 0;
    for (size_t i = 0; i < 100; ++i) same_time += ea[i].time == eb[i].time ? 1 : 0;
    EXPECT_EQ(same_time, 0) << yaml;
  }
}

TEST(FailureProcess, EventsAreTimeOrderedSingleNodesInRange) {
  const ClusterSpec c = cluster_of(1000);
  for (const char* yaml : {kExponential, kWeibull}) {
    auto p = make_failure_process(decode(yaml, c), c, 77);
    Nanos prev = 0;
    std::set<std::int64_t> seen;
    for (const FailureEvent& e : take(*p, 20000)) {
      EXPECT_GE(e.time, prev);
      prev = e.time;
      ASSERT_EQ(e.nodes.size(), 1u);
      ASSERT_GE(e.nodes[0], 0);
      ASSERT_LT(e.nodes[0], c.nodes);
      seen.insert(e.nodes[0]);
    }
    // 20 failures per node on average: every node fails at least once.
    EXPECT_EQ(seen.size(), 1000u) << yaml;
  }
}

TEST(FailureProcess, KindsAndDetectionComeFromTheSpec) {
  const ClusterSpec c = cluster_of(64);
  auto p = make_failure_process(decode(kExponential, c), c, 5);
  for (const FailureEvent& e : take(*p, 200)) {
    if (e.kind == "gpu")
      EXPECT_EQ(e.detection, Seconds{120});
    else if (e.kind == "host")
      EXPECT_EQ(e.detection, Seconds{300});
    else
      ADD_FAILURE() << "unexpected kind " << e.kind;
  }
  // Without a kinds list, every failure is the default kind.
  auto q = make_failure_process(decode(kWeibull, c), c, 5);
  for (const FailureEvent& e : take(*q, 50)) {
    EXPECT_EQ(e.kind, "node");
    EXPECT_EQ(e.detection, Seconds{60});
  }
}

TEST(FailureProcess, ModelNoneHasNoFailures) {
  const ClusterSpec c = cluster_of(16);
  auto p = make_failure_process(decode("failures: {model: none}", c), c, 1);
  EXPECT_FALSE(p->next());
  EXPECT_FALSE(p->next());
  auto q = make_failure_process(FailureSpec{}, c, 1);  // the default spec is model none
  EXPECT_FALSE(q->next());
}

TEST(FailureProcess, RackEventsTakeDownEveryNodeOfTheRackIncludingAPartialLastRack) {
  // 100 nodes in racks of 32: racks 0..2 are full, rack 3 holds nodes 96..99 only.
  const ClusterSpec c = cluster_of(100, 32);
  const FailureSpec spec = decode(R"(
failures:
  model: exponential
  mtbf_node: "1000y"
  correlated: {domain: rack, mtbf_domain: "10d", kind: rack, detection: "3m"}
)",
                                  c);
  auto p = make_failure_process(spec, c, 9);
  std::set<std::int64_t> racks_seen;
  for (const FailureEvent& e : take(*p, 400)) {
    if (e.kind != "rack") continue;
    ASSERT_FALSE(e.nodes.empty());
    const std::int64_t rack = c.rack_of(e.nodes.front());
    racks_seen.insert(rack);
    std::vector<std::int64_t> expected;
    for (std::int64_t n = rack * 32; n < std::min<std::int64_t>((rack + 1) * 32, 100); ++n) {
      expected.push_back(n);
    }
    EXPECT_EQ(e.nodes, expected);
    EXPECT_EQ(e.detection, Seconds{180});
  }
  EXPECT_EQ(racks_seen, (std::set<std::int64_t>{0, 1, 2, 3}));
}

TEST(FailureProcess, AddingRackEventsLeavesTheNodeStreamUnchanged) {
  const ClusterSpec c = cluster_of(2048, 32);
  for (const char* model : {"model: exponential\n  mtbf_node: \"264d\"",
                            "model: weibull\n  shape: 0.7\n  scale: \"300d\""}) {
    const std::string base = std::string("failures:\n  ") + model + "\n";
    const FailureSpec plain = decode(base, c);
    const FailureSpec with_racks = decode(base + "  correlated: {mtbf_domain: \"1y\"}\n", c);
    auto a = make_failure_process(plain, c, 42);
    auto b = make_failure_process(with_racks, c, 42);
    std::vector<FailureEvent> node_events;
    int rack_events = 0;
    while (node_events.size() < 3000) {
      auto e = b->next();
      ASSERT_TRUE(e);
      if (e->kind == "rack") {
        ++rack_events;
        EXPECT_EQ(e->nodes.size(), 32u);
      } else {
        node_events.push_back(*e);
      }
    }
    EXPECT_GT(rack_events, 0);
    EXPECT_EQ(node_events, take(*a, 3000)) << model;
  }
}

TEST(FailureProcess, MergeTakesTheFirstStreamOnTies) {
  // Two identical processes merged: each event comes twice in a row, from `first` then `second`.
  const ClusterSpec c = cluster_of(8);
  const FailureSpec spec = decode(kWeibull, c);
  auto merged =
      merge_failure_processes(make_failure_process(spec, c, 3), make_failure_process(spec, c, 3));
  auto reference = make_failure_process(spec, c, 3);
  for (const FailureEvent& e : take(*reference, 50)) {
    EXPECT_EQ(merged->next(), e);
    EXPECT_EQ(merged->next(), e);
  }
}

TEST(FailureProcess, RateMatchesJobMtbfOverAMonthAtFullScale) {
  // 10,240 nodes for 30 days: the workload the simulator runs most. The count is Poisson, so the
  // 99% interval is about mean +- 2.576 sqrt(mean).
  const ClusterSpec c = cluster_of(10240, 32);
  const FailureSpec spec = decode(R"(
failures:
  model: exponential
  mtbf_node: "264d"
  correlated: {mtbf_domain: "5y"}
)",
                                  c);
  const double horizon = 30 * kDay;
  const double expected = horizon / spec.job_mtbf_seconds(c);
  auto p = make_failure_process(spec, c, 2024);
  int n = 0;
  while (auto e = p->next()) {
    if (e->time > to_nanos(Seconds{horizon})) break;
    ++n;
  }
  EXPECT_NEAR(n, expected, 2.576 * std::sqrt(expected));
}

}  // namespace
}  // namespace ckptlab
