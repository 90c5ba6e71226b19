// The fat-tree platform: racks as leaf switches with oversubscribed uplinks, pods, storage off
// the top. Each test builds its own platform, so each runs in a child process of its own
// (in_own_process): the shared star test platform cannot coexist with it in one process.
#include <gtest/gtest.h>

#include <cstdio>
#include <simgrid/s4u.hpp>
#include <vector>

#include "sim/flow_timer.hpp"
#include "sim/simgrid_executor.hpp"
#include "sim_test_platform.hpp"

namespace ckptlab::sim {
namespace {

using testing::in_own_process;
using testing::test_platform_spec;

// 4 racks of 32 nodes behind 4:1 leaf uplinks (32 x 400 GB/s down, 3.2 TB/s up), no latency.
PlatformSpec fat_tree_spec(int levels) {
  PlatformSpec spec = test_platform_spec();
  spec.nodes = 128;
  spec.link_latency = Seconds{0};
  spec.topology = Topology::kFatTree;
  spec.fat_tree.levels = levels;
  spec.fat_tree.oversubscription = 4;
  if (levels == 3) {
    spec.fat_tree.racks_per_pod = 2;
    spec.fat_tree.pod_oversubscription = 2;
  }
  return spec;
}

std::size_t route_length(const Simulation& sim, std::int64_t a, std::int64_t b) {
  std::vector<simgrid::s4u::Link*> links;
  double latency = 0;
  sim.node_host(a)->route_to(sim.node_host(b), links, &latency);
  return links.size();
}

bool check(bool ok, const char* what, double a, double b) {
  if (!ok) std::fprintf(stderr, "%s: %.9g vs %.9g\n", what, a, b);
  return ok;
}

TEST(FatTree, ReplicationAcrossRacksTakesLongerThanWithinARack) {
  in_own_process([] {
    Simulation& sim = Simulation::build(fat_tree_spec(2));
    ClusterSpec cluster;
    cluster.nodes = 128;
    const std::vector<Bytes> bytes(static_cast<size_t>(cluster.gpus()), Bytes{2'000'000'000});
    Plan plan;
    Op replicate;
    replicate.kind = OpKind::kReplicate;
    replicate.from = Tier::kHost;
    replicate.to = Tier::kPeerHost;
    replicate.rank_bytes = bytes;
    plan.add(replicate);
    SimGridExecutor within(sim, cluster, {PeerPlacement::kSameRack});
    SimGridExecutor across(sim, cluster, {PeerPlacement::kNextRack});
    const double in_rack = within.execute(plan).total.value;
    const double cross = across.execute(plan).total.value;
    // The same replication beside training: within the rack it runs at the node links' full
    // rate and takes all of them; across racks the uplink gives each node a quarter of its link,
    // so it takes a quarter (and slows training a quarter as much, for four times as long).
    plan.ops[0].blocking = false;
    plan.signature = "background replica";
    const double in_rack_share = within.execute(plan).background_share;
    const double cross_share = across.execute(plan).background_share;
    // Within a rack only the node links count: 16 GB per node at 400 GB/s. Across racks all 32
    // nodes of a rack share its 4:1 uplink: four times longer.
    const double node_time = 16e9 / test_platform_spec().node_link_bandwidth().value;
    return check(route_length(sim, 0, 1) == 2, "links within a rack", 0, 0) &&
           check(route_length(sim, 0, 32) == 4, "links across racks", 0, 0) &&
           check(std::abs(in_rack - node_time) < 1e-6 * node_time, "within", in_rack, node_time) &&
           check(std::abs(cross - 4 * node_time) < 1e-6 * node_time, "across", cross,
                 4 * node_time) &&
           check(std::abs(in_rack_share - 1) < 1e-6, "share within", in_rack_share, 1) &&
           check(std::abs(cross_share - 0.25) < 1e-6, "share across", cross_share, 0.25);
  });
}

TEST(FatTree, PodsAddATierAboveTheRacks) {
  in_own_process([] {
    Simulation& sim = Simulation::build(fat_tree_spec(3));
    // Rack 0 sends everything to rack 1 (same pod) or to rack 2 (the other pod): the pod's
    // uplink carries 2 racks' uplinks at 2:1, i.e. one rack uplink's worth, so one rack alone
    // is limited by its own uplink in both cases, and two racks of a pod sending out at once
    // share the pod uplink.
    auto all_to = [&](std::int64_t first, std::int64_t count, std::int64_t offset) {
      std::vector<Transfer> t;
      for (std::int64_t n = first; n < first + count; ++n)
        t.push_back(
            {Endpoint::memory_of(n), Endpoint::memory_of(n + offset), Bytes{16'000'000'000}});
      return simulate_transfers(sim, t).value;
    };
    const double rack_uplink = 16e9 * 32 / sim.spec().rack_uplink_bandwidth().value;
    const double same_pod = all_to(0, 32, 32);
    const double other_pod = all_to(0, 32, 64);
    const double whole_pod_out = all_to(0, 64, 64);
    return check(route_length(sim, 0, 32) == 4, "links to the next rack", 0, 0) &&
           check(route_length(sim, 0, 64) == 6, "links to the other pod", 0, 0) &&
           check(std::abs(same_pod - rack_uplink) < 1e-6 * rack_uplink, "same pod", same_pod,
                 rack_uplink) &&
           check(std::abs(other_pod - rack_uplink) < 1e-6 * rack_uplink, "other pod", other_pod,
                 rack_uplink) &&
           check(std::abs(whole_pod_out - 2 * rack_uplink) < 1e-6 * rack_uplink, "pod out",
                 whole_pod_out, 2 * rack_uplink);
  });
}

TEST(FatTree, StorageHangsOffTheTopBehindTheRackUplinks) {
  in_own_process([] {
    Simulation& sim = Simulation::build(fat_tree_spec(2));
    std::vector<simgrid::s4u::Link*> links;
    double latency = 0;
    sim.node_host(40)->route_to(sim.storage_hosts()[0], links, &latency);
    // node link, rack-1 uplink, storage server write link
    return check(links.size() == 3, "links to storage", static_cast<double>(links.size()), 3) &&
           check(links[1]->get_name() == "rack-1-uplink_UP", "uplink", 0, 0);
  });
}

}  // namespace
}  // namespace ckptlab::sim
