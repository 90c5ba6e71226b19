// HostExecutor: the host backend (DESIGN.md §5 "hw"). It executes a Plan's ops for real on a
// TrainerState and reports steady-clock op times, so every path of the harness runs in CI
// without a GPU, with several ranks as threads of one process:
//   snapshot  (GPU -> host)       memcpy of a rank's shards into one of two page-locked host
//                                 slots per rank (double-buffered: a torn snapshot never
//                                 overwrites the newest complete one)
//   replicate (host -> peer host) the rank's snapshot over loopback TCP to rank (r + k) % world
//                                 (k = HarnessLayout::peer_offset(): a rank on another node),
//                                 framed and XXH3-checked, into a double-buffered replica slot
//   persist   (host -> disk)      the snapshot as checksummed shard files, temp + fsync +
//                                 rename, plus a manifest (CheckpointStore), old versions pruned
//   load      (tier -> GPU)       host slot memcpy, replica back over TCP from (r + k) % world,
//                                 or read + verify from disk (page cache dropped first: a
//                                 replacement node reads cold); a version that fails verification
//                                 on any rank is dropped for every rank and the next older
//                                 complete one is used (reported)
//   transfer                      peer host -> host: the rank fetches its replica from rank
//                                 (r + k) % world into its own host slot (a replacement node
//                                 getting its state back); otherwise the rank's shards over TCP
//                                 to the next rank (checked, dropped)
//   recompute / replay            waited out for `compute` (the harness job loop recomputes lost
//                                 iterations for real); barrier: nothing
// Per-shard ops (OpShards::per_shard, MoC-System's partial checkpoints): a snapshot updates the
// host copy of each shard it names (two copies per shard, so a torn snapshot keeps the previous
// one), a persist writes the named shards as its version's files, and a load restores each named
// shard from its newest copy at or before the load version on its tier: host memory, or the
// newest complete version on disk whose files hold it (a damaged copy falls back to an older
// one, reported). Shards restored from older copies stay at the iteration they hold; a load from
// disk also leaves the restored shard in host memory as the load version (it passes through
// host memory on its way to the GPU), and copies newer than the load version are forgotten.
// An op's rank_bytes[r] selects rank r's leading shards (canonical order) until at least that
// many bytes are covered: the harness scales plans so that a whole-state op covers exactly the
// whole state (PlanScaler). An op of a HarnessPlan with OpShards moves the shards it names
// instead (MoEtion's sparse snapshots and their replicas): those go to a second pair of host
// and replica slots per rank, in which a window is built over several plans, each shard tagged
// with the iteration it was captured at; the window's version is complete once the op that
// completes it finds every shard there. Loads tag every shard of the state with the iteration
// they restored (RankState::mark_shard_restored), so a window restores a rank whose shards are
// at different iterations, which RankState::catch_up then brings in step. Ops that read the
// GPU tier see the live state: the caller must not advance the state while
// gpu_reads_in_flight().
//
// Failure injection: a FailureHook is called before each shard of a snapshot and after each
// shard of a persist is staged but not yet renamed; it may throw InjectedFailure, which fails
// that rank's part of the op (and cancels the other ranks' at their next shard), leaving the
// version incomplete on that tier exactly as a crash would.
//
// Policies must be built with an analytic executor: their constructors time full-size plans,
// which the host executor would try to run.
#pragma once

#include <array>
#include <atomic>
#include <barrier>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "hw/common/harness_plan.hpp"
#include "hw/common/plan_report.hpp"
#include "hw/common/plan_runner.hpp"
#include "hw/host/host_buffer.hpp"
#include "hw/host/loopback.hpp"
#include "hw/host/trainer_state.hpp"
#include "hw/persist/checkpoint_store.hpp"

namespace ckptlab::hw {

struct HostExecutorOptions {
  std::filesystem::path storage_dir;     // Tier::kStorage (a shared-storage mount on a cluster)
  std::filesystem::path local_disk_dir;  // Tier::kLocalDisk; empty: same as storage_dir + "-local"
  int keep_versions = 2;                 // complete versions kept per disk tier (>= 2, so that
                                         // a corrupt newest one has a fallback)
  Seconds socket_timeout{30};
  bool lock_buffers = true;  // mlock the host slots (pinned-memory analogue)
  bool cold_reads = true;    // loads read from the device, not the page cache the
                             // writer left (a replacement node has a cold cache)
};

class HostExecutor final : public Executor {
 public:
  // Opens the checkpoint directories and connects the ring of loopback sockets (rank r to
  // r + 1). Throws ShardFileError / LoopbackError when it cannot. `state` must outlive this.
  HostExecutor(TrainerState& state, HostExecutorOptions options);
  ~HostExecutor() override;

  // start() + finish(); throws std::runtime_error listing the failed ops when not ok.
  PlanTiming execute(const Plan& plan) override { return execute(HarnessPlan{plan, {}}); }
  PlanTiming execute(const HarnessPlan& plan);
  std::string backend_name() const override { return "host"; }
  std::string method() const override;

  // Starts `plan` and returns when its blocking ops have ended (or failed); the others continue
  // on their threads. REQUIRES: nothing in flight (finish() the previous plan first); every op's
  // rank_bytes empty or sized to the world (std::invalid_argument otherwise).
  void start(const HarnessPlan& plan);
  void start(const Plan& plan) { start(HarnessPlan{plan, {}}); }
  // Allocates (and faults in) the host buffers `plan` needs, as start() would on first use: a
  // job reserves its buffers before its clock starts, as a real one pins its host memory at
  // start-up. REQUIRES: nothing in flight.
  void reserve(const HarnessPlan& plan);
  bool in_flight() const { return runner_ != nullptr; }
  // Some op of the started plan is still running.
  bool running() const;
  bool gpu_reads_in_flight() const;
  // Waits until no op of the started plan reads the live state any more.
  void wait_gpu_reads();
  // Waits for every op of the started plan and reports. REQUIRES: in_flight().
  PlanReport finish();
  // Asks the started plan's tasks to stop at their next shard (a failure struck); finish() then
  // reports what completed before.
  void cancel();

  // REQUIRES: nothing in flight.
  void set_failure_hook(FailureHook hook);
  // The version loads restore (nullopt: the newest complete on the load's source tier). A load
  // never restores a newer version than this; it may fall back to an older one.
  void set_load_version(std::optional<std::int64_t> version);

  // Versions complete for every rank on `tier`, newest first (host: own slots; peer host: the
  // replica held by the next rank; disks: manifests of every rank).
  std::vector<std::int64_t> complete_versions(Tier tier) const;
  // The same over some ranks only (a load that restores only the failed ranks).
  std::vector<std::int64_t> complete_versions(Tier tier, const std::vector<int>& ranks) const;
  std::optional<std::int64_t> newest_complete(Tier tier) const;
  // The node of `rank` failed: its host slots and the replicas it held are lost. REQUIRES:
  // nothing in flight.
  void lose_host_memory(int rank);
  const CheckpointStore& store(Tier tier) const;  // kLocalDisk or kStorage

 private:
  struct Slot {
    HostBuffer buffer;
    std::optional<std::int64_t> version;      // the complete version held (nullopt: none)
    std::vector<std::int64_t> shard_version;  // per shard: the iteration it holds, -1: none
    std::size_t leading() const;              // shards held from the first one on
    bool holds_all() const;
    void clear();  // forgets the version and every shard
    // Shards 0..n-1 of `from` (their tags too), as version `v`.
    void take_leading(const Slot& from, std::size_t n, std::int64_t v);
  };
  using SlotPair = std::array<Slot, 2>;
  struct RankSlots {
    SlotPair own;             // whole-state snapshots of this rank
    SlotPair replica;         // replicas of rank (r - k) this rank holds
    SlotPair window;          // windows of this rank built from shard selections
    SlotPair window_replica;  // windows of rank (r - k) this rank holds
    // Per-shard copies (OpShards::per_shard): each shard's two newest copies, one in each slot,
    // tagged in shard_version; the slots' versions are unused.
    SlotPair partial;
  };
  // The slot of a pair to overwrite: an empty one first, else the one with the older version.
  static std::size_t older_slot(const SlotPair& pair);
  // The slot of a pair a window is built in: the one not holding the newest complete window;
  // a complete window there is forgotten, an unfinished one kept unless `fresh`.
  static std::size_t building_slot(SlotPair& pair, bool fresh);

  // Coordinates one load op: every participating rank tries the same candidate version; one
  // that fails verification on any rank is dropped for all of them (ranks restore one version).
  struct LoadRound {
    std::vector<std::int64_t> candidates;  // newest first
    std::unique_ptr<std::barrier<>> barrier;
    std::unique_ptr<std::atomic<bool>[]> failed;
    std::atomic<std::int64_t> chosen{-1};
  };

  void run_task(std::size_t op, int rank);
  void setup_op(std::size_t op);
  std::size_t shards_covering(int rank, Bytes bytes) const;
  std::int64_t bytes_of(int rank, std::size_t shards) const;
  void hook(const HookPoint& p) const;
  // Throws when the plan in flight was cancelled (another rank failed): ops stop at shards.
  void check_not_cancelled() const;
  void snapshot(int rank, std::size_t shards);
  void replicate(int rank, std::size_t shards);
  void snapshot_window(const Op& op, int rank, const OpShards& sel);
  void replicate_window(const Op& op, int rank, const OpShards& sel);
  void snapshot_partial(int rank, const OpShards& sel);
  void persist_partial(const Op& op, int rank, const OpShards& sel);
  void load_partial(std::size_t op, int rank, const OpShards& sel);
  // Rank `rank`'s copy of shard k with the newest version at or before `at` (nullptr: none).
  const Slot* partial_copy(int rank, std::size_t k, std::int64_t at) const;
  // The copy of shard k a new copy of `version` overwrites: one of that version, else the older.
  Slot& partial_target(int rank, std::size_t k, std::int64_t version);
  void allocate(Slot& slot, int rank);
  std::size_t shard_offset(int rank, std::size_t k) const;
  void persist(const Op& op, int rank, std::size_t shards);
  void load(std::size_t op, int rank, std::size_t shards);
  void load_from_disk(std::size_t op, int rank, std::size_t shards);
  void transfer(std::size_t op, int rank, std::size_t shards);
  // Moves `src` across link `link` (rank link -> link + 1), forward or backward, into `dst`;
  // resets the link after an error so that a torn message never desynchronises the next one.
  void move_over_link(int link, bool forward, std::span<const std::byte> src,
                      std::span<std::byte> dst, const MessageHeader& header);
  void reset_link(int link);
  std::span<std::byte> rank_span(int rank, std::size_t shards);
  std::vector<int> all_ranks() const;
  void note(std::string line);
  // A whole-state slot of `version` first, else a window of it.
  Slot* find_own(int rank, std::int64_t version);
  Slot* find_replica(int holder, std::int64_t version);
  int next(int rank) const { return (rank + peer_offset_) % state_.world(); }
  CheckpointStore& store_for(Tier tier);

  TrainerState& state_;
  HostExecutorOptions options_;
  std::unique_ptr<CheckpointStore> storage_;
  std::unique_ptr<CheckpointStore> local_disk_;
  std::vector<RankSlots> slots_;
  int peer_offset_ = 1;
  std::vector<Socket> to_next_;            // rank r's end of link r -> r + 1
  std::vector<Socket> from_prev_;          // rank r's end of link r - 1 -> r
  std::unique_ptr<std::mutex[]> link_mu_;  // one transfer per link at a time
  FailureHook hook_;
  std::optional<std::int64_t> load_version_;

  // State of the plan in flight.
  std::unique_ptr<PlanRunner> runner_;
  HarnessPlan plan_;
  std::optional<std::int64_t> version_;
  std::vector<int> snapshot_slot_;  // per rank: the own slot this plan's snapshot writes
  std::vector<std::size_t> window_slot_;   // per rank: the window slot this plan builds
  std::vector<std::size_t> replica_slot_;  // per rank: the window replica slot at next(rank)
  std::vector<HostBuffer> activations_;    // per rank: the upstream logs' source ("GPU" side)
  std::vector<HostBuffer> logs_;           // per rank: their host copy
  std::vector<std::unique_ptr<LoadRound>> load_rounds_;  // per op index
  std::vector<std::string> notes_;
  mutable std::mutex notes_mu_;
};

}  // namespace ckptlab::hw
