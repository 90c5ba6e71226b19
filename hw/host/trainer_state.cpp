#include "hw/host/trainer_state.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "util/input_error.hpp"

namespace ckptlab::hw {
namespace {

std::span<std::uint64_t> words(std::span<std::byte> bytes) {
  return {reinterpret_cast<std::uint64_t*>(bytes.data()), bytes.size() / sizeof(std::uint64_t)};
}

}  // namespace

RankState::RankState(const RankLayout& layout, std::uint64_t seed, int tokens_per_expert)
    : layout_(layout), seed_(seed), tokens_per_expert_(tokens_per_expert) {
  std::size_t offset = 0;
  for (const ShardSpec& s : layout_.shards) {
    CKPTLAB_CHECK(s.bytes > 0 && s.bytes % kShardAlignment == 0, "shards are whole cache lines");
    offsets_.push_back(offset);
    offset += static_cast<std::size_t>(s.bytes);
  }
  offsets_.push_back(offset);
  buffer_ = HostBuffer(offset);
  for (size_t k = 0; k < layout_.shards.size(); ++k) {
    auto w = words(shard(k));
    const std::uint64_t salt = layout_.shards[k].salt;
    for (size_t i = 0; i < w.size(); ++i) w[i] = initial_word(seed_, salt, i);
  }
  shard_iteration_.assign(layout_.shards.size(), 0);
}

std::optional<std::int64_t> RankState::iteration() const {
  const std::int64_t first = shard_iteration_.empty() ? -1 : shard_iteration_.front();
  for (std::int64_t i : shard_iteration_) {
    if (i != first) return std::nullopt;
  }
  return first < 0 ? std::nullopt : std::optional(first);
}

std::optional<std::int64_t> RankState::shard_iteration(size_t k) const {
  const std::int64_t i = shard_iteration_.at(k);
  return i < 0 ? std::nullopt : std::optional(i);
}

void RankState::mark_restored(std::int64_t iteration) {
  shard_iteration_.assign(layout_.shards.size(), iteration);
}

void RankState::mark_shard_restored(size_t k, std::int64_t iteration) {
  shard_iteration_.at(k) = iteration;
}

std::span<std::byte> RankState::shard(size_t index) {
  return buffer_.span().subspan(offsets_.at(index), offsets_.at(index + 1) - offsets_[index]);
}

std::span<const std::byte> RankState::shard(size_t index) const {
  return buffer_.span().subspan(offsets_.at(index), offsets_.at(index + 1) - offsets_[index]);
}

int RankState::advance() {
  const std::optional<std::int64_t> now = iteration();
  CKPTLAB_CHECK(now.has_value(), "a destroyed rank cannot train before it is restored");
  return catch_up(*now + 1);
}

bool RankState::can_catch_up(std::int64_t to) const {
  return std::all_of(shard_iteration_.begin(), shard_iteration_.end(),
                     [to](std::int64_t i) { return i >= 0 && i <= to; });
}

int RankState::catch_up(std::int64_t to) {
  std::int64_t from = to;
  for (std::int64_t i : shard_iteration_) {
    CKPTLAB_CHECK(i >= 0, "a destroyed shard cannot catch up before it is restored");
    CKPTLAB_CHECK(i <= to, "a shard cannot catch up backwards");
    from = std::min(from, i);
  }
  int updated = 0;
  for (std::int64_t n = from + 1; n <= to; ++n) {
    const std::vector<std::int64_t> tokens = route_tokens(layout_, seed_, n, tokens_per_expert_);
    for (size_t k = 0; k < layout_.shards.size(); ++k) {
      if (shard_iteration_[k] >= n) continue;  // already holds iteration n
      const ShardSpec& s = layout_.shards[k];
      // Dense shards see every token; an expert group is updated only when it received tokens.
      const std::int64_t t =
          s.expert_group < 0 ? tokens_per_expert_ : tokens[static_cast<size_t>(s.expert_group)];
      shard_iteration_[k] = n;
      if (t == 0) continue;
      const std::uint64_t key = update_key(seed_, s.salt, n, t);
      auto w = words(shard(k));
      for (size_t i = 0; i < w.size(); ++i) w[i] = update_word(w[i], key, i);
      ++updated;
    }
  }
  return updated;
}

std::uint64_t RankState::checksum() const { return XXH3_64bits(buffer_.data(), buffer_.size()); }

void RankState::destroy() {
  std::memset(buffer_.data(), 0xDE, buffer_.size());
  shard_iteration_.assign(layout_.shards.size(), -1);
}

TrainerState::TrainerState(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert)
    : layout_(layout), seed_(seed), tokens_per_expert_(tokens_per_expert) {
  if (tokens_per_expert < 1) throw std::invalid_argument("tokens_per_expert must be >= 1");
  ranks_.reserve(layout_.ranks.size());
  for (const RankLayout& r : layout_.ranks) ranks_.emplace_back(r, seed, tokens_per_expert);
}

std::int64_t TrainerState::iteration() const {
  CKPTLAB_CHECK(!ranks_.empty(), "a trainer has at least one rank");
  const std::optional<std::int64_t> first = ranks_.front().iteration();
  for (const RankState& r : ranks_) {
    CKPTLAB_CHECK(r.iteration().has_value() && r.iteration() == first,
                  "every rank must hold the same iteration");
  }
  return *first;
}

int TrainerState::advance() {
  iteration();  // checks that every rank is alive and in step
  int updated = 0;
  for (RankState& r : ranks_) updated += r.advance();
  return updated;
}

std::vector<std::uint64_t> TrainerState::checksums() const {
  std::vector<std::uint64_t> out;
  for (const RankState& r : ranks_) out.push_back(r.checksum());
  return out;
}

ReferenceChecksums::ReferenceChecksums(const HarnessLayout& layout, std::uint64_t seed,
                                       int tokens_per_expert, std::int64_t iterations)
    : iterations_(iterations),
      seed_(seed),
      tokens_per_expert_(tokens_per_expert),
      sums_(static_cast<size_t>(iterations + 1), std::vector<std::uint64_t>(layout.ranks.size())) {
  if (iterations < 0) throw std::invalid_argument("reference iterations must be >= 0");
  for (size_t r = 0; r < layout.ranks.size(); ++r) {
    RankState state(layout.ranks[r], seed, tokens_per_expert);
    for (std::int64_t n = 0; n <= iterations; ++n) {
      if (n > 0) state.advance();
      sums_[static_cast<size_t>(n)][r] = state.checksum();
    }
  }
}

std::uint64_t ReferenceChecksums::at(std::int64_t n, int rank) const {
  if (n < 0 || n > iterations_) throw std::out_of_range("reference iteration out of range");
  return sums_[static_cast<size_t>(n)].at(static_cast<size_t>(rank));
}

std::vector<int> ReferenceChecksums::mismatching_ranks(const TrainerState& state,
                                                       std::int64_t n) const {
  std::vector<int> bad;
  for (int r = 0; r < state.world(); ++r) {
    const RankState& rs = state.rank(r);
    if (rs.iteration() != n || rs.checksum() != at(n, r)) bad.push_back(r);
  }
  return bad;
}

}  // namespace ckptlab::hw
