// ConfigNode: every decode error is an InputError located at file:line:col with the key path;
// typos get a "did you mean"; --set overrides (apply_override) edit the document as documented;
// assigning one ConfigNode to another never writes into the YAML document.
#include "util/config_node.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "util/input_error.hpp"

namespace ckptlab {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

ConfigNode load(const std::string& text) { return ConfigNode::load_string(text, "test.yaml"); }

// Runs `f`, which must throw InputError, and returns it; fails the test otherwise.
template <class F>
InputError input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an InputError";
  return InputError("", 0, 0, "", "");
}

TEST(InputErrorWhat, CarriesFileLineColumnAndKeyPath) {
  const InputError e("scenario.yaml", 12, 5, "policies[1].interval", "expected a duration");
  EXPECT_STREQ(e.what(), "scenario.yaml:12:5: key 'policies[1].interval': expected a duration");
  EXPECT_EQ(e.file(), "scenario.yaml");
  EXPECT_EQ(e.line(), 12);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.key_path(), "policies[1].interval");
  EXPECT_EQ(e.message(), "expected a duration");
}

TEST(InputErrorWhat, OmitsUnknownLocationAndEmptyKey) {
  EXPECT_STREQ(InputError("a.yaml", 0, 0, "", "cannot open file").what(),
               "a.yaml: cannot open file");
  EXPECT_STREQ(InputError("", 0, 0, "x", "bad").what(), "<input>: key 'x': bad");
}

TEST(ConfigNodeScalars, WrongTypeErrorIsLocatedAtTheValue) {
  const ConfigNode root = load("cluster:\n  nodes: 4\n  gpus_per_node: [8, 16]\n");
  const InputError e = input_error([&] { root["cluster"]["gpus_per_node"].as_int(); });
  EXPECT_EQ(e.file(), "test.yaml");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 18);  // the '[' of the list
  EXPECT_EQ(e.key_path(), "cluster.gpus_per_node");
  EXPECT_THAT(e.message(), HasSubstr("expected a single value, got a list"));
  EXPECT_THAT(std::string(e.what()), HasSubstr("test.yaml:3:18: key 'cluster.gpus_per_node'"));
}

TEST(ConfigNodeScalars, NonNumericTextForANumberNamesTheText) {
  const ConfigNode root = load("a: 1\nb:\n  mfu: abc\n");
  const InputError e = input_error([&] { root["b"]["mfu"].as_double(); });
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 8);
  EXPECT_EQ(e.key_path(), "b.mfu");
  EXPECT_THAT(e.message(), HasSubstr("expected a number, got \"abc\""));
}

TEST(ConfigNodeScalars, WholeNumberRejectsFractionsAndTrailingText) {
  const ConfigNode root = load("a: 1.5\nb: 12abc\nc: 99999999999999999999\n");
  EXPECT_THAT(input_error([&] { root["a"].as_int(); }).message(),
              HasSubstr("expected a whole number, got \"1.5\""));
  EXPECT_THAT(input_error([&] { root["b"].as_int(); }).message(),
              HasSubstr("expected a whole number"));
  EXPECT_THAT(input_error([&] { root["c"].as_int(); }).message(), HasSubstr("out of range"));
}

TEST(ConfigNodeScalars, RangeCheckedAccessorsRejectOutOfRangeValues) {
  const ConfigNode root = load("zero: 0\nneg: -2.5\nbig: 1.5\n");
  EXPECT_THAT(input_error([&] { root["zero"].as_positive_int(); }).message(), HasSubstr(">= 1"));
  EXPECT_THAT(input_error([&] { root["neg"].as_positive_double(); }).message(), HasSubstr("> 0"));
  EXPECT_THAT(input_error([&] { root["big"].as_fraction(); }).message(),
              HasSubstr("between 0 and 1"));
  EXPECT_EQ(input_error([&] { root["big"].as_fraction(); }).line(), 3);
}

TEST(ConfigNodeScalars, BoolAcceptsYamlSpellingsOnly) {
  const ConfigNode root = load("a: yes\nb: off\nc: maybe\n");
  EXPECT_TRUE(root["a"].as_bool());
  EXPECT_FALSE(root["b"].as_bool());
  EXPECT_THAT(input_error([&] { root["c"].as_bool(); }).message(),
              HasSubstr("expected true or false, got \"maybe\""));
}

TEST(ConfigNodeScalars, UnitErrorsKeepTheParserMessageAndTheLocation) {
  const ConfigNode root = load("restart:\n  spare_swap: 30 parsecs\n");
  const InputError e = input_error([&] { root["restart"]["spare_swap"].as_duration(); });
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.key_path(), "restart.spare_swap");
  EXPECT_THAT(e.message(), HasSubstr("unknown unit \"parsecs\""));
}

TEST(ConfigNodeScalars, UnitValuesDecode) {
  const ConfigNode root = load("t: 30m\ns: 80 GB\nbw: 400 Gb/s\nn: 16M\nplain: 4096\n");
  EXPECT_DOUBLE_EQ(root["t"].as_duration().value, 1800.0);
  EXPECT_EQ(root["s"].as_size().value, 80'000'000'000);
  EXPECT_DOUBLE_EQ(root["bw"].as_bandwidth().value, 50e9);
  EXPECT_EQ(root["n"].as_count(), 16'000'000);
  EXPECT_EQ(root["plain"].as_count(), 4096);
}

TEST(ConfigNodeMap, MissingRequiredKeyNamesTheFullKeyPath) {
  const ConfigNode root = load("name: x\ncluster:\n  gpus_per_node: 8\n");
  const InputError e = input_error([&] { root["cluster"]["nodes"]; });
  EXPECT_EQ(e.key_path(), "cluster.nodes");
  EXPECT_THAT(e.message(), HasSubstr("missing required key"));
  EXPECT_EQ(e.line(), 3);  // the mapping that lacks the key
  EXPECT_THAT(std::string(e.what()), HasSubstr("key 'cluster.nodes'"));
}

TEST(ConfigNodeMap, IndexingAScalarAsAMappingIsAnError) {
  const ConfigNode root = load("cluster: 4\n");
  const InputError e = input_error([&] { root["cluster"]["nodes"]; });
  EXPECT_EQ(e.key_path(), "cluster");
  EXPECT_THAT(e.message(), HasSubstr("expected a mapping of keys, got \"4\""));
}

TEST(ConfigNodeMap, OptionalAccessorsFallBackOnlyWhenTheKeyIsAbsent) {
  const ConfigNode root = load("a: 3\nb: abc\n");
  EXPECT_EQ(root.int_or("a", 7), 3);
  EXPECT_EQ(root.int_or("missing", 7), 7);
  EXPECT_EQ(root.string_or("missing", "dflt"), "dflt");
  EXPECT_DOUBLE_EQ(root.duration_or("missing", Seconds{5}).value, 5.0);
  // A present but malformed value is an error, not the fallback.
  EXPECT_EQ(input_error([&] { root.int_or("b", 7); }).key_path(), "b");
  EXPECT_TRUE(root.has("a"));
  EXPECT_FALSE(root.has("c"));
  EXPECT_FALSE(root.find("c").has_value());
}

TEST(ConfigNodeMap, KeysAreInDocumentOrder) {
  const ConfigNode root = load("zeta: 1\nalpha: 2\nmid: 3\n");
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST(ConfigNodeExpectKeys, UnknownKeySuggestsTheClosestAllowedKey) {
  const ConfigNode root = load("cluster:\n  nodes: 4\n  gpus_per_nod: 8\n");
  const InputError e = input_error([&] {
    root["cluster"].expect_keys({"nodes", "gpus_per_node", "nodes_per_rack"});
  });
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 3);
  EXPECT_EQ(e.key_path(), "cluster.gpus_per_nod");
  EXPECT_THAT(e.message(),
              AllOf(HasSubstr("unknown key"), HasSubstr("did you mean 'gpus_per_node'?"),
                    HasSubstr("allowed here: nodes, gpus_per_node, nodes_per_rack")));
}

TEST(ConfigNodeExpectKeys, FarFetchedKeyGetsNoSuggestionButTheAllowedList) {
  const ConfigNode root = load("nodes: 4\nbanana: 1\n");
  const InputError e = input_error([&] { root.expect_keys({"nodes", "gpus_per_node"}); });
  EXPECT_EQ(e.key_path(), "banana");
  EXPECT_THAT(e.message(), AllOf(Not(HasSubstr("did you mean")),
                                 HasSubstr("allowed here: nodes, gpus_per_node")));
}

TEST(ConfigNodeExpectKeys, DuplicateKeyIsAnErrorAtTheSecondOccurrence) {
  const ConfigNode root = load("nodes: 4\ngpus_per_node: 8\nnodes: 16\n");
  const InputError e = input_error([&] { root.expect_keys({"nodes", "gpus_per_node"}); });
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.key_path(), "nodes");
  EXPECT_THAT(e.message(), HasSubstr("duplicate key"));
}

TEST(ConfigNodeExpectKeys, AllowedKeysPass) {
  const ConfigNode root = load("nodes: 4\ngpus_per_node: 8\n");
  EXPECT_NO_THROW(root.expect_keys({"nodes", "gpus_per_node", "topology"}));
}

TEST(ConfigNodeSequence, ElementsCarryIndexedKeyPaths) {
  const ConfigNode root = load("policies:\n  - {name: a}\n  - {name: b, interval: 5x}\n");
  const ConfigNode policies = root["policies"];
  ASSERT_EQ(policies.size(), 2u);
  EXPECT_EQ(policies.items()[1]["name"].as_string(), "b");
  const InputError e = input_error([&] { policies.at(1)["interval"].as_duration(); });
  EXPECT_EQ(e.key_path(), "policies[1].interval");
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(input_error([&] { policies.at(2); }).message(), HasSubstr("no element 2"));
  EXPECT_THAT(input_error([&] { root["policies"].at(0)["name"].size(); }).message(),
              HasSubstr("expected a list"));
}

TEST(ConfigNodeLoad, YamlSyntaxErrorGivesLineAndColumn) {
  const InputError e = input_error([] { load("a: 1\nb: [1, 2\nc: 3\n"); });
  EXPECT_EQ(e.file(), "test.yaml");
  EXPECT_GT(e.line(), 1);
  EXPECT_GT(e.column(), 0);
  EXPECT_THAT(e.message(), HasSubstr("invalid YAML"));
  EXPECT_THAT(std::string(e.what()), HasSubstr("test.yaml:" + std::to_string(e.line()) + ":" +
                                               std::to_string(e.column())));
}

TEST(ConfigNodeLoad, BadIndentationIsReportedOnItsLine) {
  // The third line's key is indented deeper than its sibling: a block mapping error there.
  const InputError e = input_error([] { load("top:\n  a: 1\n   b: 2\n"); });
  EXPECT_EQ(e.line(), 3);
  EXPECT_THAT(e.message(), HasSubstr("invalid YAML"));
}

TEST(ConfigNodeLoad, EmptyDocumentIsAnError) {
  EXPECT_THAT(input_error([] { load("# only a comment\n"); }).message(), HasSubstr("empty"));
}

TEST(ConfigNodeLoad, MissingFileIsAnErrorNamingThePath) {
  const InputError e = input_error([] { ConfigNode::load_file("/nonexistent/dir/s.yaml"); });
  EXPECT_EQ(e.file(), "/nonexistent/dir/s.yaml");
  EXPECT_THAT(e.message(), HasSubstr("cannot open"));
}

// Regression: yaml-cpp's Node::operator= writes the right-hand value into the node the left-hand
// side refers to, so re-pointing a handle would silently edit the document.
TEST(ConfigNodeAssignment, RepointsTheHandleWithoutEditingTheDocument) {
  const ConfigNode root = load("a: 1\nb: 2\nlist: [10, 20]\n");
  ConfigNode cursor = root["a"];
  cursor = root["b"];
  EXPECT_EQ(cursor.as_int(), 2);
  EXPECT_EQ(cursor.key_path(), "b");
  EXPECT_EQ(root["a"].as_int(), 1);
  EXPECT_EQ(root["b"].as_int(), 2);

  ConfigNode element = root["list"].at(0);
  element = root["list"].at(1);
  EXPECT_EQ(element.as_int(), 20);
  EXPECT_EQ(element.key_path(), "list[1]");
  EXPECT_EQ(root["list"].at(0).as_int(), 10);

  // Assigning a mapping node over a scalar handle leaves the scalar in place too.
  ConfigNode other = load("x: {y: 5}\n")["x"];
  cursor = other;
  EXPECT_EQ(cursor["y"].as_int(), 5);
  EXPECT_EQ(root["b"].as_int(), 2);
  EXPECT_TRUE(root["b"].is_scalar());
}

TEST(ConfigNodeAssignment, CopyConstructionSharesTheDocumentButNotTheHandle) {
  const ConfigNode root = load("a: 1\nb: 2\n");
  ConfigNode first = root["a"];
  ConfigNode copy(first);
  copy = root["b"];
  EXPECT_EQ(first.as_int(), 1);
  EXPECT_EQ(copy.as_int(), 2);
  EXPECT_EQ(root["a"].as_int(), 1);
}

TEST(ApplyOverride, SetsAnExistingNestedKey) {
  const ConfigNode root = load("failures:\n  model: exponential\n  mtbf_node: 264d\n");
  apply_override(root.yaml(), "failures.mtbf_node=100d");
  EXPECT_DOUBLE_EQ(root["failures"]["mtbf_node"].as_duration().value, 100 * 86400.0);
  EXPECT_EQ(root["failures"]["model"].as_string(), "exponential");
}

TEST(ApplyOverride, SetsAKeyInsideAListElement) {
  const ConfigNode root =
      load("policies:\n  - {name: sync_full, interval: 30m}\n  - {name: async, interval: 1h}\n");
  apply_override(root.yaml(), "policies[1].interval=5m");
  EXPECT_DOUBLE_EQ(root["policies"].at(1)["interval"].as_duration().value, 300.0);
  EXPECT_DOUBLE_EQ(root["policies"].at(0)["interval"].as_duration().value, 1800.0);
  EXPECT_EQ(root["policies"].at(1)["name"].as_string(), "async");
}

TEST(ApplyOverride, ReplacesAWholeListElement) {
  const ConfigNode root = load("xs: [1, 2, 3]\n");
  apply_override(root.yaml(), "xs[2]=30");
  EXPECT_EQ(root["xs"].at(2).as_int(), 30);
  EXPECT_EQ(root["xs"].at(0).as_int(), 1);
  EXPECT_EQ(root["xs"].size(), 3u);
}

TEST(ApplyOverride, CreatesMissingMappings) {
  const ConfigNode root = load("name: x\nrestart:\n  spares: 16\n");
  ASSERT_NO_THROW(apply_override(root.yaml(), "failures.mtbf_node=100d"));  // one missing level
  ASSERT_NO_THROW(apply_override(root.yaml(), "restart.extra.k=v"));  // missing under existing
  ASSERT_NO_THROW(apply_override(root.yaml(), "a.b.c=deep"));         // several missing levels
  EXPECT_EQ(root["failures"]["mtbf_node"].as_string(), "100d");
  EXPECT_EQ(root["restart"]["extra"]["k"].as_string(), "v");
  EXPECT_EQ(root["restart"]["spares"].as_int(), 16);
  EXPECT_EQ(root["a"]["b"]["c"].as_string(), "deep");
  EXPECT_EQ(root["name"].as_string(), "x");
}

TEST(ApplyOverride, ParsesTheValueAsYaml) {
  const ConfigNode root = load("name: x\n");
  apply_override(root.yaml(), "list=[1, 2]");
  apply_override(root.yaml(), "map={k: v}");
  ASSERT_TRUE(root["list"].is_sequence());
  EXPECT_EQ(root["list"].at(1).as_int(), 2);
  EXPECT_EQ(root["map"]["k"].as_string(), "v");
  // Only the first '=' splits: the rest belongs to the value.
  apply_override(root.yaml(), "label=a=b");
  EXPECT_EQ(root["label"].as_string(), "a=b");
}

TEST(ApplyOverride, OverriddenValueErrorsSayTheyCameFromSet) {
  const ConfigNode root = load("horizon: 7d\n");
  apply_override(root.yaml(), "horizon=abc");
  const InputError e = input_error([&] { root["horizon"].as_duration(); });
  EXPECT_EQ(e.key_path(), "horizon");
  EXPECT_EQ(e.line(), 0);
  EXPECT_THAT(e.message(), HasSubstr("--set"));
}

TEST(ApplyOverride, RejectsMalformedAssignments) {
  const ConfigNode root = load("name: x\nxs: [1, 2]\n");
  for (const char* bad : {"noequals", "=5", "xs[1=2", "xs[one]=2", ".=3", "name.sub=1"}) {
    const InputError e = input_error([&] { apply_override(root.yaml(), bad); });
    EXPECT_EQ(e.file(), std::string("--set ") + bad) << bad;
    EXPECT_FALSE(e.message().empty()) << bad;
  }
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "noequals"); }).message(),
              HasSubstr("expected key.path=value"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "xs[1=2"); }).message(),
              HasSubstr("unclosed '['"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "xs[one]=2"); }).message(),
              HasSubstr("whole number"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), ".=3"); }).message(),
              HasSubstr("empty key path"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "name.sub=1"); }).message(),
              HasSubstr("not inside a mapping"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "v=[1, 2"); }).message(),
              HasSubstr("not valid YAML"));
  // The document is unchanged by the rejected overrides.
  EXPECT_EQ(root.keys(), (std::vector<std::string>{"name", "xs"}));
  EXPECT_EQ(root["name"].as_string(), "x");
}

TEST(ApplyOverride, RejectsOutOfRangeAndNonListIndices) {
  const ConfigNode root = load("policies:\n  - {name: a}\n  - {name: b}\nname: x\n");
  EXPECT_THAT(
      input_error([&] { apply_override(root.yaml(), "policies[2].interval=5m"); }).message(),
      HasSubstr("no list element [2]"));
  EXPECT_THAT(input_error([&] { apply_override(root.yaml(), "name[0]=y"); }).message(),
              HasSubstr("no list element [0]"));
  EXPECT_THROW(apply_override(root.yaml(), "policies[-1].interval=5m"), InputError);
  EXPECT_EQ(root["policies"].size(), 2u);
  EXPECT_FALSE(root["policies"].at(1).has("interval"));
}

// "[-1]" is not a list index; it must not be read as some other step of the path (such as an
// empty mapping key) and silently write into the document.
TEST(ApplyOverride, RejectsNegativeIndices) {
  const ConfigNode root = load("restart:\n  spares: 16\nxs: [1, 2]\n");
  EXPECT_THROW(apply_override(root.yaml(), "xs[-1]=5"), InputError);
  EXPECT_THROW(apply_override(root.yaml(), "restart[-1]=5"), InputError);
  EXPECT_EQ(root["restart"].keys(), (std::vector<std::string>{"spares"}));
}

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
  EXPECT_EQ(edit_distance("horizn", "horizon"), 1u);
}

TEST(ClosestMatch, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> keys = {"name", "model", "parallel", "cluster", "horizon"};
  EXPECT_EQ(closest_match("horizn", keys), "horizon");
  EXPECT_EQ(closest_match("paralel", keys), "parallel");
  EXPECT_EQ(closest_match("modle", keys), "model");
  EXPECT_EQ(closest_match("xyzzyplugh", keys), "");
  EXPECT_EQ(closest_match("anything", {}), "");
}

}  // namespace
}  // namespace ckptlab
