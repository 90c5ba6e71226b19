// Trace replay: the shipped traces replay exactly as recorded, the options do what they say, and
// a damaged file is an error naming its line.
#include "failure/failure_trace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

const std::string kTraces = std::string(CKPTLAB_SOURCE_DIR) + "/data/traces/";
// Scenario files live in scenarios/; a trace path in them is relative to that directory.
const std::string kScenario = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/trace_test.yaml";

ClusterSpec cluster_of(std::int64_t nodes) {
  ClusterSpec c;
  c.nodes = nodes;
  return c;
}

FailureSpec decode(const std::string& yaml, const ClusterSpec& cluster,
                   const std::string& origin = kScenario) {
  return decode_failures(ConfigNode::load_string(yaml, origin)["failures"], cluster);
}

std::vector<FailureEvent> drain(FailureProcess& p, size_t limit = 1'000'000) {
  std::vector<FailureEvent> out;
  while (out.size() < limit) {
    auto e = p.next();
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

// A test-local reading of the CSV, independent of the parser under test.
struct Row {
  long long time_s;
  std::int64_t node;
  std::string kind;
};
std::vector<Row> read_rows(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string t, n, k;
    std::getline(ss, t, ',');
    std::getline(ss, n, ',');
    std::getline(ss, k, ',');
    rows.push_back({std::stoll(t), std::stoll(n), k});
  }
  return rows;
}

// Files are named per process, so parallel ctest runs (and other build trees) never share one.
std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "ckptlab_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void expect_replays_file(const std::string& file, std::int64_t nodes) {
  const FailureSpec spec =
      decode("failures: {model: trace, trace: {file: \"../data/traces/" + file + "\"}}",
             cluster_of(nodes));
  auto p = make_failure_process(spec, cluster_of(nodes), 1);
  const auto events = drain(*p);
  const auto rows = read_rows(kTraces + file);
  ASSERT_EQ(events.size(), rows.size()) << file;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(events[i].time, rows[i].time_s * kNanosPerSecond) << file << " row " << i;
    EXPECT_EQ(events[i].nodes, std::vector<std::int64_t>{rows[i].node}) << file << " row " << i;
    EXPECT_EQ(events[i].kind, rows[i].kind) << file << " row " << i;
    EXPECT_EQ(events[i].detection, Seconds{60});
  }
  EXPECT_FALSE(p->next());
}

TEST(FailureTrace, ReplaysTheShippedTracesExactly) {
  expect_replays_file("infinitehbd_stepfun_400n.csv", 400);
  expect_replays_file("lanl_system20.csv", 512);
}

TEST(FailureTrace, KindsFilterKeepsOnlyTheListedKinds) {
  const ClusterSpec c = cluster_of(400);
  const FailureSpec spec = decode(R"(
failures:
  model: trace
  trace: {file: "../data/traces/infinitehbd_stepfun_400n.csv", kinds: [gpu, host, network]}
  kinds:
    - {name: gpu, detection: "2m"}
    - {name: host, detection: "5m"}
    - {name: network, detection: "30s"}
)",
                                  c);
  auto events = drain(*make_failure_process(spec, c, 1));
  ASSERT_EQ(events.size(), 300u);  // 158 gpu + 71 host + 71 network (data/traces/README.md)
  std::vector<Row> expected;
  for (const Row& r : read_rows(kTraces + "infinitehbd_stepfun_400n.csv")) {
    if (r.kind == "gpu" || r.kind == "host" || r.kind == "network") expected.push_back(r);
  }
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].time, expected[i].time_s * kNanosPerSecond);
    EXPECT_EQ(events[i].nodes.at(0), expected[i].node);
    EXPECT_EQ(events[i].kind, expected[i].kind);
    const Seconds detection = events[i].kind == "gpu"    ? Seconds{120}
                              : events[i].kind == "host" ? Seconds{300}
                                                         : Seconds{30};
    EXPECT_EQ(events[i].detection, detection);
  }
}

TEST(FailureTrace, TimeScaleAndLoopRepeatTheTraceAfterItsSpan) {
  const std::string path =
      write_temp("loop.csv", "time_s,node,kind\n0,1,gpu\n10,2,host\n40,0,gpu\n");
  const ClusterSpec c = cluster_of(4);
  const FailureSpec spec = decode(
      "failures: {model: trace, trace: {file: \"" + path + "\", time_scale: 0.5, loop: true}}", c);
  // Scaled times 0, 5, 20; span = last + mean gap = 20 + 10 = 30 s.
  EXPECT_DOUBLE_EQ(spec.trace.span.value, 30.0);
  auto p = make_failure_process(spec, c, 1);
  const auto events = drain(*p, 9);
  const double expected_s[] = {0, 5, 20, 30, 35, 50, 60, 65, 80};
  const std::int64_t expected_node[] = {1, 2, 0, 1, 2, 0, 1, 2, 0};
  ASSERT_EQ(events.size(), 9u);
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(events[i].time, to_nanos(Seconds{expected_s[i]})) << i;
    EXPECT_EQ(events[i].nodes.at(0), expected_node[i]) << i;
  }
  // Without loop the replay ends after the last event.
  const FailureSpec once = decode("failures: {model: trace, trace: {file: \"" + path + "\"}}", c);
  EXPECT_EQ(drain(*make_failure_process(once, c, 1)).size(), 3u);
  // A looped trace keeps going for (simulated) decades.
  auto forever = make_failure_process(spec, c, 1);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(forever->next());
}

TEST(FailureTrace, ExtraColumnsAndCrlfLineEndsAreAccepted) {
  const std::string path = write_temp(
      "detail.csv", "time_s,node,kind,repair_s,cause\r\n0,3,gpu,100,a b c\r\n7.5,1,host,5,x\r\n");
  const FailureTrace t = load_failure_trace(path);
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[1].time_s, 7.5);
  EXPECT_EQ(t.records[1].node, 1);
  EXPECT_EQ(t.records[1].kind, "host");
  EXPECT_EQ(t.records[1].line, 3);
}

// Parses `body` (after a good header) and expects an InputError at `line` naming `column`.
void expect_bad_line(const std::string& body, int line, const std::string& column) {
  const std::string path = write_temp("bad.csv", "time_s,node,kind\n" + body);
  try {
    load_failure_trace(path);
    ADD_FAILURE() << "no error for:\n" << body;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find(path + ":" + std::to_string(line)), std::string::npos)
        << e.what();
    EXPECT_NE(e.message().find("column '" + column + "'"), std::string::npos) << e.what();
  }
}

TEST(FailureTrace, MalformedLineIsAnInputErrorNamingFileLineAndColumn) {
  expect_bad_line("0,1,gpu\n5,abc,gpu\n", 3, "node");
  expect_bad_line("0,1,gpu\n5,-2,gpu\n", 3, "node");
  expect_bad_line("5x,1,gpu\n", 2, "time_s");
  expect_bad_line("-1,1,gpu\n", 2, "time_s");
  expect_bad_line(" 5,1,gpu\n", 2, "time_s");
  expect_bad_line("nan,1,gpu\n", 2, "time_s");
  expect_bad_line("5,1,gp u\n", 2, "kind");
  expect_bad_line("5,1,\n", 2, "kind");
  expect_bad_line("5,1\n", 2, "kind");
  expect_bad_line("0,1,gpu\n9,2,gpu\n8,3,gpu\n", 4, "time_s");  // not sorted
}

TEST(FailureTrace, BadHeaderAndBlankLinesAreErrors) {
  EXPECT_THROW(load_failure_trace(write_temp("h1.csv", "node,time_s,kind\n0,1,gpu\n")), InputError);
  EXPECT_THROW(load_failure_trace(write_temp("h2.csv", "")), InputError);
  EXPECT_THROW(load_failure_trace(write_temp("h3.csv", "time_s,node,kind\n0,1,gpu\n\n5,1,gpu\n")),
               InputError);
  EXPECT_THROW(load_failure_trace(kTraces + "no_such_trace.csv"), InputError);
}

TEST(FailureTrace, NodesOutsideTheClusterAreErrorsUnlessRemapped) {
  const std::string yaml =
      "failures: {model: trace, trace: {file: \"../data/traces/lanl_system20.csv\"";
  try {
    decode(yaml + "}}", cluster_of(400));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.file().find("lanl_system20.csv"), std::string::npos);
    EXPECT_GT(e.line(), 1);
    EXPECT_NE(e.message().find("remap: modulo"), std::string::npos) << e.what();
  }
  const ClusterSpec c = cluster_of(400);
  const FailureSpec spec = decode(yaml + ", remap: modulo}}", c);
  const auto events = drain(*make_failure_process(spec, c, 1));
  const auto rows = read_rows(kTraces + "lanl_system20.csv");
  ASSERT_EQ(events.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(events[i].nodes.at(0), rows[i].node % 400);
}

TEST(FailureTrace, DecodeErrorsInTheTraceMapping) {
  const ClusterSpec c = cluster_of(400);
  const std::string file = "file: \"../data/traces/infinitehbd_stepfun_400n.csv\"";
  // A kind filter with a typo.
  try {
    decode("failures: {model: trace, trace: {" + file + ", kinds: [gpuu]}}", c);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key_path(), "failures.trace.kinds[0]");
    EXPECT_NE(e.message().find("did you mean 'gpu'"), std::string::npos) << e.what();
  }
  // A missing file names the resolved path.
  try {
    decode("failures: {model: trace, trace: {file: \"missing.csv\"}}", c);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key_path(), "failures.trace.file");
    EXPECT_NE(e.message().find("scenarios/missing.csv"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode("failures: {model: trace, trace: {" + file + ", time_scale: 0}}", c),
               InputError);
  EXPECT_THROW(decode("failures: {model: trace, trace: {" + file + ", remap: wrap}}", c),
               InputError);
  EXPECT_THROW(decode("failures: {model: trace, trace: {" + file + ", looop: true}}", c),
               InputError);
  // Listed kinds must cover every replayed kind (each needs a detection time).
  EXPECT_THROW(
      decode("failures: {model: trace, trace: {" + file + "}, kinds: [{name: gpu, detection: 1m}]}",
             c),
      InputError);
}

TEST(FailureTrace, SpanIsLastTimePlusMeanGap) {
  EXPECT_EQ(trace_span_seconds({}), 0);
  EXPECT_EQ(trace_span_seconds({{7, 0, "gpu", 2, {}}}), 7);
  EXPECT_EQ(
      trace_span_seconds({{0, 0, "gpu", 2, {}}, {10, 0, "gpu", 3, {}}, {30, 0, "gpu", 4, {}}}), 45);
}

}  // namespace
}  // namespace ckptlab
