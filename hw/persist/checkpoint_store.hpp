// Versioned checkpoints on a file system (a node-local disk or a shared-storage mount), built on
// crash-consistent shard files:
//
//   <root>/v000000000120/rank0003/<shard id>.ckpt   one shard file per shard (shard_file.hpp)
//   <root>/v000000000120/rank0003.done              the rank's manifest, written last
//
// A rank's part of a version counts only once its manifest exists, and a version is complete for
// a set of ranks only when each of them has one: a crash in the middle of a persist (a shard
// staged but not renamed, some shards renamed, the manifest missing) leaves the version
// incomplete, and readers use the previous complete one. The manifest lists every shard with
// its size and checksum, so a shard file swapped for another version's is detected too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace ckptlab::hw {

class CheckpointStore {
 public:
  // Uses (and creates) `root`. Throws ShardFileError(io) when it cannot be created.
  explicit CheckpointStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path version_dir(std::int64_t version) const;

  // Creates the version's directory durably. Call once per version before ranks write it in
  // parallel (directory creation is the one step they would race on).
  void begin_version(std::int64_t version) const;

  struct ShardView {
    std::string id;  // file-name safe
    std::span<const std::byte> data;
  };
  // Called after shard `index` is staged (written and fsynced under its temporary name) and
  // before it is renamed into place: where a crash leaves the previous version in force. It may
  // throw to simulate that crash; the throw propagates and the rank's version stays incomplete.
  using StageHook = std::function<void(std::size_t index)>;

  // Writes `rank`'s shards of `version`, then its manifest. On return the rank's part is
  // durable and complete; on a throw (ShardFileError, or the hook's exception) it is incomplete
  // and earlier versions are untouched. REQUIRES: begin_version(version) was called.
  void write_rank(std::int64_t version, int rank, const std::vector<ShardView>& shards,
                  const StageHook& hook = {}) const;

  // Versions, newest first, whose manifests exist for every rank in `ranks`. Does not read the
  // shards: a damaged file is found by read_rank.
  std::vector<std::int64_t> complete_versions(const std::vector<int>& ranks) const;

  struct ShardTarget {
    std::string id;
    std::span<std::byte> data;  // receives the shard; its size must match the manifest's
  };
  // Reads and fully verifies `rank`'s shards of `version` into the targets: manifest present and
  // listing exactly these shards with these sizes, every shard file's checksums, header version
  // and rank. Throws ShardFileError on the first problem (targets may then be partly written).
  // With `cold`, each file's pages are dropped from the page cache first (they are clean after
  // the writer's fsync), so the read comes from the device as on a replacement node.
  void read_rank(std::int64_t version, int rank, const std::vector<ShardTarget>& targets,
                 bool cold = false) const;

  // One rank's manifest of one version: what a version of partial checkpoints holds (it lists
  // only the shards it wrote), read once for any number of reads from that version.
  struct Manifest {
    struct Entry {
      std::uint64_t bytes = 0;
      std::uint64_t sum = 0;  // XXH3 of the payload
    };
    std::int64_t version = 0;
    int rank = 0;
    std::map<std::string, Entry> entries;  // by shard id
    bool lists(const std::string& id) const { return entries.count(id) > 0; }
  };
  // Reads and checks `rank`'s manifest of `version`. Throws ShardFileError when it is missing or
  // damaged.
  Manifest manifest(std::int64_t version, int rank) const;
  // read_rank for some of the rank's shards only, against a manifest read before: it must list
  // each target with its size.
  void read_shards(const Manifest& manifest, const std::vector<ShardTarget>& targets,
                   bool cold = false) const;

  // Removes every version, complete or not (crashed writers leave incomplete ones), older than
  // the oldest of the `keep` newest complete versions for `ranks`, except complete versions that
  // still hold some rank's newest complete copy of a shard (partial checkpoints: an expert saved
  // rarely is restored from the version that last wrote it). REQUIRES: keep >= 1.
  void prune(const std::vector<int>& ranks, int keep) const;

 private:
  std::filesystem::path root_;
};

}  // namespace ckptlab::hw
