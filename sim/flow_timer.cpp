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
// The solver re-solves the whole connected component at every completion, so transfers that
// finish at distinct times still cost O(transfers^2 * stripes): 10,240 staggered striped writes
// took 175 s (12 s with one storage server). Callers should group identical transfers.
struct Stripe {
  std::size_t from;  // indices into Plan::hosts
  std::size_t to;
  double bytes;
};

// What one actor does, resolved to SimGrid objects before the run so that the actor itself only
// builds its ptask and waits (it runs on a 16 KiB stack; the matrices live on the heap).
struct Plan {
  std::vector<sg4::Host*> hosts;  // hosts[0] is the node the actor runs on
  std::vector<Stripe> stripes;    // network transfers
  sg4::Disk* disk = nullptr;      // disk transfers
  bool disk_write = false;
  std::uint64_t disk_bytes = 0;
};

const char* name_of(Endpoint::Kind kind) {
  switch (kind) {
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
Plan striped(sg4::Host* node, std::span<sg4::Host* const> servers, std::uint64_t bytes,
             bool to_storage) {
  Plan plan;
  plan.hosts.push_back(node);
  plan.hosts.insert(plan.hosts.end(), servers.begin(), servers.end());
  const std::uint64_t n = servers.size();
  for (std::uint64_t s = 0; s < n; ++s) {
    const std::uint64_t share = bytes / n + (s < bytes % n ? 1 : 0);
    if (share == 0) continue;
    const std::size_t server = 1 + static_cast<std::size_t>(s);
    plan.stripes.push_back(to_storage ? Stripe{0, server, static_cast<double>(share)}
                                      : Stripe{server, 0, static_cast<double>(share)});
  }
  return plan;
}

Plan plan_for(const Simulation& sim, const Transfer& t) {
  using K = Endpoint::Kind;
  if (t.bytes.value < 0)
    throw std::invalid_argument(
        fmt::format("transfer {}: negative size {}", describe(t), t.bytes.value));
  const auto bytes = static_cast<std::uint64_t>(t.bytes.value);
  const K from = t.from.kind;
  const K to = t.to.kind;
  const bool same_node = t.from.node == t.to.node;
  if (from == K::host_memory && to == K::host_memory && !same_node) {
    Plan plan;
    plan.hosts = {sim.node_host(t.from.node), sim.node_host(t.to.node)};
    if (bytes > 0) plan.stripes.push_back({0, 1, static_cast<double>(bytes)});
    return plan;
  }
  if (from == K::host_memory && to == K::shared_storage)
    return striped(sim.node_host(t.from.node), sim.storage_hosts(), bytes, true);
  if (from == K::shared_storage && to == K::host_memory)
    return striped(sim.node_host(t.to.node), sim.storage_hosts(), bytes, false);
  const bool disk_write = from == K::host_memory && to == K::local_disk;
  const bool disk_read = from == K::local_disk && to == K::host_memory;
  if ((disk_write || disk_read) && same_node) {
    Plan plan;
    plan.hosts = {sim.node_host(t.from.node)};
    plan.disk = sim.node_disk(t.from.node);
    plan.disk_write = disk_write;
    plan.disk_bytes = bytes;
    return plan;
  }
  throw std::invalid_argument(fmt::format("transfer {} is not a supported pair", describe(t)));
}

void execute(const Plan& plan) {
  if (plan.disk != nullptr) {
    if (plan.disk_write)
      plan.disk->write(plan.disk_bytes);
    else
      plan.disk->read(plan.disk_bytes);
    return;
  }
  if (plan.stripes.empty()) return;  // nothing to move: takes no time
  const std::size_t n = plan.hosts.size();
  std::vector<double> bytes(n * n, 0.0);  // row = sender, column = receiver
  for (const Stripe& s : plan.stripes) bytes[s.from * n + s.to] = s.bytes;
  // No computation: zero flops on every host, so only links constrain the ptask.
  sg4::this_actor::exec_init(plan.hosts, std::vector<double>(n, 0.0), bytes)->wait();
}

}  // namespace

std::vector<Seconds> simulate_transfer_durations(Simulation& sim,
                                                 const std::vector<Transfer>& transfers) {
  // Resolve and check everything first: an error must not leave half the actors behind to run
  // in the next simulation.
  std::vector<Plan> plans;
  plans.reserve(transfers.size());
  for (const Transfer& t : transfers) plans.push_back(plan_for(sim, t));

  const double start = sim.now().value;
  std::vector<double> finish(plans.size(), std::numeric_limits<double>::quiet_NaN());
  // One actor per transfer: SimGrid 3.32 keeps an actor's activities in a list that each
  // completion scans, so one actor waiting on 10,240 ptasks would be quadratic.
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const Plan* plan = &plans[i];
    double* done = &finish[i];
    sg4::Actor::create("transfer", plan->hosts.front(), [plan, done] {
      execute(*plan);
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
