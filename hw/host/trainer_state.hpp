// The synthetic MoE trainer state of the host backend: every harness rank's shards (a
// HarnessLayout) in host memory, advanced one iteration at a time by the deterministic update of
// hw/common/state_layout.hpp, so the state after iteration n is a pure function of (seed, n).
// Recovery is checked against ReferenceChecksums, computed by an independent state that never
// fails.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hw/common/state_layout.hpp"
#include "hw/host/host_buffer.hpp"

namespace ckptlab::hw {

// One rank's state: its shards back to back in one buffer (shards are multiples of 64 bytes, so
// the buffer is exactly the concatenation and one XXH3 over it is the rank's checksum).
class RankState {
 public:
  // Builds the iteration-0 state. `tokens_per_expert` is the router's draw count.
  RankState(const RankLayout& layout, std::uint64_t seed, int tokens_per_expert);

  const RankLayout& layout() const { return layout_; }
  // The iteration every shard of this rank holds, or nullopt after destroy() until restored, and
  // while its shards hold different iterations (a sparse checkpoint was loaded; catch_up()).
  std::optional<std::int64_t> iteration() const;
  // The iteration shard k holds (nullopt: destroyed).
  std::optional<std::int64_t> shard_iteration(size_t k) const;
  std::span<std::byte> shard(size_t index);
  std::span<const std::byte> shard(size_t index) const;
  std::span<const std::byte> bytes() const { return buffer_.span(); }

  // Iteration n -> n + 1: rewrites every dense shard and every shard of an expert group that
  // the router sent tokens to in iteration n + 1. Returns the shards updated.
  // REQUIRES: iteration() has a value (CKPTLAB_CHECK).
  int advance();
  // Brings every shard to iteration `to` by replaying the updates it missed, iteration by
  // iteration (a shard restored from an older iteration than the others: MoEtion's
  // sparse-to-dense conversion, or a localized replay). Returns the shard updates applied.
  // REQUIRES: every shard holds an iteration, none after `to` (CKPTLAB_CHECK).
  int catch_up(std::int64_t to);
  // Whether catch_up(to) may be called: every shard restored, none after `to`.
  bool can_catch_up(std::int64_t to) const;
  // XXH3-64 of the whole state, shards in canonical order.
  std::uint64_t checksum() const;
  // A failure: overwrites every byte with a poison pattern and forgets the iteration.
  void destroy();
  // The executor wrote version `iteration` into every shard (a load finished).
  void mark_restored(std::int64_t iteration);
  // The executor wrote shard k as it was at `iteration`.
  void mark_shard_restored(size_t k, std::int64_t iteration);

 private:
  RankLayout layout_;
  std::uint64_t seed_;
  int tokens_per_expert_;
  std::vector<std::size_t> offsets_;
  HostBuffer buffer_;
  std::vector<std::int64_t> shard_iteration_;  // per shard; -1: destroyed
};

// All harness ranks of one job.
class TrainerState {
 public:
  TrainerState(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert = 4);

  const HarnessLayout& layout() const { return layout_; }
  std::uint64_t seed() const { return seed_; }
  int tokens_per_expert() const { return tokens_per_expert_; }
  int world() const { return static_cast<int>(ranks_.size()); }
  RankState& rank(int r) { return ranks_.at(static_cast<size_t>(r)); }
  const RankState& rank(int r) const { return ranks_.at(static_cast<size_t>(r)); }

  // The iteration every rank holds. REQUIRES: all ranks hold one (CKPTLAB_CHECK): training
  // cannot continue while a rank's state is destroyed or at another version.
  std::int64_t iteration() const;
  // Advances every rank by one iteration; returns the shards updated over all ranks.
  int advance();
  // Per-rank checksums, rank order.
  std::vector<std::uint64_t> checksums() const;

 private:
  HarnessLayout layout_;
  std::uint64_t seed_;
  int tokens_per_expert_;
  std::vector<RankState> ranks_;
};

// checksum of rank r after iteration n, for n in [0, iterations], computed rank by rank on a
// separate state (one rank's memory at a time).
class ReferenceChecksums {
 public:
  ReferenceChecksums(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert,
                     std::int64_t iterations);
  std::int64_t iterations() const { return iterations_; }
  std::uint64_t seed() const { return seed_; }
  int tokens_per_expert() const { return tokens_per_expert_; }
  // REQUIRES: 0 <= n <= iterations(), 0 <= rank < world (std::out_of_range).
  std::uint64_t at(std::int64_t n, int rank) const;
  // Ranks of `state` whose checksum differs from the reference at `n` (empty: bit-exact).
  std::vector<int> mismatching_ranks(const TrainerState& state, std::int64_t n) const;

 private:
  std::int64_t iterations_;
  std::uint64_t seed_;
  int tokens_per_expert_;
  std::vector<std::vector<std::uint64_t>> sums_;  // [n][rank]
};

}  // namespace ckptlab::hw
