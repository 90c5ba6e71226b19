// Replaying a trace from a cluster of another size: which simulated node each recorded failure
// hits. Deterministic for a seed (stream trace_remap), so a sweep over seeds also varies where
// the job sits on the logged cluster, and a rerun with one seed is identical.
#pragma once

#include <cstdint>
#include <vector>

#include "cluster/cluster_spec.hpp"
#include "failure/trace_spec.hpp"

namespace ckptlab {

// The cluster node of each of trace.events, in order, under trace.remap:
//   none     the recorded id (REQUIRES: < cluster.nodes, checked)
//   modulo   id % nodes
//   random   the trace's distinct ids, shuffled, go round-robin onto a shuffled list of the
//            cluster's nodes: one-to-one when the trace has at most as many nodes, else each
//            cluster node takes ceil or floor of (trace nodes / nodes) trace nodes
//   by_rack  the trace's racks (trace.racks), shuffled, go round-robin onto a shuffled list of
//            the cluster's racks; a node lands at its place in its trace rack, modulo the size
//            of the cluster rack. Nodes of one trace rack stay in one cluster rack.
// Every event is kept, so the counts inside the window are those of the trace. Every result is
// in [0, cluster.nodes).
std::vector<std::int64_t> remap_trace_nodes(const TraceReplaySpec& trace,
                                            const ClusterSpec& cluster, std::uint64_t seed);

}  // namespace ckptlab
