#include "platform.hpp"

#include <fmt/format.h>
#include <xbt/log.h>

#include <algorithm>
#include <cmath>
#include <simgrid/s4u.hpp>
#include <stdexcept>
#include <string>

#include "topology.hpp"

namespace ckptlab::sim {
namespace sg4 = simgrid::s4u;

namespace {

// Model options; SimGrid reads them when the first zone is created, so they are set before.
//  - ptask_L07: every network transfer is one parallel task (see flow_timer.cpp for why). Its
//    solver shares links fairly in bytes, like CM02's max-min, and applies no TCP correction
//    factors (the default LV08 multiplies bandwidths by 0.97 and latencies by 13.01 to mimic TCP
//    on 2008 Ethernet; our bandwidths are measured effective rates, to be used as given).
//  - TCP-gamma bounds each route by window / (2 * latency) in L07 as in CM02: 4 MiB over 2 us
//    caps a flow near 1 TB/s. 0 disables the bound (checked in 3.32 for both models).
//    network/crosstraffic is a CM02 option and has no effect under L07.
//  - Many short-lived actors (one per transfer) need small stacks, and without guard pages the
//    number of mappings stays under vm.max_map_count at 80k actors. Sanitizers need deep stacks.
//  - Under AddressSanitizer, actors run as threads: the default swapped contexts jump between
//    stacks ASan does not know of, and killing an actor mid-activity (a failing node) then reads
//    as a stack-buffer-overflow in __asan_handle_no_return (a false positive seen in CI with
//    Debian's libsimgrid 3.32). Thread contexts keep every actor on a stack ASan created.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CKPTLAB_SIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CKPTLAB_SIM_SANITIZED 1
#endif
#endif
#if defined(CKPTLAB_SIM_SANITIZED)
constexpr const char* kActorStackOption = "contexts/stack-size:1024";
#else
constexpr const char* kActorStackOption = "contexts/stack-size:16";
#endif
constexpr const char* kModelOptions[] = {
    "host/model:ptask_L07",
    "network/TCP-gamma:0",
    kActorStackOption,
    "contexts/guard-size:0",
};

// The one simulation of this process; leaked on purpose: SimGrid's engine must outlive every
// activity and cannot be torn down and rebuilt.
Simulation* g_simulation = nullptr;

void require_positive(BytesPerSecond bw, const char* field) {
  if (!std::isfinite(bw.value) || bw.value <= 0.0)
    throw std::invalid_argument(
        fmt::format("PlatformSpec.{} must be a finite bandwidth > 0, got {}", field, bw.value));
}

void require_at_least_one(std::int64_t n, const char* field) {
  if (n < 1)
    throw std::invalid_argument(fmt::format("PlatformSpec.{} must be >= 1, got {}", field, n));
}

void require_ratio(double r, const char* field) {
  if (!std::isfinite(r) || r < 1.0)
    throw std::invalid_argument(
        fmt::format("PlatformSpec.fat_tree.{} must be finite and >= 1, got {}", field, r));
}

void check_node(std::int64_t node, std::int64_t nodes) {
  if (node < 0 || node >= nodes)
    throw std::out_of_range(fmt::format("node {} outside [0, {})", node, nodes));
}

}  // namespace

const char* topology_name(Topology t) { return t == Topology::kStar ? "star" : "fat_tree"; }

BytesPerSecond PlatformSpec::rack_uplink_bandwidth() const {
  return {node_link_bandwidth().value * nodes_per_rack / fat_tree.oversubscription};
}

BytesPerSecond PlatformSpec::pod_uplink_bandwidth() const {
  return {rack_uplink_bandwidth().value * fat_tree.racks_per_pod / fat_tree.pod_oversubscription};
}

void validate(const PlatformSpec& spec) {
  require_at_least_one(spec.nodes, "nodes");
  require_at_least_one(spec.gpus_per_node, "gpus_per_node");
  require_at_least_one(spec.nics_per_node, "nics_per_node");
  require_at_least_one(spec.storage_servers, "storage_servers");
  require_at_least_one(spec.nodes_per_rack, "nodes_per_rack");
  require_positive(spec.nic_bandwidth, "nic_bandwidth");
  require_positive(spec.pcie_d2h, "pcie_d2h");
  require_positive(spec.pcie_h2d, "pcie_h2d");
  require_positive(spec.local_disk_write, "local_disk_write");
  require_positive(spec.local_disk_read, "local_disk_read");
  require_positive(spec.storage_write, "storage_write");
  require_positive(spec.storage_read, "storage_read");
  require_positive(spec.storage_per_client, "storage_per_client");
  if (!std::isfinite(spec.link_latency.value) || spec.link_latency.value < 0.0)
    throw std::invalid_argument(fmt::format(
        "PlatformSpec.link_latency must be finite and >= 0, got {}", spec.link_latency.value));
  if (spec.topology == Topology::kFatTree) {
    const FatTreeSpec& f = spec.fat_tree;
    if (f.levels != 2 && f.levels != 3)
      throw std::invalid_argument(
          fmt::format("PlatformSpec.fat_tree.levels must be 2 or 3, got {}", f.levels));
    require_ratio(f.oversubscription, "oversubscription");
    require_ratio(f.pod_oversubscription, "pod_oversubscription");
    require_at_least_one(f.racks_per_pod, "fat_tree.racks_per_pod");
  }
}

bool runs_on(const PlatformSpec& built, const PlatformSpec& wanted) {
  if (built.nodes < wanted.nodes) return false;
  PlatformSpec same_size = built;
  same_size.nodes = wanted.nodes;
  return same_size == wanted;
}

std::string describe(const PlatformSpec& s) {
  std::string shape = topology_name(s.topology);
  if (s.topology == Topology::kFatTree) {
    shape +=
        fmt::format(" {} levels, {}:1 at the leaf", s.fat_tree.levels, s.fat_tree.oversubscription);
    if (s.fat_tree.levels == 3)
      shape += fmt::format(", {} racks/pod at {}:1", s.fat_tree.racks_per_pod,
                           s.fat_tree.pod_oversubscription);
  }
  return fmt::format(
      "{} nodes ({}, {}/rack) x {} NICs of {} B/s, {} storage servers ({} B/s write, {} B/s "
      "read, {} B/s per client)",
      s.nodes, shape, s.nodes_per_rack, s.nics_per_node, s.nic_bandwidth.value, s.storage_servers,
      s.storage_write.value, s.storage_read.value, s.storage_per_client.value);
}

Simulation& Simulation::build(const PlatformSpec& spec) {
  validate(spec);
  if (g_simulation != nullptr) {
    if (runs_on(g_simulation->spec_, spec)) return *g_simulation;
    throw std::logic_error(
        fmt::format("sim::Simulation: a platform ({}) is already built in this process and SimGrid "
                    "3.32 cannot build a second one ({}); run differing platforms in separate "
                    "processes",
                    describe(g_simulation->spec_), describe(spec)));
  }
  if (sg4::Engine::has_instance())
    throw std::logic_error(
        "sim::Simulation: a SimGrid engine already exists that sim::Simulation did not build (or "
        "an earlier build failed half-way); SimGrid allows one engine per process");
  g_simulation = new Simulation(spec);
  return *g_simulation;
}

Simulation& Simulation::get() {
  if (g_simulation == nullptr)
    throw std::logic_error("sim::Simulation::get() called before Simulation::build()");
  return *g_simulation;
}

bool Simulation::is_built() { return g_simulation != nullptr; }

Simulation::Simulation(const PlatformSpec& spec) : spec_(spec) {
#if defined(CKPTLAB_SIM_SANITIZED)
  // The context factory is chosen when the engine starts: set_config afterwards is too late.
  static char name[] = "ckptlab";
  static char factory[] = "--cfg=contexts/factory:thread";
  static char* argv[] = {name, factory, nullptr};
  int argc = 2;
  engine_ = new sg4::Engine(&argc, argv);
#else
  engine_ = new sg4::Engine("ckptlab");
#endif
  // Every set_config otherwise logs an INFO line; warnings and errors still show.
  xbt_log_control_set("xbt_cfg.thresh:warning");
  for (const char* option : kModelOptions) sg4::Engine::set_config(option);
  BuiltPlatform built = build_platform(spec);
  node_hosts_ = std::move(built.node_hosts);
  node_disks_ = std::move(built.node_disks);
  node_pcies_ = std::move(built.node_pcies);
  storage_hosts_ = std::move(built.storage_hosts);
}

sg4::Host* Simulation::node_host(std::int64_t node) const {
  check_node(node, spec_.nodes);
  return node_hosts_[static_cast<std::size_t>(node)];
}

sg4::Disk* Simulation::node_disk(std::int64_t node) const {
  check_node(node, spec_.nodes);
  return node_disks_[static_cast<std::size_t>(node)];
}

sg4::Disk* Simulation::node_pcie(std::int64_t node) const {
  check_node(node, spec_.nodes);
  return node_pcies_[static_cast<std::size_t>(node)];
}

Seconds Simulation::now() const { return {sg4::Engine::get_clock()}; }

void Simulation::run() {
  if (!sg4::Actor::is_maestro())
    throw std::logic_error("sim::Simulation::run() called from inside an actor");
  engine_->run();
}

void Simulation::set_node_on(std::int64_t node, bool on) {
  sg4::Host* host = node_host(node);
  const auto it = std::lower_bound(nodes_off_.begin(), nodes_off_.end(), node);
  const bool listed = it != nodes_off_.end() && *it == node;
  if (on) {
    if (listed) nodes_off_.erase(it);
    host->turn_on();
  } else {
    if (!listed) nodes_off_.insert(it, node);
    host->turn_off();
  }
}

}  // namespace ckptlab::sim
