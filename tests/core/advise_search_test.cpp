// ckptlab advise's search pieces on synthetic objectives: the interval search finds a maximum
// from far away in few evaluations and stops on flat curves, the ordinal climb does not follow
// gains below the tolerance, the final pick keeps the prior unless another candidate is
// significantly better, candidate settings edit the policy entry as a user would, and each
// policy's space holds only keys the policy decodes.
#include "advise/advise_search.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "advise/advise_evaluation.hpp"
#include "advise/advise_settings.hpp"
#include "advise/policy_space.hpp"

namespace ckptlab {
namespace {

// ETTR-like curve with its maximum at k = best (Young's shape: cost / k + k / (2 m)).
double young_curve(double k, double best) { return 1 - (best / k + k / best) / 100; }

TEST(AdviseSearch, IntervalSearchFindsMaximumFromFarStart) {
  for (std::int64_t start : {3, 40, 900, 20000}) {
    std::size_t calls = 0;
    const auto order = search_interval(
        start, 1, 100000,
        [&](std::int64_t k) {
          ++calls;
          return young_curve(static_cast<double>(k), 517);
        },
        [](std::int64_t, std::int64_t) { return false; }, 1.02);
    std::int64_t best = order.front();
    for (std::int64_t k : order) {
      if (young_curve(static_cast<double>(k), 517) > young_curve(static_cast<double>(best), 517)) {
        best = k;
      }
    }
    EXPECT_NEAR(static_cast<double>(best), 517, 0.03 * 517) << "start " << start;
    EXPECT_EQ(calls, order.size());  // each k scored once
    EXPECT_LE(calls, 30u) << "start " << start;
  }
}

TEST(AdviseSearch, IntervalSearchStopsAtOnceOnAFlatCurve) {
  const auto order = search_interval(
      100, 1, 10000, [](std::int64_t) { return 0.9; },
      [](std::int64_t, std::int64_t) { return true; });
  EXPECT_EQ(order, (std::vector<std::int64_t>{100, 50, 200}));
}

TEST(AdviseSearch, IntervalSearchRespectsTheRange) {
  const auto order = search_interval(
      1, 1, 8, [](std::int64_t k) { return static_cast<double>(k); },
      [](std::int64_t, std::int64_t) { return false; });
  for (std::int64_t k : order) {
    EXPECT_GE(k, 1);
    EXPECT_LE(k, 8);
  }
  EXPECT_EQ(*std::max_element(order.begin(), order.end()), 8);
}

TEST(AdviseSearch, ClimbOrdinalFollowsGainsAboveTheTolerance) {
  const std::vector<double> values = {0.90, 0.93, 0.95, 0.94, 0.80};
  const auto order = climb_ordinal(0, values.size(), [&](std::size_t i) { return values[i]; });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3}));
  // Gains of 0.0001 per step are below a tolerance of 0.001: no step.
  const std::vector<double> flat = {0.9500, 0.9501, 0.9502, 0.9503};
  const auto stay = climb_ordinal(
      1, flat.size(), [&](std::size_t i) { return flat[i]; }, 0.001);
  EXPECT_EQ(stay, (std::vector<std::size_t>{1, 0, 2}));
}

Evaluation with_ettrs(const std::vector<double>& ettrs) {
  Evaluation e;
  for (double x : ettrs) {
    ReplicationFigures f;
    f.wall_s = 1000;
    f.time_s[static_cast<std::size_t>(TimeCategory::kProductive)] = 1000 * x;
    e.runs.push_back(f);
  }
  return e;
}

TEST(AdviseSearch, PickKeepsThePriorUnlessAnotherIsSignificantlyBetter) {
  const Evaluation prior = with_ettrs({0.90, 0.92, 0.91, 0.93});
  const Evaluation noisy = with_ettrs({0.91, 0.91, 0.92, 0.925});  // higher mean, not separated
  const Evaluation better = with_ettrs({0.92, 0.94, 0.93, 0.95});  // +0.02 in every replication
  EXPECT_EQ(pick({&prior, &noisy}, 0), std::optional<std::size_t>(0));
  EXPECT_EQ(pick({&prior, &noisy}, std::nullopt), std::optional<std::size_t>(1));
  EXPECT_EQ(pick({&prior, &noisy, &better}, 0), std::optional<std::size_t>(2));
  EXPECT_TRUE(separated({&prior, &better}, 1));
  EXPECT_FALSE(separated({&prior, &noisy}, 1));
  EXPECT_TRUE(settled({&prior, &noisy}, 1, 0.05));  // equivalent within 0.05
  Evaluation infeasible = better;
  infeasible.violated = "host_memory";
  EXPECT_EQ(pick({&prior, &infeasible}, 0), std::optional<std::size_t>(0));
  EXPECT_LT(search_score(infeasible), search_score(prior));
}

TEST(AdviseSearch, BindingConstraintIsTheOneTheUnconstrainedBestViolates) {
  const Evaluation chosen = with_ettrs({0.90, 0.92, 0.91, 0.93});
  Evaluation rejected = with_ettrs({0.95, 0.97, 0.96, 0.98});
  rejected.violated = "host_memory";
  EXPECT_EQ(binding_constraint({&chosen, &rejected}, &chosen), "host_memory");
  Evaluation worse = with_ettrs({0.80, 0.82, 0.81, 0.83});
  worse.violated = "max_lost_tokens";
  EXPECT_EQ(binding_constraint({&chosen, &worse}, &chosen), "");
}

TEST(AdviseSearch, SettingsEditThePolicyEntryAsAUserWould) {
  const YAML::Node policy = YAML::Load("{name: sync_full, label: s, interval: daly}");
  const YAML::Node edited = apply_settings(policy, {{"interval_iterations", "12"}});
  EXPECT_FALSE(edited["interval"]);  // the two interval keys exclude each other
  EXPECT_EQ(edited["interval_iterations"].as<int>(), 12);
  EXPECT_EQ(policy["interval"].as<std::string>(), "daly");  // the original is untouched
  const YAML::Node back = apply_settings(edited, {{"interval", "daly"}});
  EXPECT_FALSE(back["interval_iterations"]);
  const YAML::Node removed = apply_settings(policy, {{"interval", ""}});
  EXPECT_FALSE(removed["interval"]);
  // Labels do not make two candidates different.
  EXPECT_EQ(candidate_key(policy), candidate_key(YAML::Load("{name: sync_full, interval: daly}")));
  EXPECT_EQ(settings_text(with_setting({{"k_pec", "1"}}, "k_pec", "4")), "k_pec=4");
}

TEST(AdviseSearch, PolicySpacesHoldOnlyKeysThePoliciesDecode) {
  // The keys each policy's constructor passes to expect_keys (core/policies/*.cpp).
  const std::map<std::string, std::set<std::string>> decoded = {
      {"sync_full", {"interval", "interval_iterations", "tier"}},
      {"async_two_level", {"interval", "interval_iterations", "overhead_bound", "tier"}},
      {"in_memory",
       {"replicas", "placement", "across_racks", "network_idle_fraction", "interval_iterations",
        "persist_interval"}},
      {"moetion", {"replicas", "upstream_logging", "persist_interval"}},
      {"moc_pec", {"interval", "interval_iterations", "k_pec", "selection", "k_snapshot"}}};
  for (const auto& [kind, keys] : decoded) {
    const PolicySpace s = policy_space(kind, YAML::Load("{name: " + kind + "}"), 16, 8);
    for (const TunableParameter& p : s.discrete) {
      EXPECT_TRUE(keys.count(p.key)) << kind << ": " << p.key;
      EXPECT_LT(p.start, p.values.size());
    }
    if (s.interval) {
      EXPECT_TRUE(keys.count("interval_iterations")) << kind;
    }
    if (s.daly) {
      EXPECT_TRUE(keys.count("interval")) << kind;
    }
  }
  const PolicySpace pec = policy_space("moc_pec", YAML::Load("{name: moc_pec, k_pec: 3}"), 16, 8);
  EXPECT_EQ(pec.discrete.front().values,
            (std::vector<std::string>{"1", "2", "3", "4", "8", "16"}));  // the scenario's 3 added
  EXPECT_EQ(pec.discrete.front().start, 2u);
  EXPECT_EQ(pec.discrete.back().key, "k_snapshot");
  EXPECT_TRUE(pec.discrete.back().skip_same_description);
  const PolicySpace gemini = policy_space("in_memory", YAML::Load("{name: in_memory}"), 0, 2);
  EXPECT_EQ(gemini.discrete.front().values, (std::vector<std::string>{"1"}));  // replicas < nodes
}

}  // namespace
}  // namespace ckptlab
