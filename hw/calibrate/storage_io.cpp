// Storage write + fsync and read: the host backend's persist and load paths, through the same
// crash-consistent shard files (temp + fsync + rename; full verification on read). Reads drop
// the file's pages from the page cache first (posix_fadvise DONTNEED: the pages are clean after
// the fsync), so they measure the device, not memory, as far as the kernel allows.
#include <fcntl.h>
#include <unistd.h>

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
    return read_ ? "read + verify a shard file per rank, page cache dropped first (" +
                       dir_.string() + ")"
                 : "write a shard file per rank: temp + fsync + rename + dir fsync (" +
                       dir_.string() + ")";
  }
  int iterations(std::int64_t bytes, int requested) const override {
    return bytes >= (16 << 20) ? std::min(requested, 3) : requested;  // each one is an fsync
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    fs::create_directories(dir_);
    ranks_ = team.ranks();
    data_.clear();
    back_.assign(static_cast<size_t>(team.ranks()), {});
    for (int r = 0; r < team.ranks(); ++r) {
      data_.emplace_back(static_cast<std::size_t>(bytes));
      fill_pattern(reinterpret_cast<std::uint64_t*>(data_.back().data()), data_.back().size() / 8,
                   40 + r);
      if (read_) write_shard_file(path(r), {0, r, "calibrate"}, data_.back().span());
    }
  }
  void run(RankTeam& team) override {
    team.run([&](int r) {
      if (read_) {
        drop_cache(path(r));
        back_[static_cast<size_t>(r)] = read_shard_file(path(r)).data;
      } else {
        write_shard_file(path(r), {0, r, "calibrate"}, data_[static_cast<size_t>(r)].span());
      }
    });
  }
  std::int64_t check(RankTeam& team) override {
    std::int64_t wrong = 0;
    for (int r = 0; r < team.ranks(); ++r) {
      std::vector<std::byte>& b = back_[static_cast<size_t>(r)];
      if (!read_) b = read_shard_file(path(r)).data;
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
    for (int r = 0; r < ranks_; ++r) fs::remove(path(r), ec);
  }

 private:
  fs::path path(int r) const { return dir_ / ("rank" + std::to_string(r) + ".ckpt"); }
  fs::path dir_;
  bool read_;
  int ranks_ = 0;
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
