// How the job gets going again after a failure: hot spares or rescheduling, then a process
// restart. With detection (from the failure kind) and the state load (from the policy's
// recovery plan), the restart model gives the time to recover (DESIGN.md §3):
//   detection + (spare free ? spare_swap : reschedule_wait) + process_restart + state load
// A failed node goes to repair, for a fixed time or a lognormal one (repair times of real
// clusters are lognormal: Schroeder & Gibson, DSN '06; fit your own with `ckptlab failures fit`
// on a trace with a repair_s column), and a node that keeps failing can be retired.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <vector>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

enum class RepairDistribution { fixed, lognormal };
std::string_view to_string(RepairDistribution d);

struct RepairTime {
  RepairDistribution distribution = RepairDistribution::fixed;
  Seconds median;    // fixed: the repair time; lognormal: its median
  double sigma = 0;  // lognormal: standard deviation of log(repair time)
};

struct RestartSpec {
  int spares = 0;           // hot spare nodes kept beside the job
  Seconds spare_swap;       // swap a failed node for a free spare (drain, re-wire, join)
  Seconds reschedule_wait;  // no spare free: give the allocation back and wait in the queue
  Seconds process_restart;  // start the training processes again (launcher, NCCL init)
  Seconds repair_time;      // a failed node is back after this long (the median when lognormal)
  RepairTime repair;        // how long a repair takes; fixed at repair_time unless `repair:`
  int retire_after = 0;     // > 0: a node failing more than this many times is retired
};

// Decodes the scenario's `restart:` mapping:
//   restart:
//     spares: 16               # optional, whole number >= 0 (default 0)
//     spare_swap: "5m"         # required when spares > 0
//     reschedule_wait: "30m"   # required
//     process_restart: "5m"    # required
//     repair_time: "3d"        # a fixed repair time, or instead:
//     repair: {distribution: lognormal, median: "11h", sigma: 1.1}  # or {distribution: fixed,
//                              #   median: "3d"}; one of repair_time / repair when spares > 0
//     retire_after: 3          # optional, >= 1: a node's 4th failure retires it (default never)
// Durations may be 0 (an idealised step), never negative nor over 10y (kMaxStepSeconds); sigma >=
// 0. Unknown keys are errors with a "did you mean". There are no built-in defaults for the times:
// they differ by orders of magnitude between clusters, so a scenario states (and cites) them.
RestartSpec decode_restart(const ConfigNode& node);

// The pool of hot spares, and the repair of failed nodes.
//
// Node identity: a failure names nodes by the ids the failure process uses (0..nodes-1, or a
// trace's node). A free spare stands in for a failed node while it is in repair; when the repair
// ends the node takes its place back and the spare returns to the pool. So an id keeps naming
// the same machine, and its failures add up (a trace's bad node is one machine). A node whose
// failures exceed retire_after is retired instead of repaired: its stand-in stays for good, the
// pool is one spare smaller, and the id names the former spare from then on (count 0).
// When too few spares are free the job is rescheduled: the scheduler supplies the nodes, the
// pool is untouched, and the failed nodes are repaired outside it (or retired, by the same rule).
//
// Counts add up: failed_nodes() == repairs_started() + retired_nodes() + rescheduled_nodes(),
// and repairs_started() == repairs_done(now) + in_repair(now).
// Deterministic: repair durations come from the seed's `repairs` stream, in call order.
class SparePool {
 public:
  explicit SparePool(const RestartSpec& spec, std::uint64_t seed = 0);

  // Time to get replacements for `failed_nodes` (the FailureEvent's nodes) failing at `now`.
  // When at least that many spares are free at `now` (a repair ending exactly at `now` counts as
  // free), they are taken and the result is spare_swap; each failed node goes to repair (a
  // duration drawn per node) or is retired. Otherwise the result is reschedule_wait and no spare
  // is taken: a job cannot restart with half its nodes.
  // REQUIRES: failed_nodes non-empty; `now` non-decreasing over calls (checked).
  Seconds acquire(Nanos now, const std::vector<std::int64_t>& failed_nodes);

  // As above for `nodes_needed` nodes whose ids are unknown: the same pool and repairs, but no
  // failure counts, so nobody is retired. REQUIRES: nodes_needed >= 1.
  Seconds acquire(Nanos now, std::int64_t nodes_needed);

  // Spares free at `now`, counting those whose repair has ended (no state change).
  std::int64_t free_spares(Nanos now) const;
  // Spares the pool still has, free or standing in; it shrinks by one per retirement with a spare.
  std::int64_t pool_size() const { return pool_size_; }
  // Nodes taken from the pool so far, in total.
  std::int64_t spares_used() const { return spares_used_; }
  // Failures that found too few free spares and waited to be rescheduled.
  std::int64_t reschedules() const { return reschedules_; }
  // Failed nodes so far (a rack event counts each of its nodes).
  std::int64_t failed_nodes() const { return failed_nodes_; }
  // Failed nodes sent to repair while a spare stood in for them.
  std::int64_t repairs_started() const { return repairs_started_; }
  // Of those, repairs finished by `now` / still running at `now`.
  std::int64_t repairs_done(Nanos now) const { return repairs_started_ - in_repair(now); }
  std::int64_t in_repair(Nanos now) const;
  // Failed nodes retired (more than retire_after failures).
  std::int64_t retired_nodes() const { return retired_nodes_; }
  // Failed nodes the scheduler replaced (no spare free) and that were not retired.
  std::int64_t rescheduled_nodes() const { return rescheduled_nodes_; }
  // Mean time the job waited for replacement nodes per acquire: spare_swap or reschedule_wait.
  // 0 before the first acquire.
  Seconds mean_time_to_replacement() const;
  // Mean drawn repair duration over repairs_started(). 0 before the first.
  Seconds mean_repair_time() const;

 private:
  Seconds acquire_impl(Nanos now, std::int64_t count, const std::vector<std::int64_t>* ids);
  void release_repaired(Nanos now);
  Seconds draw_repair();
  // Counts a failure of `id`; true when it is now to be retired (and resets its count).
  bool count_failure(std::int64_t id);

  RestartSpec spec_;
  std::mt19937_64 engine_;
  std::int64_t free_ = 0;
  std::int64_t pool_size_ = 0;
  std::multiset<Nanos> in_repair_;  // when each node in repair is back; its spare returns then
  std::map<std::int64_t, int> failures_of_;  // failures per node id since it was (re)placed
  Nanos last_now_ = 0;
  std::int64_t spares_used_ = 0;
  std::int64_t reschedules_ = 0;
  std::int64_t failed_nodes_ = 0;
  std::int64_t repairs_started_ = 0;
  std::int64_t retired_nodes_ = 0;
  std::int64_t rescheduled_nodes_ = 0;
  std::int64_t acquires_ = 0;
  double replacement_seconds_ = 0;
  double repair_seconds_ = 0;
};

}  // namespace ckptlab
