#include "flow_timer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <simgrid/s4u.hpp>
#include <stdexcept>

namespace ckptlab::sim {
namespace sg4 = simgrid::s4u;

namespace {

// Why every network transfer is one L07 parallel task (ptask) and not a set of s4u Comms,
// measured in SimGrid 3.32:
//  - Comm::sendto_async comms are detached, and a finishing detached comm is removed from the
//    maestro's std::list of all of them: O(n) per completion, so 10,240 nodes writing 16 stripes
//    each (163,840 comms) took 260 s even when all finished at the same instant. A ptask is
//    tracked by the actor that waits for it (one actor per transfer: a short list).
//  - A striped write is one ptask whose stripes progress together, as a client's write to a
//    parallel file system completes with its slowest stripe; one solver variable per transfer
//    instead of one per stripe. The same 10,240-node checkpoint takes 0.4 s.
//  - A ptask can also "compute" on a host: storage transfers compute one flop per byte on the
//    node, whose CPU speed is the storage client cap (platform.hpp), which bounds the node's
//    storage streams together. s4u offers no per-ptask rate bound in 3.32 (Exec::set_bound is
//    ignored for parallel executions), so the cap has to be a resource.
// The solver re-solves the whole connected component at every completion, so transfers that
// finish at distinct times still cost O(transfers^2 * stripes): 10,240 staggered striped writes
// took 175 s (12 s with one storage server). Callers should group identical transfers.

const char* name_of(Endpoint::Kind kind) {
  switch (kind) {
    case Endpoint::Kind::gpu_memory:
      return "gpus";
    case Endpoint::Kind::host_memory:
      return "memory";
    case Endpoint::Kind::local_disk:
      return "disk";
    case Endpoint::Kind::shared_storage:
      return "storage";
  }
  return "?";
}

std::string describe(const Transfer& t) {
  return fmt::format("{}({}) -> {}({})", name_of(t.from.kind), t.from.node, name_of(t.to.kind),
                     t.to.node);
}

// Splits `bytes` evenly over the storage servers (the first ones take the remainder), as a
// parallel file system stripes a large file over all its servers.
Flow striped(sg4::Host* node, std::span<sg4::Host* const> servers, std::uint64_t bytes,
             bool to_storage) {
  Flow flow;
  flow.hosts.push_back(node);
  flow.hosts.insert(flow.hosts.end(), servers.begin(), servers.end());
  if (bytes == 0) return flow;
  flow.client_flops = static_cast<double>(bytes);
  const std::uint64_t n = servers.size();
  for (std::uint64_t s = 0; s < n; ++s) {
    const std::uint64_t share = bytes / n + (s < bytes % n ? 1 : 0);
    if (share == 0) continue;
    const std::size_t server = 1 + static_cast<std::size_t>(s);
    flow.stripes.push_back(to_storage ? Flow::Stripe{0, server, static_cast<double>(share)}
                                      : Flow::Stripe{server, 0, static_cast<double>(share)});
  }
  return flow;
}

Flow on_disk(sg4::Host* host, sg4::Disk* disk, bool write, std::uint64_t bytes) {
  Flow flow;
  flow.hosts = {host};
  flow.disk = disk;
  flow.disk_write = write;
  flow.disk_bytes = static_cast<double>(bytes);
  return flow;
}

}  // namespace

Flow resolve(const Simulation& sim, const Transfer& t) {
  using K = Endpoint::Kind;
  if (t.bytes.value < 0)
    throw std::invalid_argument(
        fmt::format("transfer {}: negative size {}", describe(t), t.bytes.value));
  const auto bytes = static_cast<std::uint64_t>(t.bytes.value);
  const K from = t.from.kind;
  const K to = t.to.kind;
  const bool same_node = t.from.node == t.to.node;
  if (from == K::host_memory && to == K::host_memory && !same_node) {
    Flow flow;
    flow.hosts = {sim.node_host(t.from.node), sim.node_host(t.to.node)};
    if (bytes > 0) flow.stripes.push_back({0, 1, static_cast<double>(bytes)});
    return flow;
  }
  if (from == K::host_memory && to == K::shared_storage)
    return striped(sim.node_host(t.from.node), sim.storage_hosts(), bytes, true);
  if (from == K::shared_storage && to == K::host_memory)
    return striped(sim.node_host(t.to.node), sim.storage_hosts(), bytes, false);
  if (same_node) {
    const std::int64_t node = t.from.node;
    // A GPU->host copy reads the PCIe resource; host->GPU writes it (platform.hpp).
    if (from == K::gpu_memory && to == K::host_memory)
      return on_disk(sim.node_host(node), sim.node_pcie(node), false, bytes);
    if (from == K::host_memory && to == K::gpu_memory)
      return on_disk(sim.node_host(node), sim.node_pcie(node), true, bytes);
    if (from == K::host_memory && to == K::local_disk)
      return on_disk(sim.node_host(node), sim.node_disk(node), true, bytes);
    if (from == K::local_disk && to == K::host_memory)
      return on_disk(sim.node_host(node), sim.node_disk(node), false, bytes);
  }
  throw std::invalid_argument(fmt::format("transfer {} is not a supported pair", describe(t)));
}

void run_flow(const Flow& flow) {
  if (flow.disk != nullptr) {
    if (flow.disk_bytes <= 0) return;
    const auto size = static_cast<sg_size_t>(flow.disk_bytes);
    if (flow.disk_write)
      flow.disk->write(size);
    else
      flow.disk->read(size);
    return;
  }
  if (flow.stripes.empty()) return;  // nothing to move: takes no time
  const std::size_t n = flow.hosts.size();
  std::vector<double> bytes(n * n, 0.0);  // row = sender, column = receiver
  for (const Flow::Stripe& s : flow.stripes) bytes[s.from * n + s.to] = s.bytes;
  std::vector<double> flops(n, 0.0);
  flops[0] = flow.client_flops;
  sg4::this_actor::exec_init(flow.hosts, flops, bytes)->wait();
}

std::vector<Seconds> simulate_transfer_durations(Simulation& sim,
                                                 const std::vector<Transfer>& transfers) {
  // Resolve and check everything first: an error must not leave half the actors behind to run
  // in the next simulation.
  std::vector<Flow> flows;
  flows.reserve(transfers.size());
  for (const Transfer& t : transfers) flows.push_back(resolve(sim, t));

  const double start = sim.now().value;
  std::vector<double> finish(flows.size(), std::numeric_limits<double>::quiet_NaN());
  // One actor per transfer: SimGrid 3.32 keeps an actor's activities in a list that each
  // completion scans, so one actor waiting on 10,240 ptasks would be quadratic.
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const Flow* flow = &flows[i];
    double* done = &finish[i];
    sg4::Actor::create("transfer", flow->hosts.front(), [flow, done] {
      run_flow(*flow);
      *done = sg4::Engine::get_clock();
    });
  }
  sim.run();

  std::vector<Seconds> durations;
  durations.reserve(finish.size());
  for (std::size_t i = 0; i < finish.size(); ++i) {
    if (std::isnan(finish[i]))
      throw std::logic_error(fmt::format("transfer {} never finished: the simulation ended early",
                                         describe(transfers[i])));
    durations.push_back(Seconds{finish[i] - start});
  }
  return durations;
}

Seconds simulate_transfers(Simulation& sim, const std::vector<Transfer>& transfers) {
  Seconds makespan{0.0};
  for (Seconds d : simulate_transfer_durations(sim, transfers)) makespan = std::max(makespan, d);
  return makespan;
}

}  // namespace ckptlab::sim
