// The word-level rules of the synthetic trainer state (state_layout.hpp): how a shard's words
// start and how an iteration rewrites them. Integer-only and dependency-free, so that nvcc
// compiles the same functions for the device-resident state and the host reference agrees with
// it bit for bit.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CKPTLAB_HD __host__ __device__
#else
#define CKPTLAB_HD
#endif

namespace ckptlab::hw {

// splitmix64 (Steele, Lea, Flood 2014): the one mixing function of the state generator.
CKPTLAB_HD inline constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Word i of a shard in the initial state (iteration 0).
CKPTLAB_HD inline constexpr std::uint64_t initial_word(std::uint64_t seed, std::uint64_t salt,
                                                       std::uint64_t i) {
  return splitmix64(seed ^ splitmix64(salt + i));
}

// The key of one shard's update in iteration n with `tokens` tokens routed to it.
CKPTLAB_HD inline constexpr std::uint64_t update_key(std::uint64_t seed, std::uint64_t salt,
                                                     std::int64_t n, std::int64_t tokens) {
  return splitmix64(
      seed ^ splitmix64(salt ^ splitmix64(static_cast<std::uint64_t>(n) * 0x2545F4914F6CDD1Dull +
                                          static_cast<std::uint64_t>(tokens))));
}

// One word of an update: data-dependent (a lost or stale word changes every later value) and
// cheap enough that an update is bound by memory bandwidth, as an optimizer step is.
CKPTLAB_HD inline constexpr std::uint64_t update_word(std::uint64_t x, std::uint64_t key,
                                                      std::uint64_t i) {
  x ^= key + i * 0x9E3779B97F4A7C15ull;
  x *= 0xFF51AFD7ED558CCDull;
  return x ^ (x >> 29);
}

}  // namespace ckptlab::hw
