// Decoding of `failures:`: every mistake is a located InputError, and the derived job MTBF is
// the textbook one.
#include "failure/failure_spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

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

FailureSpec decode(const std::string& yaml, const ClusterSpec& c = cluster_of(1024)) {
  return decode_failures(ConfigNode::load_string(yaml, "scenario.yaml")["failures"], c);
}

// Decoding `yaml` throws an InputError whose message contains `needle`; returns it.
InputError decode_error(const std::string& yaml, const std::string& needle) {
  try {
    decode(yaml);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
    EXPECT_EQ(e.file(), "scenario.yaml");
    return e;
  }
  ADD_FAILURE() << "no InputError for:\n" << yaml;
  return InputError("", 0, 0, "", "");
}

TEST(FailureSpec, DecodesExponentialFromNodeOrJobMtbf) {
  const FailureSpec a = decode("failures: {model: exponential, mtbf_node: \"264d\"}");
  EXPECT_EQ(a.model, FailureModel::exponential);
  EXPECT_DOUBLE_EQ(a.mtbf_node.value, 264 * kDay);
  EXPECT_FALSE(a.kinds_listed);
  ASSERT_EQ(a.kinds.size(), 1u);
  EXPECT_EQ(a.kinds[0].name, "node");
  EXPECT_EQ(a.kinds[0].detection, Seconds{60});
  // mtbf_job is the node-failure job MTBF: per-node MTBF = mtbf_job * nodes.
  const FailureSpec b = decode("failures: {model: exponential, mtbf_job: \"6h\"}");
  EXPECT_DOUBLE_EQ(b.mtbf_node.value, 6 * 3600.0 * 1024);
  EXPECT_DOUBLE_EQ(b.job_mtbf_seconds(cluster_of(1024)), 6 * 3600.0);
}

TEST(FailureSpec, JobMtbfForExponentialAndWeibull) {
  const FailureSpec e = decode("failures: {model: exponential, mtbf_node: \"264d\"}");
  EXPECT_DOUBLE_EQ(e.job_mtbf_seconds(cluster_of(10240)), 264 * kDay / 10240);
  EXPECT_NEAR(e.job_mtbf_seconds(cluster_of(1024)) / 3600, 6.1875, 1e-9);

  const FailureSpec w = decode("failures: {model: weibull, shape: 0.7, scale: \"300d\"}");
  EXPECT_EQ(w.model, FailureModel::weibull);
  EXPECT_DOUBLE_EQ(w.shape, 0.7);
  // Gamma(1 + 1/0.7) = Gamma(2.428571...) = 1.2658235 (Python math.gamma).
  EXPECT_NEAR(w.job_mtbf_seconds(cluster_of(1024)), 300 * kDay * 1.2658235 / 1024, 0.1);
  // k = 1 is the exponential with MTBF = scale.
  const FailureSpec w1 = decode("failures: {model: weibull, shape: 1, scale: \"300d\"}");
  EXPECT_NEAR(w1.job_mtbf_seconds(cluster_of(100)), 300 * kDay / 100, 1e-6);

  // Rack events add their rate: 1024 nodes in racks of 32 = 32 racks.
  const FailureSpec r = decode(
      "failures: {model: exponential, mtbf_node: \"264d\", correlated: {mtbf_domain: \"5y\"}}");
  const double expected = 1 / (1024 / (264 * kDay) + 32 / (5 * 365 * kDay));
  EXPECT_NEAR(r.job_mtbf_seconds(cluster_of(1024, 32)), expected, 1e-6);

  EXPECT_TRUE(std::isinf(decode("failures: {model: none}").job_mtbf_seconds(cluster_of(8))));
}

TEST(FailureSpec, DescribeIsOneReadableLine) {
  EXPECT_EQ(decode("failures: {model: exponential, mtbf_node: \"264d\"}").describe(),
            "exponential, node MTBF 264 d (job MTBF 6.19 h)");
  const std::string w =
      decode("failures: {model: weibull, shape: 0.7, scale: \"300d\"}").describe();
  EXPECT_EQ(w.find("weibull k=0.7"), 0u) << w;
  EXPECT_EQ(decode("failures: {model: none}").describe(), "none (no failures)");
  const std::string r =
      decode(
          "failures: {model: exponential, mtbf_node: \"264d\", correlated: {mtbf_domain: \"5y\"}}")
          .describe();
  EXPECT_NE(r.find("rack"), std::string::npos) << r;
  EXPECT_EQ(r.find('\n'), std::string::npos);
}

TEST(FailureSpec, DecodesKindsAndCorrelatedEvents) {
  const FailureSpec s = decode(R"(
failures:
  model: exponential
  mtbf_node: "264d"
  kinds:
    - {name: gpu, weight: 0.61, detection: "2m"}
    - {name: hang, weight: 0.39, detection: "10m"}
    - {name: rack, weight: 0, detection: "4m"}
  correlated: {domain: rack, mtbf_domain: "5y", kind: rack}
)");
  ASSERT_EQ(s.kinds.size(), 3u);
  EXPECT_TRUE(s.kinds_listed);
  EXPECT_EQ(s.kinds[1].name, "hang");
  EXPECT_DOUBLE_EQ(s.kinds[1].weight, 0.39);
  EXPECT_EQ(s.kinds[1].detection, Seconds{600});
  ASSERT_TRUE(s.correlated);
  EXPECT_DOUBLE_EQ(s.correlated->mtbf_domain.value, 5 * 365 * kDay);
  // The rack kind's detection comes from the listed kind of the same name.
  EXPECT_EQ(s.correlated->detection, Seconds{240});
}

TEST(FailureSpec, UnknownKeyIsAnErrorWithASuggestion) {
  const InputError e = decode_error("failures: {model: exponential, mtbf_nod: \"264d\"}",
                                    "did you mean 'mtbf_node'");
  EXPECT_EQ(e.key_path(), "failures.mtbf_nod");
  EXPECT_GT(e.line(), 0);
  decode_error("failures: {model: exponential, mtbf_node: \"264d\", correlated: {mtbf_domian: 1y}}",
               "did you mean 'mtbf_domain'");
  decode_error(
      "failures: {model: exponential, mtbf_node: \"264d\", kinds: [{name: gpu, wieght: 1, "
      "detection: 1m}]}",
      "did you mean 'weight'");
}

TEST(FailureSpec, BothMtbfNodeAndMtbfJobIsAnError) {
  decode_error("failures: {model: exponential, mtbf_node: \"264d\", mtbf_job: \"6h\"}",
               "either mtbf_node or mtbf_job");
  decode_error("failures: {model: exponential}", "needs mtbf_node or mtbf_job");
}

TEST(FailureSpec, ZeroAndNegativeDurationsAreErrors) {
  decode_error("failures: {model: exponential, mtbf_node: \"0d\"}", "duration > 0");
  decode_error("failures: {model: exponential, mtbf_node: \"-3d\"}", "negative");
  decode_error("failures: {model: exponential, mtbf_job: \"0s\"}", "duration > 0");
  decode_error("failures: {model: weibull, shape: 0.7, scale: \"0d\"}", "duration > 0");
  decode_error("failures: {model: weibull, shape: 0, scale: \"300d\"}", "> 0");
  decode_error("failures: {model: weibull, shape: -1, scale: \"300d\"}", "> 0");
  decode_error(
      "failures: {model: exponential, mtbf_node: \"264d\", correlated: {mtbf_domain: \"0y\"}}",
      "duration > 0");
  decode_error("failures: {model: exponential, mtbf_node: 264}", "duration");  // no unit
}

TEST(FailureSpec, UnknownModelIsAnErrorWithASuggestion) {
  const InputError e = decode_error("failures: {model: weibul}", "did you mean 'weibull'");
  EXPECT_EQ(e.key_path(), "failures.model");
  decode_error("failures: {model: gaussian}", "unknown failure model");
  decode_error("failures: {mtbf_node: \"264d\"}", "missing required key");
}

TEST(FailureSpec, KeysOfAnotherModelAreErrors) {
  decode_error("failures: {model: exponential, mtbf_node: \"264d\", shape: 0.7}",
               "'shape' does not apply to model exponential");
  decode_error("failures: {model: weibull, shape: 0.7, scale: \"300d\", mtbf_node: \"264d\"}",
               "'mtbf_node' does not apply to model weibull");
  decode_error("failures: {model: none, mtbf_node: \"264d\"}", "model none takes no other keys");
}

TEST(FailureSpec, BadKindsAndDomainsAreErrors) {
  const std::string head = "failures: {model: exponential, mtbf_node: \"264d\", ";
  decode_error(head + "kinds: [{name: gpu, weight: -1, detection: 1m}]}", "weight >= 0");
  decode_error(head + "kinds: [{name: gpu, weight: 0, detection: 1m}]}", "sum to 0");
  decode_error(head +
                   "kinds: [{name: gpu, weight: 1, detection: 1m}, {name: gpu, weight: 1, "
                   "detection: 1m}]}",
               "listed twice");
  decode_error(head + "kinds: [{name: gpu, detection: 1m}]}", "missing required key");  // weight
  decode_error(head + "kinds: []}", "at least one");
  decode_error(head + "correlated: {domain: switch, mtbf_domain: 5y}}", "unknown failure domain");
}

}  // namespace
}  // namespace ckptlab
