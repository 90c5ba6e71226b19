#include "moe/pec_writes_cache.hpp"

#include <xxhash.h>

#include "util/input_error.hpp"

namespace ckptlab {

static_assert(sizeof(Bytes) == sizeof(std::int64_t), "Bytes vectors are hashed as int64 arrays");

std::uint64_t hash_rank_bytes(const std::vector<Bytes>& bytes) {
  return XXH3_64bits(bytes.data(), bytes.size() * sizeof(Bytes));
}

void PecWritesCache::configure(unsigned skip, CheckpointSharding sharding) {
  skip_ = skip;
  sharding_ = sharding;
  configured_ = true;
  entries_.clear();
  next_ = 0;
}

PecWritesCache::Entry& PecWritesCache::get(const ExpertMask& mask) {
  CKPTLAB_CHECK(configured_, "PecWritesCache::get before configure");
  const std::uint64_t h = XXH3_64bits(mask.data(), mask.size());
  for (Entry& e : entries_) {
    if (e.mask_hash == h && e.mask == mask) return e;
  }
  Entry entry;
  entry.mask_hash = h;
  entry.mask = mask;
  entry.bytes = layout_.write_bytes(mask, skip_, sharding_);
  entry.bytes_hash = hash_rank_bytes(entry.bytes);
  if (entries_.size() < kEntries) {
    entries_.push_back(std::move(entry));
    return entries_.back();
  }
  Entry& slot = entries_[next_];
  next_ = (next_ + 1) % kEntries;
  slot = std::move(entry);
  return slot;
}

}  // namespace ckptlab
