#include "topology.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <simgrid/s4u.hpp>

namespace ckptlab::sim {
namespace sg4 = simgrid::s4u;

namespace {

// Storage servers never compute; a host needs some speed.
constexpr double kStorageHostFlops = 1e9;

// Attaches `point` (a host, or a child zone through its gateway router) to the star zone `zone`
// by one split-duplex link: UP carries what leaves it, DOWN what enters it.
void attach(sg4::NetZone* zone, simgrid::kernel::routing::NetPoint* point,
            simgrid::kernel::routing::NetPoint* gateway, const std::string& link_name,
            double bandwidth, double latency) {
  sg4::Link* link =
      zone->create_split_duplex_link(link_name, bandwidth)->set_latency(latency)->seal();
  zone->add_route(point, nullptr, gateway, nullptr,
                  {sg4::LinkInRoute(link, sg4::LinkInRoute::Direction::UP)}, true);
}

// A storage server reads and writes at different aggregate rates, so its two directions are two
// plain links: writes arrive over the "-write" link, reads leave over the "-read" link.
void attach_storage_server(sg4::NetZone* zone, sg4::Host* host, const PlatformSpec& spec) {
  const double latency = spec.link_latency.value;
  sg4::Link* write =
      zone->create_link(host->get_name() + "-write", spec.storage_server_write().value)
          ->set_latency(latency)
          ->seal();
  sg4::Link* read = zone->create_link(host->get_name() + "-read", spec.storage_server_read().value)
                        ->set_latency(latency)
                        ->seal();
  zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(read)}, false);
  zone->add_route(nullptr, host->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(write)},
                  false);
}

class Builder {
 public:
  explicit Builder(const PlatformSpec& spec) : spec_(spec) {
    built_.node_hosts.reserve(static_cast<std::size_t>(spec.nodes));
    built_.node_disks.reserve(static_cast<std::size_t>(spec.nodes));
    built_.node_pcies.reserve(static_cast<std::size_t>(spec.nodes));
  }

  BuiltPlatform build() {
    // The first zone created becomes the platform's root: the star's switch, or the fat-tree's
    // top (spine, or core with pods).
    sg4::NetZone* root = sg4::create_star_zone("cluster");
    // A tier that is not oversubscribed is flattened (platform.hpp): its uplink carries the sum
    // of the links below it and can never limit a flow.
    const bool rack_zones =
        spec_.topology == Topology::kFatTree && spec_.fat_tree.oversubscription > 1;
    const bool pod_zones = spec_.topology == Topology::kFatTree && spec_.fat_tree.levels == 3 &&
                           spec_.fat_tree.pod_oversubscription > 1;
    if (!rack_zones && !pod_zones) {
      for (std::int64_t n = 0; n < spec_.nodes; ++n) add_node(root, n);
      for (int s = 0; s < spec_.storage_servers; ++s) add_storage_server(root, s);
      root->seal();
      return std::move(built_);
    }
    if (!pod_zones) {
      for (std::int64_t r = 0; r < spec_.racks(); ++r) add_rack(root, r);
    } else {
      const std::int64_t per_pod = spec_.fat_tree.racks_per_pod;
      const std::int64_t pods = (spec_.racks() + per_pod - 1) / per_pod;
      for (std::int64_t p = 0; p < pods; ++p) {
        const std::string name = fmt::format("pod-{}", p);
        sg4::NetZone* pod = sg4::create_star_zone(name)->set_parent(root);
        // With rack zones the pod is a zone of zones and its spine router needs a zone of its
        // own (router_zone); with flat racks the pod holds the nodes and the router itself.
        auto* spine = rack_zones ? router_zone(pod, name + "-spine")
                                 : pod->create_router(name + "-spine-router");
        attach(root, pod->get_netpoint(), spine, name + "-uplink",
               spec_.pod_uplink_bandwidth().value, spec_.link_latency.value);
        const std::int64_t last_rack = std::min(spec_.racks(), (p + 1) * per_pod);
        for (std::int64_t r = p * per_pod; r < last_rack; ++r) {
          if (rack_zones) {
            add_rack(pod, r);
            continue;
          }
          const std::int64_t last = std::min(spec_.nodes, (r + 1) * spec_.nodes_per_rack);
          for (std::int64_t n = r * spec_.nodes_per_rack; n < last; ++n) add_node(pod, n);
        }
        pod->seal();
      }
    }
    // The storage servers hang off the top through a zone of their own (see router_zone).
    sg4::NetZone* storage = sg4::create_star_zone("storage")->set_parent(root);
    auto* gateway = storage->create_router("storage-gateway");
    root->add_route(storage->get_netpoint(), nullptr, gateway, nullptr, {}, true);
    for (int s = 0; s < spec_.storage_servers; ++s) add_storage_server(storage, s);
    storage->seal();
    root->seal();
    return std::move(built_);
  }

 private:
  // SimGrid 3.32 computes routes wrongly between a host of a child zone and a netpoint (host or
  // router) placed directly in an ancestor zone: it looks the host's per-zone index up in the
  // ancestor's table (checked: node-40 -> storage-0 came out as two storage links). So a zone
  // holds either hosts and routers or child zones, never both, and a zone of zones reaches its
  // parent through a router that sits in a child zone of its own, returned here.
  simgrid::kernel::routing::NetPoint* router_zone(sg4::NetZone* parent, const std::string& name) {
    sg4::NetZone* zone = sg4::create_star_zone(name)->set_parent(parent);
    auto* router = zone->create_router(name + "-router");
    parent->add_route(zone->get_netpoint(), nullptr, router, nullptr, {}, true);
    zone->seal();
    return router;
  }

  void add_rack(sg4::NetZone* parent, std::int64_t rack) {
    const std::string name = fmt::format("rack-{}", rack);
    sg4::NetZone* zone = sg4::create_star_zone(name)->set_parent(parent);
    auto* leaf = zone->create_router(name + "-leaf");
    attach(parent, zone->get_netpoint(), leaf, name + "-uplink",
           spec_.rack_uplink_bandwidth().value, spec_.link_latency.value);
    const std::int64_t last = std::min(spec_.nodes, (rack + 1) * spec_.nodes_per_rack);
    for (std::int64_t n = rack * spec_.nodes_per_rack; n < last; ++n) add_node(zone, n);
    zone->seal();
  }

  void add_storage_server(sg4::NetZone* zone, int s) {
    sg4::Host* host = zone->create_host(fmt::format("storage-{}", s), kStorageHostFlops);
    attach_storage_server(zone, host, spec_);
    built_.storage_hosts.push_back(host->seal());
  }

  void add_node(sg4::NetZone* zone, std::int64_t node) {
    // The CPU stands for the storage client (see platform.hpp): one core at the client cap.
    sg4::Host* host =
        zone->create_host(fmt::format("node-{}", node), spec_.storage_per_client.value);
    // Split-duplex: a node receiving a peer's replica while writing its own checkpoint gets the
    // full link bandwidth each way, as a real NIC does.
    attach(zone, host->get_netpoint(), nullptr, host->get_name() + "-link",
           spec_.node_link_bandwidth().value, spec_.link_latency.value);
    built_.node_disks.push_back(
        host->create_disk("nvme", spec_.local_disk_read.value, spec_.local_disk_write.value)
            ->seal());
    const double gpus = spec_.gpus_per_node;
    const double d2h = gpus * spec_.pcie_d2h.value;
    const double h2d = gpus * spec_.pcie_h2d.value;
    built_.node_pcies.push_back(
        host->create_disk("pcie", d2h, h2d)->set_readwrite_bandwidth(d2h + h2d)->seal());
    built_.node_hosts.push_back(host->seal());
  }

  const PlatformSpec& spec_;
  BuiltPlatform built_;
};

}  // namespace

BuiltPlatform build_platform(const PlatformSpec& spec) { return Builder(spec).build(); }

}  // namespace ckptlab::sim
