#include "platform.hpp"

#include <fmt/format.h>
#include <xbt/log.h>

#include <cmath>
#include <simgrid/s4u.hpp>
#include <stdexcept>
#include <string>

namespace ckptlab::sim {
namespace sg4 = simgrid::s4u;

namespace {

// Hosts must have a CPU speed, but checkpoint traffic never computes on them: any value works.
constexpr double kUnusedHostFlops = 1e9;

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
#if defined(__SANITIZE_ADDRESS__)
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

std::string describe(const PlatformSpec& s) {
  return fmt::format("{} nodes x {} NICs of {} B/s, {} storage servers ({} B/s aggregate)", s.nodes,
                     s.nics_per_node, s.nic_bandwidth.value, s.storage_servers,
                     s.storage_aggregate.value);
}

}  // namespace

void validate(const PlatformSpec& spec) {
  require_at_least_one(spec.nodes, "nodes");
  require_at_least_one(spec.gpus_per_node, "gpus_per_node");
  require_at_least_one(spec.nics_per_node, "nics_per_node");
  require_at_least_one(spec.storage_servers, "storage_servers");
  require_positive(spec.nic_bandwidth, "nic_bandwidth");
  require_positive(spec.pcie_d2h, "pcie_d2h");
  require_positive(spec.pcie_h2d, "pcie_h2d");
  require_positive(spec.local_disk_write, "local_disk_write");
  require_positive(spec.local_disk_read, "local_disk_read");
  require_positive(spec.storage_aggregate, "storage_aggregate");
  if (!std::isfinite(spec.link_latency.value) || spec.link_latency.value < 0.0)
    throw std::invalid_argument(fmt::format(
        "PlatformSpec.link_latency must be finite and >= 0, got {}", spec.link_latency.value));
}

Simulation& Simulation::build(const PlatformSpec& spec) {
  validate(spec);
  if (g_simulation != nullptr) {
    if (g_simulation->spec_ == spec) return *g_simulation;
    throw std::logic_error(
        fmt::format("sim::Simulation: a platform ({}) is already built in this process and SimGrid "
                    "3.32 cannot build a second one ({}); run differing platforms in separate "
                    "processes",
                    describe(g_simulation->spec_), describe(spec)));
  }
  if (sg4::Engine::has_instance())
    throw std::logic_error(
        "sim::Simulation: a SimGrid engine already exists that sim::Simulation did not build (or "
        "an "
        "earlier build failed half-way); SimGrid allows one engine per process");
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
  engine_ = new sg4::Engine("ckptlab");
  // Every set_config otherwise logs an INFO line; warnings and errors still show.
  xbt_log_control_set("xbt_cfg.thresh:warning");
  for (const char* option : kModelOptions) sg4::Engine::set_config(option);

  // The first zone created becomes the platform's root.
  sg4::NetZone* cluster = sg4::create_star_zone("cluster");
  const double latency = spec.link_latency.value;

  // Split-duplex: a node receiving a peer's replica while writing its own checkpoint gets the
  // full link bandwidth each way, as a real NIC does.
  auto attach = [&](sg4::Host* host, double bandwidth) {
    sg4::Link* link = cluster->create_split_duplex_link(host->get_name() + "-link", bandwidth)
                          ->set_latency(latency)
                          ->seal();
    cluster->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                       {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::UP)}, true);
  };

  node_hosts_.reserve(static_cast<std::size_t>(spec.nodes));
  node_disks_.reserve(static_cast<std::size_t>(spec.nodes));
  for (std::int64_t i = 0; i < spec.nodes; ++i) {
    sg4::Host* host = cluster->create_host(fmt::format("node-{}", i), kUnusedHostFlops);
    attach(host, spec.node_link_bandwidth().value);
    node_disks_.push_back(
        host->create_disk("nvme", spec.local_disk_read.value, spec.local_disk_write.value)->seal());
    node_hosts_.push_back(host->seal());
  }
  storage_hosts_.reserve(static_cast<std::size_t>(spec.storage_servers));
  for (int s = 0; s < spec.storage_servers; ++s) {
    sg4::Host* host = cluster->create_host(fmt::format("storage-{}", s), kUnusedHostFlops);
    attach(host, spec.storage_server_bandwidth().value);
    storage_hosts_.push_back(host->seal());
  }
  cluster->seal();
}

sg4::Host* Simulation::node_host(std::int64_t node) const {
  if (node < 0 || node >= spec_.nodes)
    throw std::out_of_range(fmt::format("node {} outside [0, {})", node, spec_.nodes));
  return node_hosts_[static_cast<std::size_t>(node)];
}

sg4::Disk* Simulation::node_disk(std::int64_t node) const {
  if (node < 0 || node >= spec_.nodes)
    throw std::out_of_range(fmt::format("node {} outside [0, {})", node, spec_.nodes));
  return node_disks_[static_cast<std::size_t>(node)];
}

Seconds Simulation::now() const { return {sg4::Engine::get_clock()}; }

void Simulation::run() {
  if (!sg4::Actor::is_maestro())
    throw std::logic_error("sim::Simulation::run() called from inside an actor");
  engine_->run();
}

}  // namespace ckptlab::sim
