// Fitting whole traces: the samples are built with the censoring the header promises, the
// shipped traces give the published picture (Weibull with decreasing hazard beats the
// exponential), and the emitted `failures:` section decodes as a scenario's.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "failure/failure_spec.hpp"
#include "failure/fit/fit_yaml.hpp"
#include "failure/fit/trace_fit.hpp"
#include "failure/trace_selection.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

const std::string kTraces = std::string(CKPTLAB_SOURCE_DIR) + "/data/traces/";

std::vector<TraceRecord> records(std::initializer_list<std::pair<double, std::int64_t>> rows) {
  std::vector<TraceRecord> out;
  int line = 2;
  for (const auto& [t, node] : rows) out.push_back({t, node, "gpu", line++, {}});
  return out;
}

TraceFit fit_file(const std::string& file, std::int64_t nodes,
                  const std::vector<std::string>& kinds = {}) {
  const FailureTrace trace = load_failure_trace(kTraces + file);
  const TraceSelection s = select_trace(trace, kinds, TraceWindow{});
  TraceFitOptions o;
  o.nodes = nodes;
  o.period_s = s.period_s;
  return fit_trace(s.records, o);
}

TEST(TraceFit, ClusterGapsAreConsecutiveDifferencesWithTheTailCensored) {
  const auto r = records({{0, 1}, {10, 2}, {10, 3}, {40, 1}});
  const LifetimeSample s = cluster_gap_sample(r, 100, 1);
  EXPECT_EQ(s.exact, (std::vector<double>{10, 30}));
  EXPECT_EQ(s.below_resolution, 1u);  // the burst at t = 10
  EXPECT_EQ(s.censored, (std::vector<double>{60}));
}

TEST(TraceFit, PerNodeLifetimesCensorEachLastIntervalAndTheSilentNodes) {
  const auto r = records({{0, 1}, {10, 2}, {40, 1}});
  const LifetimeSample seen = node_lifetime_sample(r, 0, 100, 1);
  // Node 1: failures at 0 (below resolution) and 40, then 60 censored; node 2: 10, then 90.
  EXPECT_EQ(seen.below_resolution, 1u);
  EXPECT_EQ(seen.exact, (std::vector<double>{10, 40}));
  EXPECT_EQ(seen.censored, (std::vector<double>{60, 90}));
  // With --nodes 5, nodes 0, 3 and 4 never failed: each is censored at the period.
  const LifetimeSample all = node_lifetime_sample(r, 5, 100, 1);
  EXPECT_EQ(all.censored, (std::vector<double>{60, 90, 100, 100, 100}));
}

TEST(TraceFit, ResolutionIsTheSmallestPositiveGap) {
  EXPECT_EQ(trace_resolution_s(records({{0, 1}, {0, 2}, {60, 3}, {180, 3}})), 60);
  EXPECT_EQ(trace_resolution_s(records({{5, 1}})), 1);
}

TEST(TraceFit, BurstsAndIncidents) {
  TraceFitOptions o;
  o.period_s = 1000;
  const TraceFit f = fit_trace(records({{0, 1}, {30, 2}, {80, 3}, {500, 4}, {900, 4}}), o);
  // 0, 30, 80 chain within 60 s: one incident on three nodes; the others stand alone.
  EXPECT_EQ(f.bursts.events_in_bursts, 3u);
  EXPECT_DOUBLE_EQ(f.bursts.share, 0.6);
  EXPECT_EQ(f.bursts.incidents, 3u);
  EXPECT_EQ(f.bursts.multi_node_incidents, 1u);
  EXPECT_EQ(f.bursts.largest_incident_nodes, 3u);
  EXPECT_FALSE(f.racks);
  // Rates: 5 events over 4 seen nodes x 1000 s.
  EXPECT_NEAR(f.per_1000_node_days, 1000.0 * 5 / (4 * 1000 / 86400.0), 1e-9);
}

TEST(TraceFit, ChanceOfASharedRackMatchesTheBirthdayFormula) {
  // 4 racks of 2: two random nodes share a rack with probability 1/7 (one of the 7 others).
  const std::map<std::int64_t, std::int64_t> racks = {{0, 2}, {1, 2}, {2, 2}, {3, 2}};
  EXPECT_NEAR(chance_of_shared_rack(racks, 2), 1.0 / 7, 1e-12);
  // Three nodes in distinct racks: 6/7 * 4/6.
  EXPECT_NEAR(chance_of_shared_rack(racks, 3), 1 - 6.0 / 7 * 4.0 / 6, 1e-12);
  EXPECT_EQ(chance_of_shared_rack(racks, 5), 1);
  EXPECT_EQ(chance_of_shared_rack(racks, 1), 0);
}

TEST(TraceFit, RackCorrelationCountsIncidentsWithinOneRack) {
  const auto r = records({{0, 0}, {0, 1}, {500, 2}, {500, 7}, {900, 3}});
  const TraceRacks racks = assign_trace_racks(parse_rack_of("node/4"), r, "t.csv", 0, 8);
  TraceFitOptions o;
  o.period_s = 1000;
  o.nodes = 8;
  const TraceFit f = fit_trace(r, o, &racks);
  ASSERT_TRUE(f.racks);
  EXPECT_EQ(f.racks->racks, 2u);
  EXPECT_EQ(f.racks->multi_node_incidents, 2u);
  EXPECT_EQ(f.racks->sharing_rack, 1u);  // nodes 0 and 1; nodes 2 and 7 are in racks 0 and 1
  EXPECT_NEAR(f.racks->expected_sharing_rack, 2 * 3.0 / 7, 1e-12);
}

// The shipped traces, fitted as docs/failures.md reports them. Golden to three significant
// digits for InfiniteHBD's hardware kinds; decreasing hazard for both.
TEST(TraceFit, ShippedInfiniteHbdHardwareFit) {
  const TraceFit f = fit_file("infinitehbd_stepfun_400n.csv", 400, {"gpu", "host", "network"});
  EXPECT_EQ(f.events, 300u);
  const LifetimeFit& gaps = f.cluster[1];
  const LifetimeFit& nodes = f.per_node[1];
  ASSERT_TRUE(gaps.valid && nodes.valid);
  EXPECT_NEAR(gaps.shape.value, 0.637, 0.0005);
  EXPECT_NEAR(nodes.shape.value, 0.585, 0.0005);
  EXPECT_NEAR(nodes.scale.value / 86400, 718, 0.5);
  EXPECT_LT(nodes.shape.upper, 1);
  EXPECT_LT(gaps.shape.upper, 1);
  // Weibull beats the exponential by a wide margin on both samples.
  EXPECT_LT(gaps.aic + 50, f.cluster[0].aic);
  EXPECT_LT(nodes.aic + 50, f.per_node[0].aic);
  EXPECT_NEAR(f.per_1000_node_days, 2.17, 0.005);
}

TEST(TraceFit, ShippedTracesHaveWeibullShapeBelowOne) {
  for (const auto& [file, nodes] :
       {std::pair<std::string, std::int64_t>{"infinitehbd_stepfun_400n.csv", 400},
        {"lanl_system20.csv", 512}}) {
    const TraceFit f = fit_file(file, nodes);
    EXPECT_LT(f.cluster[1].shape.upper, 1) << file;
    EXPECT_LT(f.per_node[1].shape.upper, 1) << file;
    EXPECT_LT(f.cluster[1].aic, f.cluster[0].aic) << file;
    EXPECT_GT(f.bursts.share, 0.05) << file;  // DESIGN.md §7: 5-20% within 60 s of another
    EXPECT_LT(f.bursts.share, 0.25) << file;
  }
  const TraceFit lanl = fit_file("lanl_system20.csv", 512);
  EXPECT_NEAR(lanl.cluster[1].shape.value, 0.595, 0.0005);
  EXPECT_NEAR(lanl.per_node[1].shape.value, 0.408, 0.0005);
}

TEST(TraceFit, EmittedYamlDecodesAsTheScenariosFailuresSection) {
  const TraceFit f = fit_file("infinitehbd_stepfun_400n.csv", 400);
  LifetimeSample repairs;
  for (double t : {3600.0, 7200.0, 86400.0, 600.0}) repairs.observe(t);
  const std::string yaml =
      failures_yaml(f, {"infinitehbd_stepfun_400n.csv", {}, "", "ckptlab failures fit x"},
                    fit_lifetime(LifetimeModel::lognormal, repairs));
  ClusterSpec cluster;
  cluster.nodes = 1024;
  const ConfigNode doc = ConfigNode::load_string(yaml, "fit.yaml");
  EXPECT_EQ(doc.keys(), std::vector<std::string>{"failures"});
  const FailureSpec spec = decode_failures(doc["failures"], cluster);
  ASSERT_EQ(spec.model, FailureModel::weibull);
  const LifetimeFit& w = chosen_node_model(f);
  EXPECT_NEAR(spec.shape, w.shape.value, 1e-5);
  EXPECT_NEAR(spec.scale.value, w.scale.value, 1.0);  // days with 5 decimals: within a second
  ASSERT_EQ(spec.kinds.size(), f.kinds.size());
  EXPECT_EQ(spec.kinds[0].name, "gpu");
  EXPECT_EQ(spec.kinds[0].weight, 158);
  // The repair line is a comment to copy into restart:, and it parses as one.
  const size_t at = yaml.find("#   repair: ");
  ASSERT_NE(at, std::string::npos);
  const std::string repair_line = yaml.substr(at + 4, yaml.find('\n', at) - at - 4);
  const ConfigNode repair = ConfigNode::load_string(repair_line, "line");
  EXPECT_EQ(repair["repair"]["distribution"].as_string(), "lognormal");
}

TEST(TraceFit, ChosenModelIsTheLowerAicOfExponentialAndWeibull) {
  TraceFit f;
  for (LifetimeFit& m : f.per_node) m.valid = true;
  f.per_node[0].model = LifetimeModel::exponential;
  f.per_node[1].model = LifetimeModel::weibull;
  f.per_node[2].model = LifetimeModel::lognormal;
  f.per_node[0].aic = 100;
  f.per_node[1].aic = 99.5;
  f.per_node[2].aic = 50;  // report-only: a scenario cannot run a lognormal
  EXPECT_EQ(chosen_node_model(f).model, LifetimeModel::weibull);
  f.per_node[1].aic = 101;
  EXPECT_EQ(chosen_node_model(f).model, LifetimeModel::exponential);
  f.per_node[1].aic = 10;
  f.per_node[1].at_bound = true;  // a degenerate Weibull is not offered
  EXPECT_EQ(chosen_node_model(f).model, LifetimeModel::exponential);
}

}  // namespace
}  // namespace ckptlab
