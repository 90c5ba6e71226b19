// Deterministic random draws for the failure processes.
//
// A failure stream must be the same on every machine for a given seed, or results would not be
// reproducible across CI, laptops and clusters. The standard's distributions
// (std::exponential_distribution, ...) have implementation-defined algorithms, so they are
// banned here. std::mt19937_64's output sequence is fixed by the standard; every draw below is a
// fixed function of that sequence (inverse-CDF sampling, unbiased rejection for integers).
// The transcendental functions (log1p, pow) come from the C library; glibc and other common libms
// agree on them to the last bit or so. Event times are rounded to whole nanoseconds, which hides
// such differences in practice.
#pragma once

#include <cstdint>
#include <random>

namespace ckptlab {

// One engine per stream of a seed. Enabling one stream (rack events, say) must leave every other
// stream's numbers unchanged, so streams never share an engine.
enum class RandomStream : std::uint64_t {
  node_failures = 1,    // per-node exponential or Weibull failure times and node choice
  domain_failures = 2,  // correlated (rack) events and rack choice
  failure_kinds = 3,    // the kind of each random node failure
  trace_remap = 4,      // remap: random | by_rack of a replayed trace's nodes
  repairs = 5,          // repair durations of failed nodes (restart_model.hpp)
  // The values below were first given as bare numbers; they stay as they are so that seeds give
  // the same draws.
  repair_escalation = 101,  // which automatic repairs escalate to manual, and how long
  silent_repairs = 102,     // which repairs leave the node faulty
  outside_repairs = 103,    // repairs of rescheduled nodes, outside the pools
  bad_node_choice = 104,    // which node ids are systematically bad (failures.bad_nodes)
  bad_node_failures = 105,  // the bad nodes' extra failure times
  bad_node_kinds = 106,     // the kinds of those extra failures
};

// The engine seed for `stream` of the scenario seed `seed`. It is a SplitMix64 finaliser of both,
// so nearby seeds (1, 2, 3, ...) and different streams give unrelated engine states.
std::uint64_t stream_seed(std::uint64_t seed, RandomStream stream);

// A uniform double in [0, 1) from the top 53 bits of one 64-bit draw. Every value is a multiple
// of 2^-53, and 1.0 never occurs.
inline double uniform01(std::mt19937_64& engine) {
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

// An exponential variate with mean `mean` by inverse CDF: -mean * log1p(-u). It is finite
// because u < 1. REQUIRES: mean > 0.
double draw_exponential(std::mt19937_64& engine, double mean);

// A Weibull variate with shape k and scale lambda by inverse CDF: lambda * (-log1p(-u))^(1/k).
// REQUIRES: shape > 0, scale > 0.
double draw_weibull(std::mt19937_64& engine, double shape, double scale);

// A lognormal variate with median `median` and log-space standard deviation `sigma` by inverse
// CDF: median * exp(sigma * Phi^-1(u)), Phi^-1 from Boost.Math's erfc_inv (a fixed rational
// approximation). u is the midpoint of its 2^-53 cell, so it is never 0 and the result is finite.
// REQUIRES: median > 0, sigma >= 0.
double draw_lognormal(std::mt19937_64& engine, double median, double sigma);

// A uniform integer in [0, n). x % n over 64-bit draws favours small values when n does not
// divide 2^64, so draws below 2^64 mod n are rejected (at most one retry in 2^64/n draws).
// REQUIRES: n >= 1.
std::uint64_t draw_below(std::mt19937_64& engine, std::uint64_t n);

}  // namespace ckptlab
