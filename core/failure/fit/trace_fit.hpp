// What a failure log says about a cluster: lifetime fits of the cluster-wide gaps between
// failures and of each node's times between failures, rates per kind, bursts and rack
// correlation. `ckptlab failures fit` prints this and turns it into a scenario's `failures:`.
//
// Pure: the caller reads and filters the trace (kinds, window) and passes its records.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "failure/failure_trace.hpp"
#include "failure/fit/lifetime_fit.hpp"
#include "failure/trace_racks.hpp"

namespace ckptlab {

struct TraceFitOptions {
  // Nodes of the cluster the log covers. 0: only the nodes that appear (then nodes that never
  // failed are missing from the per-node fit, which overstates their failure rate).
  std::int64_t nodes = 0;
  // The observation period [0, period_s] (the trace end, or the window's length). > 0.
  double period_s = 0;
  // The log's clock tick; gaps up to it are below resolution (lifetime_fit.hpp). 0: the smallest
  // positive gap between two distinct event times, or 1 s when there is none.
  double resolution_s = 0;
  double burst_window_s = 60;  // events this close to another are one incident
};

struct KindRate {
  std::string kind;
  std::size_t events = 0;
  double per_1000_node_days = 0;
};

struct BurstStats {
  std::size_t events_in_bursts = 0;  // events within the window of another event
  double share = 0;                  // of all events
  std::size_t incidents = 0;         // events chained by gaps <= window, merged
  std::size_t multi_node_incidents = 0;
  std::size_t largest_incident_nodes = 0;  // distinct nodes
};

struct RackCorrelation {
  std::size_t racks = 0;
  std::size_t multi_node_incidents = 0;  // incidents with >= 2 distinct nodes
  std::size_t sharing_rack = 0;          // ... of which two or more nodes share a rack
  // The same count expected if each incident's nodes were drawn at random from the cluster:
  // sum over those incidents of P(some two of m random nodes share a rack).
  double expected_sharing_rack = 0;
};

struct TraceFit {
  std::size_t events = 0;
  std::int64_t nodes = 0;  // as used for rates: options.nodes, or the nodes seen
  bool nodes_given = false;
  std::size_t failing_nodes = 0;
  double period_s = 0;
  double resolution_s = 0;
  double burst_window_s = 0;
  std::vector<KindRate> kinds;  // by events, most first; ties by name
  double per_1000_node_days = 0;
  // Fits in the order exponential, weibull, lognormal.
  std::array<LifetimeFit, 3> cluster;   // gaps between consecutive events of the whole cluster
  std::array<LifetimeFit, 3> per_node;  // every node's times between failures
  BurstStats bursts;
  std::optional<RackCorrelation> racks;
};

inline constexpr std::array<LifetimeModel, 3> kLifetimeModels = {
    LifetimeModel::exponential, LifetimeModel::weibull, LifetimeModel::lognormal};

// The resolution fit_trace uses when options.resolution_s is 0 (see TraceFitOptions).
double trace_resolution_s(const std::vector<TraceRecord>& records);

// Cluster-wide gaps: each gap between consecutive events is a lifetime, and the time from the
// last event to period_s is censored. The time before the first event is not used: it is not
// a gap between failures. REQUIRES: records sorted by time, within [0, period_s].
LifetimeSample cluster_gap_sample(const std::vector<TraceRecord>& records, double period_s,
                                  double resolution_s);

// Per-node times between failures, each node taken as new at time 0 (the renewal model a
// scenario's `model: weibull` runs): for a node failing at t1 < t2 < ..., the lifetimes t1,
// t2 - t1, ..., and period_s - t_last censored. With nodes > 0, every node 0..nodes-1 takes
// part, and one that never failed is censored at period_s. REQUIRES: sorted records within
// [0, period_s]; node ids < nodes when nodes > 0 (checked).
LifetimeSample node_lifetime_sample(const std::vector<TraceRecord>& records, std::int64_t nodes,
                                    double period_s, double resolution_s);

// P(some two of m nodes drawn without replacement from racks of the given sizes share a
// rack). 0 for m < 2; 1 when m exceeds the number of racks.
double chance_of_shared_rack(const std::map<std::int64_t, std::int64_t>& rack_nodes, std::size_t m);

// The whole analysis. `racks` (one entry per record) enables the rack correlation.
// REQUIRES: records non-empty, sorted, within [0, options.period_s]; racks, when given, sized
// like records (checked).
TraceFit fit_trace(const std::vector<TraceRecord>& records, const TraceFitOptions& options,
                   const TraceRacks* racks = nullptr);

}  // namespace ckptlab
