// How the job gets going again after a failure: hot spares, warm standbys or rescheduling, then a
// process restart. With detection (from the failure kind) and the state load (from the policy's
// recovery plan), the restart model gives the time to recover (DESIGN.md §3):
//   detection + replacement + process_restart + state load
// where replacement is spare_swap (a hot spare is free), standby_swap (a warm standby fills in),
// the wait for a repair to return a node plus the swap (wait_for_spare), or reschedule_wait.
// A failed node goes to repair, for a fixed time or a lognormal one (repair times of real
// clusters are lognormal: Schroeder & Gibson, DSN '06; fit your own with `ckptlab failures fit`
// on a trace with a repair_s column), which may escalate to a manual repair and may fail silently;
// a node that keeps failing (K failures, optionally within a window) is retired.
#pragma once

#include <cstdint>
#include <deque>
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
  // Additions of issue #10 item 3; the defaults keep every older scenario's results unchanged.
  int warm_standbys = 0;        // up beside the job but not hot: used when hot spares run out
  Seconds standby_swap;         // bring a warm standby in (required when warm_standbys > 0)
  bool wait_for_spare = false;  // no spare free: wait for repairs instead of rescheduling
  Seconds retire_window;        // > 0: only failures within this window count for retire_after
  double escalation_probability = 0;  // an automatic repair escalates to a manual one
  RepairTime manual_repair;           // the extra time of an escalated repair
  double silent_failure = 0;          // a repair returns the node still faulty
};

// Decodes the scenario's `restart:` mapping:
//   restart:
//     spares: 16               # optional, whole number >= 0 (default 0)
//     spare_swap: "5m"         # required when spares > 0
//     reschedule_wait: "30m"   # required
//     process_restart: "5m"    # required
//     repair_time: "3d"        # a fixed repair time, or instead:
//     repair:                  # or {distribution: fixed, median: "3d"}; one of repair_time /
//       distribution: lognormal  # repair when spares or warm_standbys > 0
//       median: "11h"
//       sigma: 1.1
//       escalation:            # optional: an automatic repair escalates to manual with
//         probability: 0.8     #   this probability, adding a manual repair time
//         manual: {distribution: lognormal, median: "2d", sigma: 0.5}
//       silent_failure: 0.1    # optional: a repair leaves the node faulty (default 0)
//     retire_after: 3          # optional, >= 1: a node's 4th failure retires it (default never)
//     retire_window: "7d"      # optional, > 0, needs retire_after: only failures within the
//                              #   last 7 days count (default: all since the node was placed)
//     warm_standbys: 4         # optional, >= 0 (default 0)
//     standby_swap: "20m"      # required when warm_standbys > 0
//     wait_for_spare: true     # optional (default false: reschedule when no spare is free)
// Durations may be 0 (an idealised step), never negative nor over 10y (kMaxStepSeconds); sigma >=
// 0; probabilities in [0, 1]. Unknown keys are errors with a "did you mean". There are no built-in
// defaults for the times: they differ by orders of magnitude between clusters, so a scenario
// states (and cites) them.
RestartSpec decode_restart(const ConfigNode& node);

// The pools of hot spares and warm standbys, and the repair of failed nodes.
//
// Node identity: a failure names nodes by the ids the failure process uses (0..nodes-1, or a
// trace's node). A free spare stands in for a failed node while it is in repair; when the repair
// ends the node takes its place back and the spare returns to its pool (hot or warm). So an id
// keeps naming the same machine, and its failures add up (a trace's bad node is one machine). A
// node whose failures exceed retire_after (within retire_window, if given) is retired instead of
// repaired: its stand-in stays for good, that pool is one smaller, and the id names the former
// spare from then on (count 0).
//
// Replacement, for the nodes of one failure, all from one source:
//   1. enough hot spares free: spare_swap;
//   2. else enough hot spares and warm standbys free together: all free hot spares, the rest
//      from the standbys, max(spare_swap, standby_swap) (the swaps run side by side);
//   3. else, with wait_for_spare, if the pools (free units plus units whose repair will return
//      them) can cover it: the free ones and the earliest returning ones; the job waits until the
//      last of them is back, then swaps (as in 1 or 2): wait + swap;
//   4. else the job is rescheduled (reschedule_wait): the scheduler supplies the nodes, the
//      pools are untouched, and the failed nodes are repaired outside them (their repairs count,
//      but return nothing to the pools), or retired by the same rule.
// Cases 3 and 4 are a spares exhaustion; their wait (3: until the node is back; 4:
// reschedule_wait) is spare_wait().
//
// A repair draws its automatic time (stream `repairs`), escalates to manual with
// escalation_probability (its extra time from the `repair_escalation` stream) and fails silently
// with silent_failure (stream `silent_repairs`). Silent failures: the failure process knows node
// ids, not machines, so ckptlab cannot make a particular machine fail sooner. Instead a node whose
// repair failed silently goes back to its pool as a free unit the pool believes healthy (its
// stand-in keeps the job's place), and the fault shows at its next use: the swap that takes it
// finds it dead on joining, so it is a failed node again (repaired or retired by its own failure
// history), and its place needs another replacement by the rules above, one more swap (or wait,
// or reschedule). Free units are taken oldest first (a FIFO per pool). Outside repairs (case 4)
// draw from their own stream `outside_repairs` and do not fail silently (the node is not this
// job's again). With the probabilities at 0 no draw changes and every result is as before.
//
// Counts add up: failed_nodes() == repairs_started() + retired_nodes() + rescheduled_nodes(),
// repairs_started() == repairs_done(now) + in_repair(now) (pool repairs), and for all repairs
// (pool and outside): failed_nodes() == repaired(now) + retired_nodes() + in_repair_total(now),
// automatic_repairs() + manual_repairs() == repairs_started() + rescheduled_nodes().
// Deterministic: every draw comes from the seed's named streams, in call order.
class SparePool {
 public:
  explicit SparePool(const RestartSpec& spec, std::uint64_t seed = 0);

  // Time to get replacements for `failed_nodes` (the FailureEvent's nodes) failing at `now`, by
  // the rules above; each failed node goes to repair (a duration drawn per node) or is retired.
  // A job cannot restart with half its nodes: all come from one source.
  // REQUIRES: failed_nodes non-empty; `now` non-decreasing over calls (checked).
  Seconds acquire(Nanos now, const std::vector<std::int64_t>& failed_nodes);

  // As above for `nodes_needed` nodes whose ids are unknown: the same pool and repairs, but no
  // failure counts, so nobody is retired. REQUIRES: nodes_needed >= 1.
  Seconds acquire(Nanos now, std::int64_t nodes_needed);

  // Spares and standbys free at `now`, counting those whose repair has ended (no state change).
  std::int64_t free_spares(Nanos now) const;
  // Of those, warm standbys.
  std::int64_t free_standbys(Nanos now) const;
  // Spares and standbys the pools still have, free or standing in; one fewer per retirement
  // with a stand-in.
  std::int64_t pool_size() const { return pool_size_[0] + pool_size_[1]; }
  // Nodes taken from the pools so far, in total.
  std::int64_t spares_used() const { return spares_used_; }
  // Replacements that found too few free spares and waited to be rescheduled.
  std::int64_t reschedules() const { return reschedules_; }
  // Failed nodes so far (a rack event counts each of its nodes; a silently faulty node found
  // dead on joining counts again).
  std::int64_t failed_nodes() const { return failed_nodes_; }
  // Failed nodes sent to repair with a pool unit standing in (or, found dead on joining, a pool
  // unit themselves).
  std::int64_t repairs_started() const { return repairs_started_; }
  // Of those, repairs finished by `now` / still running at `now`.
  std::int64_t repairs_done(Nanos now) const { return repairs_started_ - in_repair(now); }
  std::int64_t in_repair(Nanos now) const;
  // Failed nodes retired (more than retire_after failures, within retire_window if given).
  std::int64_t retired_nodes() const { return retired_nodes_; }
  // Failed nodes the scheduler replaced (no spare free) and that were not retired.
  std::int64_t rescheduled_nodes() const { return rescheduled_nodes_; }
  // All repairs, pool and outside: finished by `now` / still running at `now`.
  std::int64_t repaired(Nanos now) const;
  std::int64_t in_repair_total(Nanos now) const;
  // Repairs started by kind: automatic only, escalated to manual; and those drawn to fail
  // silently (a subset of both).
  std::int64_t automatic_repairs() const { return automatic_repairs_; }
  std::int64_t manual_repairs() const { return manual_repairs_; }
  std::int64_t silent_failures() const { return silent_failures_; }
  // Silently faulty units found dead on joining.
  std::int64_t dead_on_join() const { return dead_on_join_; }
  // Replacements by a warm standby (case 2, or 3 using a standby).
  std::int64_t standby_swaps() const { return standby_swaps_; }
  // Time the job waited for a spare (case 3) or for the reschedule (case 4), as acquire returned
  // it (the swap itself not included). A recovery cut short by another failure or the horizon
  // charges less of it to the ledger.
  Seconds spare_wait() const { return Seconds{spare_wait_s_}; }
  // Replacements that found too few spares free (cases 3 and 4).
  std::int64_t exhaustions() const { return exhaustions_; }
  // Time up to `end` during which no spare nor standby was free (with none at all: all of it).
  Seconds exhausted_time(Nanos end) const;
  // Mean time the job waited for replacement nodes per acquire (everything acquire returned).
  // 0 before the first acquire.
  Seconds mean_time_to_replacement() const;
  // Mean drawn repair duration over repairs_started(). 0 before the first.
  Seconds mean_repair_time() const;

 private:
  enum Pool : int { kHot = 0, kWarm = 1, kNone = 2 };
  struct History {             // a node's failures that count towards retirement
    int count = 0;             // without a window
    std::vector<Nanos> times;  // with a window
  };
  struct Unit {  // a free spare or standby
    bool faulty = false;
    History history;  // carried by a faulty unit (its own failures), else empty
  };
  struct Repair {
    Pool returns_to = kNone;
    bool faulty = false;
    History history;
  };
  // Free units of one pool, oldest first; healthy ones (no history) stored as runs, so a pool
  // of millions costs nothing.
  class FreeUnits {
   public:
    std::int64_t size() const { return size_; }
    void push(Unit u) {
      ++size_;
      if (!u.faulty && !runs_.empty() && !runs_.back().second.faulty) {
        ++runs_.back().first;
      } else {
        runs_.emplace_back(1, std::move(u));
      }
    }
    void push_healthy(std::int64_t n) {
      if (n <= 0) return;
      size_ += n;
      if (!runs_.empty() && !runs_.back().second.faulty) {
        runs_.back().first += n;
      } else {
        runs_.emplace_back(n, Unit{});
      }
    }
    Unit pop_front() {
      --size_;
      auto& front = runs_.front();
      if (--front.first > 0) return Unit{};
      Unit u = std::move(front.second);
      runs_.pop_front();
      return u;
    }

   private:
    std::deque<std::pair<std::int64_t, Unit>> runs_;
    std::int64_t size_ = 0;
  };
  struct Taken {
    Pool pool;
    Unit unit;
  };
  struct Round {
    bool rescheduled = false;
    std::vector<Taken> taken;  // one per node needed, unless rescheduled
    double cost_s = 0;
  };

  Seconds acquire_impl(Nanos now, std::int64_t count, const std::vector<std::int64_t>* ids);
  Round take(Nanos t, std::int64_t need);
  void release_repaired(Nanos now);
  std::int64_t total_free() const;
  Seconds draw_time(const RepairTime& r, std::mt19937_64& engine) const;
  // Starts a repair at `t` of a node whose stand-in came from (and returns to) `pool`.
  void start_repair(Nanos t, Pool pool, const History& history);
  // Counts a failure at `t`; true when the node is now to be retired (and resets its history).
  bool note_failure(History& h, Nanos t) const;

  RestartSpec spec_;
  std::mt19937_64 engine_;             // `repairs`: automatic repair times of pool repairs
  std::mt19937_64 escalation_engine_;  // `repair_escalation`
  std::mt19937_64 silent_engine_;      // `silent_repairs`
  std::mt19937_64 outside_engine_;     // `outside_repairs`
  FreeUnits free_[2];                  // free units per pool, oldest first
  std::int64_t pool_size_[2] = {0, 0};
  std::multimap<Nanos, Repair> in_repair_;  // by end time; a pool unit returns then
  std::multiset<Nanos> reserved_;           // ends of repairs whose unit a waiting job already took
  std::map<std::int64_t, History> failures_of_;  // per node id since it was (re)placed
  Nanos last_now_ = 0;
  Nanos empty_since_ = 0;  // when no unit was free any more (meaningful while none is)
  Nanos exhausted_ns_ = 0;
  std::int64_t spares_used_ = 0;
  std::int64_t reschedules_ = 0;
  std::int64_t failed_nodes_ = 0;
  std::int64_t repairs_started_ = 0;
  std::int64_t retired_nodes_ = 0;
  std::int64_t rescheduled_nodes_ = 0;
  std::int64_t automatic_repairs_ = 0;
  std::int64_t manual_repairs_ = 0;
  std::int64_t silent_failures_ = 0;
  std::int64_t dead_on_join_ = 0;
  std::int64_t standby_swaps_ = 0;
  std::int64_t exhaustions_ = 0;
  std::int64_t acquires_ = 0;
  double spare_wait_s_ = 0;
  double replacement_seconds_ = 0;
  double repair_seconds_ = 0;
};

}  // namespace ckptlab
