// The Catalog records which checkpoint versions (iteration numbers) are complete on which tier.
// A version becomes visible only when its write has finished: a failure during a write aborts
// it and the previous complete version stays in force, so recovery never loads a torn state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "plan/plan.hpp"

namespace ckptlab {

class Catalog {
 public:
  // Version `iteration` starts being written to `tier`.
  void begin(std::int64_t iteration, Tier tier);
  // The write of the in-flight version to `tier` finished. REQUIRES: it was begun and not aborted.
  void complete(std::int64_t iteration, Tier tier);
  // Every in-flight write is abandoned (a failure struck); complete versions are unaffected.
  void abort_in_flight();
  // Makes `iteration` complete on `tier` without a write (the initial state of a job).
  void seed(std::int64_t iteration, Tier tier);
  // The job rolled back to `iteration`: versions after it belong to an abandoned history and
  // are forgotten on every tier.
  void discard_after(std::int64_t iteration);

  std::optional<std::int64_t> newest_complete(Tier tier) const;
  std::optional<std::int64_t> in_flight(Tier tier) const;

 private:
  static constexpr size_t kTiers = 5;
  static constexpr size_t kKeptVersions = 64;  // per tier; older ones are never restored
  std::array<std::vector<std::int64_t>, kTiers> complete_{};  // ascending
  std::array<std::optional<std::int64_t>, kTiers> in_flight_{};
};

}  // namespace ckptlab
