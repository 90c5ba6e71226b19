// The expert routing model: seeded determinism, Zipf shares (with the 1/top_k cap), reshuffles
// only at block boundaries, accumulation equal to per-iteration sums, and routing traces parsed
// strictly with located errors.
#include "moe/routing_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "util/input_error.hpp"

namespace ckptlab {
namespace {

using ::testing::HasSubstr;

RoutingSpec zipf(double s, std::int64_t reshuffle = 0, std::uint64_t seed = 1) {
  RoutingSpec spec;
  spec.kind = RoutingSpec::Kind::kZipf;
  spec.zipf_exponent = s;
  spec.reshuffle_every = reshuffle;
  spec.seed = seed;
  return spec;
}

std::vector<double> layer_rates(const RoutingModel& m, std::int64_t layer, std::int64_t it) {
  std::vector<double> r;
  for (std::int64_t e = 0; e < m.experts(); ++e) r.push_back(m.assignments(layer, e, it));
  return r;
}

TEST(RoutingModel, UniformGivesEveryExpertAnEqualShare) {
  const RoutingModel m(RoutingSpec{}, 3, 8, 2, 1000);
  EXPECT_DOUBLE_EQ(m.assignments_per_iteration(), 2000);
  EXPECT_DOUBLE_EQ(m.assignments(2, 5, 123), 250);
  std::vector<double> out(24, 0.0);
  m.accumulate(10, 14, out);
  for (double v : out) EXPECT_DOUBLE_EQ(v, 1000);
  EXPECT_DOUBLE_EQ(m.layer_assignments(1, 0, 10), 20000);
}

TEST(RoutingModel, ZipfSharesFollowThePowerLawAndSumToOne) {
  const RoutingModel m(zipf(1.2), 1, 16, 1, 1);
  const auto& s = m.rank_shares();
  ASSERT_EQ(s.size(), 16u);
  EXPECT_NEAR(std::accumulate(s.begin(), s.end(), 0.0), 1.0, 1e-12);
  for (size_t r = 1; r < s.size(); ++r) {
    EXPECT_NEAR(s[r] / s[0], std::pow(static_cast<double>(r + 1), -1.2), 1e-12) << r;
  }
  // Every layer's rates are the shares, permuted.
  std::vector<double> rates = layer_rates(m, 0, 0);
  std::sort(rates.rbegin(), rates.rend());
  for (size_t r = 0; r < s.size(); ++r) EXPECT_NEAR(rates[r], s[r], 1e-15);
}

TEST(RoutingModel, ZipfSharesAreCappedAtOnePerTopK) {
  // s = 2 over 8 experts gives the top rank 65% of the mass; with top-2 no expert can see more
  // than half of the assignments (one per token), so the excess is spread over the others.
  const RoutingModel m(zipf(2.0), 1, 8, 2, 100);
  const auto& s = m.rank_shares();
  EXPECT_DOUBLE_EQ(s[0], 0.5);
  EXPECT_NEAR(std::accumulate(s.begin(), s.end(), 0.0), 1.0, 1e-12);
  for (size_t r = 2; r < s.size(); ++r) {
    EXPECT_LT(s[r], 0.5);
    EXPECT_NEAR(s[r] / s[1], std::pow(static_cast<double>(r + 1) / 2.0, -2.0), 1e-12) << r;
  }
}

TEST(RoutingModel, SameSeedSameRoutingOtherSeedOtherOrder) {
  const RoutingModel a(zipf(1.0, 0, 7), 4, 32, 2, 4096);
  const RoutingModel b(zipf(1.0, 0, 7), 4, 32, 2, 4096);
  const RoutingModel c(zipf(1.0, 0, 8), 4, 32, 2, 4096);
  bool any_differs = false;
  for (std::int64_t l = 0; l < 4; ++l) {
    EXPECT_EQ(layer_rates(a, l, 0), layer_rates(b, l, 0));
    any_differs |= layer_rates(a, l, 0) != layer_rates(c, l, 0);
  }
  EXPECT_TRUE(any_differs);
  // Layers get their own popularity orders.
  EXPECT_NE(layer_rates(a, 0, 0), layer_rates(a, 1, 0));
}

TEST(RoutingModel, FixedSeedGivesTheSameOrderOnEveryMachine) {
  // Pins the permutation: mt19937_64 and the draws on it are fixed by the standard, so a change
  // here is a change of the routing model, not of the platform.
  const RoutingModel m(zipf(1.0, 0, 1), 1, 8, 1, 8);
  const std::vector<double> r = layer_rates(m, 0, 0);
  const auto top = std::max_element(r.begin(), r.end()) - r.begin();
  std::vector<double> sorted = r;
  std::sort(sorted.rbegin(), sorted.rend());
  const auto second = std::find(r.begin(), r.end(), sorted[1]) - r.begin();
  RecordProperty("top_expert", std::to_string(top));
  EXPECT_EQ(top, 5);
  EXPECT_EQ(second, 4);
}

TEST(RoutingModel, ReshuffleChangesTheOrderOnlyAtBlockBoundaries) {
  const RoutingModel m(zipf(1.1, 50, 3), 2, 16, 1, 1000);
  EXPECT_EQ(m.segment(0), std::make_pair(std::int64_t{0}, std::int64_t{50}));
  EXPECT_EQ(m.segment(149), std::make_pair(std::int64_t{100}, std::int64_t{150}));
  EXPECT_EQ(layer_rates(m, 0, 0), layer_rates(m, 0, 49));
  EXPECT_NE(layer_rates(m, 0, 49), layer_rates(m, 0, 50));
  EXPECT_EQ(layer_rates(m, 1, 50), layer_rates(m, 1, 99));
  // A reshuffle permutes: the multiset of rates is unchanged.
  std::vector<double> x = layer_rates(m, 0, 0), y = layer_rates(m, 0, 50);
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  EXPECT_EQ(x, y);
}

TEST(RoutingModel, AccumulateEqualsTheSumOverIterations) {
  const RoutingModel m(zipf(0.8, 7, 5), 3, 8, 2, 640);
  std::vector<double> fast(24, 0.0), slow(24, 0.0);
  m.accumulate(3, 40, fast);
  for (std::int64_t it = 3; it < 40; ++it) {
    for (std::int64_t l = 0; l < 3; ++l) {
      for (std::int64_t e = 0; e < 8; ++e)
        slow[static_cast<size_t>(l * 8 + e)] += m.assignments(l, e, it);
    }
  }
  for (size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], slow[i], 1e-9 * slow[i]) << i;
  double layer0 = 0;
  for (size_t e = 0; e < 8; ++e) layer0 += fast[e];
  EXPECT_NEAR(layer0, m.layer_assignments(0, 3, 40), 1e-9 * layer0);
}

RoutingTrace parse(const std::string& text) {
  std::istringstream in(text);
  return parse_routing_trace(in, "routing.csv");
}

InputError parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return InputError("", 0, 0, "", "");
}

TEST(RoutingTrace, StepFunctionOfIteration) {
  RoutingSpec spec;
  spec.kind = RoutingSpec::Kind::kTrace;
  spec.trace = std::make_shared<RoutingTrace>(
      parse("iteration,layer,expert,tokens\r\n0,0,0,10\r\n0,0,1,30\r\n0,1,1,5\r\n100,0,0,40\r\n"));
  const RoutingModel m(spec, 2, 2, 1, 40);
  EXPECT_DOUBLE_EQ(m.assignments(0, 0, 0), 10);
  EXPECT_DOUBLE_EQ(m.assignments(0, 0, 99), 10);
  EXPECT_DOUBLE_EQ(m.assignments(0, 1, 99), 30);
  EXPECT_DOUBLE_EQ(m.assignments(0, 0, 100), 40);
  EXPECT_DOUBLE_EQ(m.assignments(0, 1, 100), 0);  // not listed at 100: none
  EXPECT_DOUBLE_EQ(m.assignments(1, 1, 5000), 0);
  EXPECT_DOUBLE_EQ(m.layer_assignments(0, 90, 110), 10 * 40 + 10 * 40);
  EXPECT_DOUBLE_EQ(m.layer_assignments(1, 0, 200), 100 * 5);
  std::vector<double> out(4, 0.0);
  m.accumulate(98, 102, out);
  EXPECT_DOUBLE_EQ(out[0], 2 * 10 + 2 * 40);
  EXPECT_DOUBLE_EQ(out[1], 2 * 30);
}

TEST(RoutingTrace, ErrorsNameTheLineAndColumn) {
  {
    const InputError e = parse_error("iteration,layer,token\n");
    EXPECT_EQ(e.line(), 1);
    EXPECT_THAT(e.message(), HasSubstr("header iteration,layer,expert,tokens"));
  }
  {
    const InputError e = parse_error("iteration,layer,expert,tokens\n0,0,1,12\n0,0,x2,4\n");
    EXPECT_EQ(e.file(), "routing.csv");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 5);
    EXPECT_THAT(e.message(), HasSubstr("column 'expert'"));
  }
  {
    const InputError e = parse_error("iteration,layer,expert,tokens\n0,0,0,-3\n");
    EXPECT_EQ(e.line(), 2);
    EXPECT_THAT(e.message(), HasSubstr("column 'tokens'"));
  }
  {
    const InputError e = parse_error("iteration,layer,expert,tokens\n0,0,0,1\n5,0,0,1\n4,0,0,1\n");
    EXPECT_EQ(e.line(), 4);
    EXPECT_THAT(e.message(), HasSubstr("sorted by iteration"));
  }
  {
    const InputError e = parse_error("iteration,layer,expert,tokens\n0,1,2,1\n0,1,2,7\n");
    EXPECT_EQ(e.line(), 3);
    EXPECT_THAT(e.message(), HasSubstr("listed twice"));
  }
  {
    const InputError e = parse_error("iteration,layer,expert,tokens\n3,0,0,1\n");
    EXPECT_EQ(e.line(), 2);
    EXPECT_THAT(e.message(), HasSubstr("iteration 0"));
  }
  EXPECT_THAT(parse_error("iteration,layer,expert,tokens\n0,0,0,1\n\n").message(),
              HasSubstr("empty line"));
  EXPECT_THAT(parse_error("iteration,layer,expert,tokens\n0,0,0\n").message(),
              HasSubstr("missing"));
  EXPECT_THAT(parse_error("iteration,layer,expert,tokens\n").message(), HasSubstr("no rows"));
}

TEST(RoutingTrace, LayerOrExpertOutsideTheModelIsLocated) {
  RoutingSpec spec;
  spec.kind = RoutingSpec::Kind::kTrace;
  spec.trace =
      std::make_shared<RoutingTrace>(parse("iteration,layer,expert,tokens\n0,0,0,1\n0,0,16,1\n"));
  try {
    RoutingModel(spec, 2, 16, 1, 1);
    FAIL() << "expert 16 of 16 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 5);
    EXPECT_THAT(e.message(), HasSubstr("outside the model's 16 routed experts"));
  }
}

TEST(RoutingSpec, DecodesDistributionsAndLocatesMistakes) {
  const RoutingSpec z = decode_routing(ConfigNode::load_string(
      "{distribution: zipf, exponent: 1.5, reshuffle_every: 200, seed: 9}", "policy.yaml"));
  EXPECT_EQ(z.kind, RoutingSpec::Kind::kZipf);
  EXPECT_DOUBLE_EQ(z.zipf_exponent, 1.5);
  EXPECT_EQ(z.reshuffle_every, 200);
  EXPECT_EQ(z.seed, 9u);
  EXPECT_THAT(z.describe(), HasSubstr("reshuffled every 200"));
  const auto error = [](const std::string& yaml) {
    try {
      decode_routing(ConfigNode::load_string(yaml, "policy.yaml"));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error("{distribution: zip}"), HasSubstr("unknown distribution \"zip\""));
  EXPECT_THAT(error("{distribution: uniform, exponent: 1}"), HasSubstr("zipf only"));
  EXPECT_THAT(error("{distribution: zipf, exponent: -1}"), HasSubstr("exponent >= 0"));
  EXPECT_THAT(error("{distribution: zipf, exponnt: 1}"), HasSubstr("exponent"));
  EXPECT_THAT(error("{distribution: trace, file: missing.csv}"), HasSubstr("does not exist"));
}

TEST(RoutingSpec, TraceFileIsTakenRelativeToTheScenario) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("ckptlab_routing_" + std::to_string(::getpid()));
  fs::create_directories(dir / "data");
  std::ofstream(dir / "data" / "r.csv") << "iteration,layer,expert,tokens\n0,0,3,8\n";
  const RoutingSpec spec = decode_routing(ConfigNode::load_string(
      "{distribution: trace, file: data/r.csv}", (dir / "scenario.yaml").string()));
  ASSERT_EQ(spec.kind, RoutingSpec::Kind::kTrace);
  ASSERT_EQ(spec.trace->rows.size(), 1u);
  EXPECT_EQ(spec.trace->rows[0].expert, 3);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ckptlab
