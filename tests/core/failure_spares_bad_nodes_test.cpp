// Systematically bad nodes (`failures: bad_nodes:`): a seeded share of the nodes fails
// `rate_multiplier` times as often; without the key every stream is as before.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

ClusterSpec cluster_of(std::int64_t nodes) {
  ClusterSpec c;
  c.nodes = nodes;
  c.nodes_per_rack = 32;
  return c;
}

FailureSpec decode(const std::string& yaml, const ClusterSpec& cluster) {
  return decode_failures(ConfigNode::load_string(yaml, "test.yaml")["failures"], cluster);
}

// Failures per node over `horizon_s`.
std::map<std::int64_t, int> failures_per_node(const FailureSpec& spec, const ClusterSpec& cluster,
                                              std::uint64_t seed, double horizon_s) {
  auto process = make_failure_process(spec, cluster, seed);
  std::map<std::int64_t, int> count;
  while (auto e = process->next()) {
    if (to_seconds(e->time).value > horizon_s) break;
    for (std::int64_t n : e->nodes) ++count[n];
  }
  return count;
}

TEST(BadNodes, DecodesAndCountsInTheJobMtbf) {
  const ClusterSpec cluster = cluster_of(8);
  const FailureSpec s = decode(
      "failures: {model: exponential, mtbf_node: 8d, bad_nodes: {fraction: 0.25, "
      "rate_multiplier: 5}}",
      cluster);
  ASSERT_TRUE(s.bad_nodes);
  EXPECT_EQ(s.bad_nodes->count(8), 2);
  // 6 good nodes at 1/8d and 2 bad ones at 5/8d: 16 failures per 8 days.
  EXPECT_NEAR(s.job_mtbf_seconds(cluster), 8 * 86400.0 / 16, 1e-6);
  EXPECT_NE(s.describe().find("2 bad nodes"), std::string::npos) << s.describe();
  for (const std::string& bad : {
           std::string("{model: exponential, mtbf_node: 8d, bad_nodes: {fraction: 1.5, "
                       "rate_multiplier: 5}}"),
           std::string("{model: exponential, mtbf_node: 8d, bad_nodes: {fraction: 0.1, "
                       "rate_multiplier: 0.5}}"),
           std::string("{model: exponential, mtbf_node: 8d, bad_nodes: {fraction: 0.1}}"),
           std::string("{model: none, bad_nodes: {fraction: 0.1, rate_multiplier: 2}}"),
       }) {
    EXPECT_THROW(decode("failures: " + bad, cluster), InputError) << bad;
  }
}

// Without the key, or with a multiplier of 1, the failure stream is the same event for event.
TEST(BadNodes, AbsentOrNeutralLeavesTheStreamUnchanged) {
  const ClusterSpec cluster = cluster_of(64);
  for (const std::string model :
       {"model: exponential, mtbf_node: 30d", "model: weibull, shape: 0.7, scale: 30d"}) {
    const FailureSpec plain = decode("failures: {" + model + "}", cluster);
    const FailureSpec neutral = decode(
        "failures: {" + model + ", bad_nodes: {fraction: 0.5, rate_multiplier: 1}}", cluster);
    auto a = make_failure_process(plain, cluster, 3);
    auto b = make_failure_process(neutral, cluster, 3);
    for (int i = 0; i < 2000; ++i) {
      const auto x = a->next();
      const auto y = b->next();
      ASSERT_TRUE(x && y);
      ASSERT_EQ(x->time, y->time);
      ASSERT_EQ(x->nodes, y->nodes);
      ASSERT_EQ(x->kind, y->kind);
    }
  }
}

// Bad nodes fail about `rate_multiplier` times as often as good ones (exponential exactly;
// weibull in the long run, as a renewal process with its scale divided by the multiplier).
TEST(BadNodes, BadNodesFailRateMultiplierTimesAsOften) {
  const ClusterSpec cluster = cluster_of(100);
  for (const std::string model :
       {"model: exponential, mtbf_node: 10d", "model: weibull, shape: 0.8, scale: 10d"}) {
    const FailureSpec spec = decode(
        "failures: {" + model + ", bad_nodes: {fraction: 0.2, rate_multiplier: 4}}", cluster);
    const double horizon = 2000 * 86400.0;
    const auto count = failures_per_node(spec, cluster, 11, horizon);
    // The 20 nodes with the most failures are the bad ones: their mean is about 4x the rest's.
    std::vector<int> per_node;
    for (std::int64_t n = 0; n < 100; ++n) per_node.push_back(count.count(n) ? count.at(n) : 0);
    std::sort(per_node.begin(), per_node.end());
    double good = 0, bad = 0;
    for (int i = 0; i < 80; ++i) good += per_node[static_cast<size_t>(i)];
    for (int i = 80; i < 100; ++i) bad += per_node[static_cast<size_t>(i)];
    const double ratio = (bad / 20) / (good / 80);
    EXPECT_NEAR(ratio, 4.0, 0.25) << model;
    // Different seeds pick different bad nodes.
    const auto other = failures_per_node(spec, cluster, 12, horizon);
    EXPECT_NE(count, other);
  }
}

}  // namespace
}  // namespace ckptlab
