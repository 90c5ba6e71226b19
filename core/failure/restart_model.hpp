// How the job gets going again after a failure: hot spares or rescheduling, then a process
// restart. With detection (from the failure kind) and the state load (from the policy's
// recovery plan), the restart model gives the time to recover (DESIGN.md §3):
//   detection + (spare free ? spare_swap : reschedule_wait) + process_restart + state load
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "util/config_node.hpp"
#include "util/units.hpp"

namespace ckptlab {

struct RestartSpec {
  int spares = 0;           // hot spare nodes kept beside the job
  Seconds spare_swap;       // swap a failed node for a free spare (drain, re-wire, join)
  Seconds reschedule_wait;  // no spare free: give the allocation back and wait in the queue
  Seconds process_restart;  // start the training processes again (launcher, NCCL init)
  Seconds repair_time;      // a failed node is back (as a spare) after this long
};

// Decodes the scenario's `restart:` mapping:
//   restart:
//     spares: 16               # optional, whole number >= 0 (default 0)
//     spare_swap: "5m"         # required when spares > 0
//     reschedule_wait: "30m"   # required
//     process_restart: "5m"    # required
//     repair_time: "3d"        # required when spares > 0
// Durations may be 0 (an idealised step), never negative. Unknown keys are errors with a "did you
// mean". There are no built-in defaults for the times: they differ by orders of magnitude
// between clusters, so a scenario states (and cites) them.
RestartSpec decode_restart(const ConfigNode& node);

// The pool of hot spares. A failed node is replaced by a free spare when there are enough, else
// the job waits to be rescheduled. A node taken from the pool comes back to it repair_time later,
// since the failed node it replaced is repaired and becomes the new spare. So the pool never
// grows past `spares`. A reschedule takes nothing from the pool: the scheduler supplies the nodes.
// Deterministic: no randomness, and the result depends only on the calls made.
class SparePool {
 public:
  explicit SparePool(const RestartSpec& spec);

  // Time to get `nodes_needed` replacement nodes for a failure at `now`. When at least
  // `nodes_needed` spares are free at `now` (a spare whose repair ends exactly at `now` counts as
  // free), they are taken and come back at now + repair_time, and the result is spare_swap.
  // Otherwise the result is reschedule_wait and no spare is taken. A failure that needs more nodes
  // than are free never takes part of them: a job cannot restart with half its nodes.
  // REQUIRES: nodes_needed >= 1; `now` non-decreasing over calls (checked).
  Seconds acquire(Nanos now, std::int64_t nodes_needed);

  // Spares free at `now`, counting those whose repair has ended (no state change).
  std::int64_t free_spares(Nanos now) const;
  // Nodes taken from the pool so far, in total.
  std::int64_t spares_used() const { return spares_used_; }
  // Failures that found too few free spares and waited to be rescheduled.
  std::int64_t reschedules() const { return reschedules_; }

 private:
  void release_repaired(Nanos now);

  RestartSpec spec_;
  std::int64_t free_ = 0;
  std::deque<std::pair<Nanos, std::int64_t>> in_repair_;  // (back at, nodes), in time order
  Nanos last_now_ = 0;
  std::int64_t spares_used_ = 0;
  std::int64_t reschedules_ = 0;
};

}  // namespace ckptlab
