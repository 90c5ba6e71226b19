#include "hw/validate/lossy_reference.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>

#include "util/input_error.hpp"

namespace ckptlab::hw {

LossyReference::LossyReference(const HarnessLayout& layout, std::uint64_t seed,
                               int tokens_per_expert)
    : shadow_(layout, seed, tokens_per_expert) {
  for (const RankLayout& r : layout.ranks) seen_.emplace_back(r.shards.size());
  record();
}

void LossyReference::record() {
  const std::int64_t n = shadow_.iteration();
  for (int r = 0; r < shadow_.world(); ++r) {
    const RankState& rs = shadow_.rank(r);
    for (size_t k = 0; k < rs.layout().shards.size(); ++k) {
      const auto s = rs.shard(k);
      seen_[static_cast<size_t>(r)][k][n] = XXH3_64bits(s.data(), s.size());
    }
  }
}

void LossyReference::advance_to(std::int64_t n) {
  CKPTLAB_CHECK(n >= shadow_.iteration(), "the shadow state never goes back");
  while (shadow_.iteration() < n) {
    shadow_.advance();
    record();
  }
}

std::vector<int> LossyReference::check_restored(const HarnessBackend& backend, std::int64_t version,
                                                std::int64_t& stale,
                                                std::vector<std::string>& problems) const {
  std::vector<int> bad;
  for (int r = 0; r < backend.world(); ++r) {
    const RankLayout& layout = backend.layout().ranks[static_cast<size_t>(r)];
    bool ok = true;
    for (size_t k = 0; k < layout.shards.size(); ++k) {
      const std::optional<std::int64_t> at = backend.shard_iteration(r, k);
      const auto& seen = seen_[static_cast<size_t>(r)][k];
      const auto it = at ? seen.find(*at) : seen.end();
      if (!at || *at > version || it == seen.end()) {
        ok = false;
        problems.push_back(fmt::format(
            "rank {} shard {}: restored {}, which no copy at or before version {} holds", r,
            layout.shards[k].id, at ? fmt::format("as iteration {}", *at) : "nothing", version));
        continue;
      }
      if (*at < version) ++stale;
      if (backend.shard_checksum(r, k) != it->second) {
        ok = false;
        problems.push_back(fmt::format("rank {} shard {}: content differs from iteration {}", r,
                                       layout.shards[k].id, *at));
      }
    }
    if (!ok) bad.push_back(r);
  }
  return bad;
}

void LossyReference::resume_from(const HarnessBackend& backend, std::int64_t version) {
  for (int r = 0; r < shadow_.world(); ++r) {
    RankState& rs = shadow_.rank(r);
    for (size_t k = 0; k < rs.layout().shards.size(); ++k) backend.read_shard(r, k, rs.shard(k));
    rs.mark_restored(version);
    for (auto& shard : seen_[static_cast<size_t>(r)]) {
      shard.erase(shard.upper_bound(version), shard.end());
    }
  }
  record();
}

}  // namespace ckptlab::hw
