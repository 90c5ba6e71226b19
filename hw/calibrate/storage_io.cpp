// Storage write + fsync and read: the host backend's persist and load paths, through the same
// crash-consistent shard files (temp + fsync + rename; full verification on read). Reads drop
// the file's pages from the page cache first (posix_fadvise DONTNEED: the pages are clean after
// the fsync), so they measure the device, not memory, as far as the kernel allows.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/host/host_buffer.hpp"
#include "hw/persist/shard_file.hpp"

namespace ckptlab::hw {
namespace {

namespace fs = std::filesystem;

void drop_cache(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

class StoragePath final : public BenchPath {
 public:
  StoragePath(fs::path dir, bool read) : dir_(std::move(dir)), read_(read) {}
  std::string name() const override { return read_ ? "storage_read" : "storage_write"; }
  std::string description() const override {
    return std::string(read_ ? "read + verify shard files, page cache dropped first"
                             : "write shard files: temp + fsync + rename + dir fsync") +
           ", up to " + std::to_string(kMaxFiles) + " files one after the other per rank (" +
           dir_.string() + ")";
  }
  int iterations(std::int64_t bytes, int requested) const override {
    return bytes >= (16 << 20) ? std::min(requested, 3) : requested;  // each one is an fsync
  }
  // A rank persists its shards file after file, as the executor does: timing one file per rank
  // between two barriers would charge every file the slowest rank's fsync, which a sequence of
  // files only pays once (the straggler's delays do not add up rank by rank). Small files come
  // in a burst of up to kMaxFiles, large ones alone, about kBurstBytes per rank per run.
  int transfers_per_run(std::int64_t bytes) const override {
    return static_cast<int>(std::clamp<std::int64_t>(kBurstBytes / std::max<std::int64_t>(1, bytes),
                                                      1, kMaxFiles));
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    fs::create_directories(dir_);
    ranks_ = team.ranks();
    files_ = transfers_per_run(bytes);
    data_.clear();
    back_.assign(static_cast<size_t>(team.ranks()), {});
    for (int r = 0; r < team.ranks(); ++r) {
      fs::create_directories(rank_dir(r));
      data_.emplace_back(static_cast<std::size_t>(bytes));
      fill_pattern(reinterpret_cast<std::uint64_t*>(data_.back().data()), data_.back().size() / 8,
                   40 + r);
      if (read_) {
        for (int f = 0; f < files_; ++f)
          write_shard_file(path(r, f), {0, r, "calibrate"}, data_.back().span());
      }
    }
  }
  void run(RankTeam& team) override {
    team.run([&](int r) {
      for (int f = 0; f < files_; ++f) {
        if (read_) {
          drop_cache(path(r, f));
          back_[static_cast<size_t>(r)] = read_shard_file(path(r, f)).data;
        } else {
          write_shard_file(path(r, f), {0, r, "calibrate"}, data_[static_cast<size_t>(r)].span());
        }
      }
    });
  }
  // Checks the last file of each rank (they all hold the same pattern).
  std::int64_t check(RankTeam& team) override {
    std::int64_t wrong = 0;
    for (int r = 0; r < team.ranks(); ++r) {
      std::vector<std::byte>& b = back_[static_cast<size_t>(r)];
      if (!read_) b = read_shard_file(path(r, files_ - 1)).data;
      const std::size_t expect = data_[static_cast<size_t>(r)].size();
      if (b.size() != expect) {
        wrong += static_cast<std::int64_t>(expect / 8);
        continue;
      }
      wrong += count_wrong(reinterpret_cast<const std::uint64_t*>(b.data()), expect / 8, 40 + r);
    }
    return wrong;
  }
  void release() override {
    data_.clear();
    back_.clear();
    std::error_code ec;  // only the files this path wrote: `dir` may hold anything else
    for (int r = 0; r < ranks_; ++r) {
      for (int f = 0; f < files_; ++f) fs::remove(path(r, f), ec);
      fs::remove(rank_dir(r), ec);  // only if empty
    }
  }

 private:
  static constexpr int kMaxFiles = 32;
  static constexpr std::int64_t kBurstBytes = 4LL << 20;
  // A directory per rank, as CheckpointStore lays out a version: every commit fsyncs its
  // directory, and ranks sharing one would queue on each other's directory fsyncs.
  fs::path rank_dir(int r) const { return dir_ / ("rank" + std::to_string(r)); }
  fs::path path(int r, int f) const {
    return rank_dir(r) / ("file" + std::to_string(f) + ".ckpt");
  }
  fs::path dir_;
  bool read_;
  int ranks_ = 0;
  int files_ = 1;
  std::vector<HostBuffer> data_;
  std::vector<std::vector<std::byte>> back_;
};

}  // namespace

std::unique_ptr<BenchPath> make_storage_write_path(const fs::path& dir) {
  return std::make_unique<StoragePath>(dir, false);
}
std::unique_ptr<BenchPath> make_storage_read_path(const fs::path& dir) {
  return std::make_unique<StoragePath>(dir, true);
}

}  // namespace ckptlab::hw
