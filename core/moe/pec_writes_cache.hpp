// Per-rank writes (PecLayout::write_bytes) of recently seen expert sets. Computing them is a
// pass over every rank and module, and sets repeat: the snapshot set is often every expert, and
// sequential selections (or load-aware ones under balanced routing) repeat with period E/K. The
// writes are a pure function of the set, so the cache changes no result; eviction is
// round-robin, so it is deterministic too.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "moe/pec_layout.hpp"

namespace ckptlab {

// XXH3 of a per-rank byte vector: plans with equal bytes per rank are the same plan (executors
// memoize timings by plan signature).
std::uint64_t hash_rank_bytes(const std::vector<Bytes>& bytes);

class PecWritesCache {
 public:
  struct Entry {
    std::uint64_t mask_hash = 0;
    ExpertMask mask;
    std::vector<Bytes> bytes;
    std::uint64_t bytes_hash = 0;
    std::optional<Seconds> snapshot_seconds;  // the snapshot's time, once a caller has asked
  };

  // Keeps a reference to `layout`, which must outlive the cache.
  explicit PecWritesCache(const PecLayout& layout) : layout_(layout) {}
  // What unsaved experts skip and the layout; clears the cache. REQUIRES: called before get().
  void configure(unsigned skip, CheckpointSharding sharding);
  // The writes of `mask`. The reference is valid until the next call.
  Entry& get(const ExpertMask& mask);

 private:
  static constexpr size_t kEntries = 64;
  const PecLayout& layout_;
  unsigned skip_ = 0;
  CheckpointSharding sharding_ = CheckpointSharding::kMegatron;
  bool configured_ = false;
  std::vector<Entry> entries_;
  size_t next_ = 0;
};

}  // namespace ckptlab
