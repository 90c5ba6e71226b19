// The reference a job checks its state against once a recovery was lossy (RecoveryPlan::lossy:
// MoC-System restores experts from the checkpoint that last saved them, and training goes on from
// that older state). The state is then no longer a pure function of (seed, n), so the
// precomputed ReferenceChecksums no longer apply.
//
// A shadow copy of the trainer state, which never fails, follows the job instead: it advances
// with the same update rule and records every shard's XXH3 at every iteration it passes. After a
// lossy load, each restored shard must hold exactly what that shard held at the iteration its
// copy was taken (the shard's restored iteration), which the shadow recorded when it passed it:
// the checkpoint, persist and load paths are checked bit for bit, shard by shard. The shadow then
// takes the verified state as the new starting point at the restored version (a new branch:
// records after that version are dropped, they belong to the future the rollback discarded).
//
// The shadow advances lazily, only when a check needs it, so that its work falls where the job
// is paused (nothing in flight); the job takes that time off its clock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw/common/harness_backend.hpp"
#include "hw/host/trainer_state.hpp"

namespace ckptlab::hw {

class LossyReference {
 public:
  // The shadow starts at iteration 0, as the job does.
  LossyReference(const HarnessLayout& layout, std::uint64_t seed, int tokens_per_expert);

  std::int64_t iteration() const { return shadow_.iteration(); }
  // Advances the shadow to iteration `n` (no-op when it is there), recording shard hashes.
  // REQUIRES: n >= iteration() (CKPTLAB_CHECK).
  void advance_to(std::int64_t n);

  // Checks every rank of `backend` after a load that restored version `version`: each shard
  // must be at an iteration at or before `version` that the shadow passed on the current branch
  // or an earlier one, with that iteration's content. Returns the ranks with a wrong shard, and
  // counts shards restored from before `version` in `stale`. REQUIRES: the shadow is at or past
  // every shard's iteration (advance_to the failure point first).
  std::vector<int> check_restored(const HarnessBackend& backend, std::int64_t version,
                                  std::int64_t& stale, std::vector<std::string>& problems) const;

  // The job resumes from `version` with `backend`'s (checked) state: the shadow copies it, forgets
  // what it recorded after `version` and records the new state as `version`.
  void resume_from(const HarnessBackend& backend, std::int64_t version);

  // XXH3 of the shadow's rank `rank` (shards in order), to compare with the job's at the end.
  std::uint64_t checksum(int rank) const { return shadow_.rank(rank).checksum(); }

 private:
  void record();  // every shard's hash at the shadow's iteration

  TrainerState shadow_;
  // [rank][shard]: iteration -> XXH3 of the shard's content there.
  std::vector<std::vector<std::map<std::int64_t, std::uint64_t>>> seen_;
};

}  // namespace ckptlab::hw
