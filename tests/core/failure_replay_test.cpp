// Replaying traces at any scale: remap modes are deterministic for a seed, in range and keep every
// event; windows select and shift; bursts merge per rack when asked; ISO-8601 times and named
// extra columns are read, and malformed ones are located errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "failure/failure_process.hpp"
#include "failure/failure_spec.hpp"
#include "failure/failure_trace.hpp"
#include "failure/trace_remap.hpp"
#include "failure/trace_time.hpp"
#include "util/config_node.hpp"

namespace ckptlab {
namespace {

constexpr double kDay = 86400.0;
const std::string kScenario = std::string(CKPTLAB_SOURCE_DIR) + "/scenarios/replay_test.yaml";

ClusterSpec cluster_of(std::int64_t nodes, int per_rack = 32) {
  ClusterSpec c;
  c.nodes = nodes;
  c.nodes_per_rack = per_rack;
  return c;
}

FailureSpec decode(const std::string& trace_mapping, const ClusterSpec& c) {
  return decode_failures(
      ConfigNode::load_string("failures: {model: trace, trace: " + trace_mapping + "}",
                              kScenario)["failures"],
      c);
}

std::string shipped(const std::string& file) { return "file: \"../data/traces/" + file + "\""; }

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path =
      ::testing::TempDir() + "ckptlab_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::vector<FailureEvent> drain(FailureProcess& p) {
  std::vector<FailureEvent> out;
  while (auto e = p.next()) out.push_back(*e);
  return out;
}

TEST(TraceRemap, RandomIsDeterministicInRangeAndOneToOneWhenTheClusterIsLarger) {
  const ClusterSpec c = cluster_of(1024);
  const FailureSpec spec = decode("{" + shipped("lanl_system20.csv") + ", remap: random}", c);
  const auto a = remap_trace_nodes(spec.trace, c, 7);
  EXPECT_EQ(a, remap_trace_nodes(spec.trace, c, 7));
  EXPECT_NE(a, remap_trace_nodes(spec.trace, c, 8));
  ASSERT_EQ(a.size(), spec.trace.events.size());
  std::map<std::int64_t, std::int64_t> to;  // trace node -> cluster node
  std::set<std::int64_t> used;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_GE(a[i], 0);
    ASSERT_LT(a[i], c.nodes);
    const auto [it, fresh] = to.emplace(spec.trace.events[i].node, a[i]);
    EXPECT_EQ(it->second, a[i]) << "a trace node keeps one cluster node";
    if (fresh) {
      EXPECT_TRUE(used.insert(a[i]).second) << "two trace nodes on one cluster node";
    }
  }
  // The replay keeps every event, in order, on the remapped nodes.
  const auto events = drain(*make_failure_process(spec, c, 7));
  ASSERT_EQ(events.size(), spec.trace.events.size());
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].nodes.at(0), a[i]);
}

TEST(TraceRemap, RandomOntoASmallerClusterIsBalanced) {
  const ClusterSpec c = cluster_of(100);
  const FailureSpec spec = decode("{" + shipped("lanl_system20.csv") + ", remap: random}", c);
  const auto a = remap_trace_nodes(spec.trace, c, 1);
  std::map<std::int64_t, std::set<std::int64_t>> sources;  // cluster node -> trace nodes
  for (size_t i = 0; i < a.size(); ++i) sources[a[i]].insert(spec.trace.events[i].node);
  std::set<std::int64_t> trace_nodes;
  for (const auto& r : spec.trace.events) trace_nodes.insert(r.node);
  const size_t lo = trace_nodes.size() / 100, hi = lo + 1;  // 400 failing nodes: 4 each
  for (const auto& [node, from] : sources) {
    EXPECT_GE(from.size(), lo);
    EXPECT_LE(from.size(), hi);
  }
}

TEST(TraceRemap, ByRackKeepsTheNodesOfATraceRackInOneClusterRack) {
  // Titan: 96 nodes per cabinet; the simulated cluster has racks of 32.
  const ClusterSpec c = cluster_of(10240, 32);
  const FailureSpec spec = decode(
      "{" + shipped("titan_gpu_dbe_otb_dedup24h.csv") + ", remap: by_rack, rack_of: \"node/96\"}",
      c);
  const auto a = remap_trace_nodes(spec.trace, c, 3);
  EXPECT_EQ(a, remap_trace_nodes(spec.trace, c, 3));
  std::map<std::int64_t, std::int64_t> rack_to;  // trace cabinet -> cluster rack
  std::set<std::int64_t> cluster_racks;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_GE(a[i], 0);
    ASSERT_LT(a[i], c.nodes);
    const auto [it, fresh] = rack_to.emplace(spec.trace.events[i].node / 96, c.rack_of(a[i]));
    EXPECT_EQ(it->second, c.rack_of(a[i]));
    EXPECT_EQ(a[i] % 32, spec.trace.events[i].node % 96 % 32);
    if (fresh) {
      EXPECT_TRUE(cluster_racks.insert(it->second).second);  // 200 cabinets onto 320 racks
    }
  }
  EXPECT_NE(a, remap_trace_nodes(spec.trace, c, 4));
}

TEST(TraceRemap, ByRackFromARackColumn) {
  const std::string path = write_temp("racks.csv",
                                      "time_s,node,kind,rack\n"
                                      "0,10,gpu,r7\n"
                                      "5,11,gpu,r7\n"
                                      "9,900,host,r2\n"
                                      "20,10,gpu,r7\n");
  const ClusterSpec c = cluster_of(8, 4);
  const FailureSpec spec = decode("{file: \"" + path + "\", remap: by_rack, rack_of: rack}", c);
  const auto a = remap_trace_nodes(spec.trace, c, 1);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0], a[3]);  // node 10 stays node 10's
  EXPECT_EQ(c.rack_of(a[0]), c.rack_of(a[1]));
  EXPECT_NE(c.rack_of(a[0]), c.rack_of(a[2]));  // two trace racks onto two cluster racks
  EXPECT_EQ(a[1] - a[0], 1);                    // places 0 and 1 within rack r7
}

TEST(TraceReplay, WindowKeepsTheEventsInsideAndCountsFromItsStart) {
  const ClusterSpec c = cluster_of(400);
  const FailureSpec spec = decode(
      "{" + shipped("infinitehbd_stepfun_400n.csv") + ", window: \"30d:100d\", loop: true}", c);
  const FailureTrace all = load_failure_trace(std::string(CKPTLAB_SOURCE_DIR) +
                                              "/data/traces/infinitehbd_stepfun_400n.csv");
  std::vector<TraceRecord> inside;
  for (const auto& r : all.records)
    if (r.time_s >= 30 * kDay && r.time_s < 100 * kDay) inside.push_back(r);
  ASSERT_EQ(spec.trace.events.size(), inside.size());
  ASSERT_FALSE(inside.empty());
  EXPECT_EQ(spec.trace.events.front().time_s, inside.front().time_s - 30 * kDay);
  EXPECT_EQ(spec.trace.span, Seconds{70 * kDay});  // a looped window repeats its length
  auto p = make_failure_process(spec, c, 1);
  for (size_t i = 0; i < inside.size(); ++i) p->next();
  EXPECT_EQ(p->next()->time,
            to_nanos(Seconds{70 * kDay}) + to_nanos(Seconds{inside.front().time_s - 30 * kDay}));
  EXPECT_NE(spec.describe().find("in 30d:100d"), std::string::npos) << spec.describe();
}

TEST(TraceReplay, BurstsMergePerRackAndInstantOnlyWhenAsked) {
  const std::string path = write_temp("burst.csv",
                                      "time_s,node,kind\n"
                                      "0,1,gpu\n"
                                      "0,0,host\n"
                                      "0,40,gpu\n"
                                      "0,1,gpu\n"
                                      "5,2,gpu\n");
  const ClusterSpec c = cluster_of(64, 32);
  const auto separate = drain(*make_failure_process(decode("{file: \"" + path + "\"}", c), c, 1));
  EXPECT_EQ(separate.size(), 5u);
  const FailureSpec merged_spec = decode("{file: \"" + path + "\", bursts: merge}", c);
  const auto merged = drain(*make_failure_process(merged_spec, c, 1));
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].nodes, (std::vector<std::int64_t>{0, 1}));  // rack 0, sorted, no repeat
  EXPECT_EQ(merged[0].kind, "gpu");                               // the first row's kind
  EXPECT_EQ(merged[1].nodes, (std::vector<std::int64_t>{40}));
  EXPECT_EQ(merged[2].nodes, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(merged[2].time, 5 * kNanosPerSecond);
}

TEST(TraceReplay, DecodeErrorsForTheNewKeys) {
  const ClusterSpec c = cluster_of(400);
  const std::string f = shipped("infinitehbd_stepfun_400n.csv");
  const auto message = [&](const std::string& mapping) {
    try {
      decode(mapping, c);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{" + f + ", remap: by_rack}").find("rack_of"), std::string::npos);
  EXPECT_NE(message("{" + f + ", rack_of: \"node/8\"}").find("by_rack"), std::string::npos);
  EXPECT_NE(message("{" + f + ", remap: by_rack, rack_of: \"node/0\"}").find("K >= 1"),
            std::string::npos);
  EXPECT_NE(message("{" + f + ", remap: randum}").find("did you mean 'random'"), std::string::npos);
  EXPECT_NE(message("{" + f + ", window: \"10d\"}").find("START:END"), std::string::npos);
  EXPECT_NE(message("{" + f + ", window: \"9d:3d\"}").find("later than START"), std::string::npos);
  EXPECT_NE(message("{" + f + ", window: \"400d:500d\"}").find("no events"), std::string::npos);
  EXPECT_NE(message("{" + f + ", bursts: join}").find("merge"), std::string::npos);
  EXPECT_NE(message("{" + f + ", window: 3}").find("failures.trace.window"), std::string::npos);
}

TEST(TraceTime, Iso8601TimesAreUtcSeconds) {
  EXPECT_EQ(parse_iso8601_seconds("1970-01-02T00:00:00Z"), 86400);
  EXPECT_EQ(parse_iso8601_seconds("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_seconds("2001-12-20T08:00"),
            parse_iso8601_seconds("2001-12-20 08:00:00"));
  EXPECT_EQ(parse_iso8601_seconds("2024-03-30T10:00:00+02:00"),
            parse_iso8601_seconds("2024-03-30T08:00:00Z"));
  EXPECT_EQ(parse_iso8601_seconds("2024-03-30T08:00:00-0130"),
            parse_iso8601_seconds("2024-03-30T09:30:00Z"));
  EXPECT_DOUBLE_EQ(parse_iso8601_seconds("1970-01-01T00:00:01.25Z"), 1.25);
  EXPECT_EQ(parse_iso8601_seconds("2024-03-01T00:00:00Z") - parse_iso8601_seconds("2024-02-28"),
            2 * kDay);  // 2024 is a leap year
  for (const char* bad : {"2024-02-30", "2024-13-01", "2024-01-01T25:00", "2024-01-01T10",
                          "2024-01-01T10:00:00Q", "2024-1-01"}) {
    EXPECT_THROW(parse_iso8601_seconds(bad), std::invalid_argument) << bad;
  }
  EXPECT_TRUE(looks_like_iso8601("2024-01-01"));
  EXPECT_FALSE(looks_like_iso8601("20240"));
}

TEST(TraceTime, WindowParsing) {
  const TraceWindow w = parse_trace_window("1d:2d");
  EXPECT_EQ(w.start_s, kDay);
  EXPECT_EQ(w.length_s(), kDay);
  EXPECT_FALSE(parse_trace_window("5d:").has_end());
  EXPECT_EQ(parse_trace_window(":5d").start_s, 0);
  EXPECT_THROW(parse_trace_window("5d"), std::invalid_argument);
  EXPECT_THROW(parse_trace_window("5:6"), std::invalid_argument);  // a bare number has no unit
  EXPECT_THROW(parse_trace_window("1d:2d:3d"), std::invalid_argument);
}

TEST(FailureTraceColumns, IsoTimesAreSecondsFromTheFirstRow) {
  std::istringstream in(
      "time_s,node,kind\n2024-03-30T08:00:00Z,3,gpu\n2024-03-30T09:00:00Z,1,host\n");
  const FailureTrace t = parse_failure_trace(in, "iso.csv");
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[0].time_s, 0);
  EXPECT_EQ(t.records[1].time_s, 3600);
  EXPECT_EQ(*t.epoch_origin_s, parse_iso8601_seconds("2024-03-30T08:00:00Z"));
}

TEST(FailureTraceColumns, NamedExtraColumnsAreReadWithCsvQuotes) {
  const FailureTrace t =
      load_failure_trace(std::string(CKPTLAB_SOURCE_DIR) + "/data/traces/lanl_system20_detail.csv",
                         {"cause", "repair_s"});
  EXPECT_EQ(t.records.size(), 2478u);
  EXPECT_EQ(t.records[0].extra[0].text, "CPU");
  EXPECT_EQ(t.records[0].extra[1].text, "537300");
  bool quoted = false;
  for (const auto& r : t.records)
    quoted = quoted || r.extra[0].text == "Disk IO, firmware and storage";
  EXPECT_TRUE(quoted);
}

void expect_error_at(const std::string& text, int line, int column, const std::string& what,
                     const std::vector<std::string>& extra = {}) {
  std::istringstream in(text);
  try {
    parse_failure_trace(in, "bad.csv", extra);
    ADD_FAILURE() << "no error for " << text;
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "bad.csv");
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.column(), column) << e.what();
    EXPECT_NE(e.message().find(what), std::string::npos) << e.what();
  }
}

TEST(FailureTraceColumns, MalformedInputsAreLocatedErrors) {
  // An impossible date, a mix of ISO and seconds, times going backwards in ISO.
  expect_error_at("time_s,node,kind\n2024-02-30T00:00:00Z,1,gpu\n", 2, 1, "no such date");
  expect_error_at("time_s,node,kind\n2024-02-01T00:00:00Z,1,gpu\n86400,2,gpu\n", 3, 1,
                  "ISO-8601 time like the first row's");
  expect_error_at("time_s,node,kind\n2024-02-02,1,gpu\n2024-02-01,2,gpu\n", 3, 1, "earlier");
  // A requested column the header does not have; a row too short for it; an open quote.
  expect_error_at("time_s,node,kind\n0,1,gpu\n", 1, 1, "no column 'rack'", {"rack"});
  expect_error_at("time_s,node,kind,rack\n0,1,gpu,4\n5,1,gpu\n", 3, 8, "column 'rack': missing",
                  {"rack"});
  expect_error_at("time_s,node,kind,rack\n0,1,gpu,\"r4\n", 2, 9, "unterminated quote", {"rack"});
  // The old checks still hold: negative node, non-numeric time, empty file.
  expect_error_at("time_s,node,kind\n0,-1,gpu\n", 2, 3, "node id");
  expect_error_at("time_s,node,kind\nsoon,1,gpu\n", 2, 1, "seconds as a number");
  expect_error_at("", 0, 0, "empty trace file");
}

}  // namespace
}  // namespace ckptlab
