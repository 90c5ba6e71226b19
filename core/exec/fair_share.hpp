// Max-min fair sharing of one resource between concurrent flows, in closed form.
#pragma once

#include <vector>

#include "util/units.hpp"

namespace ckptlab {

// Makespan of flows of the given sizes that start together and share a resource of capacity
// `shared`, each flow also capped at `per_flow`: at any moment the k active flows each get
// min(per_flow, shared / k), and a flow that finishes frees its share for the others
// (progressive filling). Zero-byte flows take no time. REQUIRES: positive rates.
Seconds fair_share_makespan(std::vector<Bytes> flows, BytesPerSecond per_flow, BytesPerSecond shared);

}  // namespace ckptlab
