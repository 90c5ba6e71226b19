// XXH3-64 throughput: what every persist, load and replica check pays per byte.
#include <xxhash.h>

#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/host/host_buffer.hpp"

namespace ckptlab::hw {
namespace {

class ChecksumPath final : public BenchPath {
 public:
  std::string name() const override { return "xxh3_checksum"; }
  std::string description() const override {
    return "XXH3-64 over each rank's buffer (checked against the streaming API in 4 KiB pieces)";
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    buf_.clear();
    for (int r = 0; r < team.ranks(); ++r) buf_.emplace_back(static_cast<std::size_t>(bytes));
    sums_.assign(static_cast<size_t>(team.ranks()), 0);
    team.run([&](int r) {
      HostBuffer& b = buf_[static_cast<size_t>(r)];
      fill_pattern(reinterpret_cast<std::uint64_t*>(b.data()), b.size() / 8, 100 + r);
    });
  }
  void run(RankTeam& team) override {
    team.run([&](int r) {
      const HostBuffer& b = buf_[static_cast<size_t>(r)];
      sums_[static_cast<size_t>(r)] = XXH3_64bits(b.data(), b.size());
    });
  }
  std::int64_t check(RankTeam& team) override {
    std::vector<std::int64_t> wrong(static_cast<size_t>(team.ranks()));
    team.run([&](int r) {
      const HostBuffer& b = buf_[static_cast<size_t>(r)];
      XXH3_state_t* s = XXH3_createState();
      XXH3_64bits_reset(s);
      for (std::size_t off = 0; off < b.size(); off += 4096) {
        XXH3_64bits_update(s, b.data() + off, std::min<std::size_t>(4096, b.size() - off));
      }
      const bool ok = XXH3_64bits_digest(s) == sums_[static_cast<size_t>(r)];
      XXH3_freeState(s);
      // A wrong digest means the whole buffer was hashed wrongly: count every word.
      wrong[static_cast<size_t>(r)] = ok ? 0 : static_cast<std::int64_t>(b.size() / 8);
    });
    std::int64_t sum = 0;
    for (auto w : wrong) sum += w;
    return sum;
  }
  void release() override { buf_.clear(); }

 private:
  std::vector<HostBuffer> buf_;
  std::vector<std::uint64_t> sums_;
};

}  // namespace

std::unique_ptr<BenchPath> make_checksum_path() { return std::make_unique<ChecksumPath>(); }

}  // namespace ckptlab::hw
