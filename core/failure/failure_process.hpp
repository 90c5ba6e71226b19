// Failure processes: where failures come from, as a stream of events over wall time.
//
// A process is independent of what the job does. Hardware fails whether the job trains,
// checkpoints or restarts, so the job state machine pulls events and decides what each one
// interrupts. Every process is deterministic for a given (spec, cluster, seed).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "cluster/cluster_spec.hpp"
#include "failure/failure_event.hpp"
#include "failure/failure_spec.hpp"
#include "util/units.hpp"

namespace ckptlab {

// No process generates a failure later than this. The Nanos clock ends at about 292 years, and
// no simulated job runs for centuries. A process whose next failure would fall later ends there
// (next() returns std::nullopt).
constexpr double kMaxFailureTimeSeconds = 250.0 * 365 * 86400;

class FailureProcess {
 public:
  virtual ~FailureProcess() = default;
  FailureProcess() = default;
  FailureProcess(const FailureProcess&) = delete;
  FailureProcess& operator=(const FailureProcess&) = delete;

  // The next failure after the previous one returned. Times are non-decreasing; simultaneous
  // failures (a trace burst, a rack event and a node failure) come one call each, in a
  // deterministic order. Returns std::nullopt when the process has no more failures (a trace
  // without loop, model none, or past kMaxFailureTimeSeconds). After that, it keeps returning
  // std::nullopt.
  virtual std::optional<FailureEvent> next() = 0;
};

// The process a spec describes on `cluster`, drawing from engines derived from `seed`
// (random_draws.hpp).
//   exponential: one cluster-wide Poisson stream, rate nodes / mtbf_node, with a uniform node
//   weibull:     every node its own renewal process, new at t = 0
//   trace:       the kept trace events, nodes remapped as trace.remap says (random and by_rack
//                from the seed's trace_remap stream)
//   none:        no events
// With `correlated`, rack events from their own Poisson stream are merged in. They use their own
// engine, so adding them leaves the node events unchanged. Random node failures get a kind from
// spec.kinds by weight, with its own engine. Trace events keep their recorded kind.
// REQUIRES: `spec` was decoded for a cluster with the same node count (checked).
std::unique_ptr<FailureProcess> make_failure_process(const FailureSpec& spec,
                                                     const ClusterSpec& cluster,
                                                     std::uint64_t seed);

// Merges two processes by time. On equal times `first`'s event comes first, so the merged order
// is deterministic.
std::unique_ptr<FailureProcess> merge_failure_processes(std::unique_ptr<FailureProcess> first,
                                                        std::unique_ptr<FailureProcess> second);

}  // namespace ckptlab
