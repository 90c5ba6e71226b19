// Host memcpy: the host backend's snapshot path (state -> page-locked host buffer). On a GPU the
// same table comes from cudaMemcpyAsync (hw/cuda/calibrate_copy.cu).
#include <cstring>
#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/host/host_buffer.hpp"

namespace ckptlab::hw {
namespace {

class HostCopyPath final : public BenchPath {
 public:
  std::string name() const override { return "host_memcpy"; }
  std::string description() const override {
    return "memcpy state -> page-locked snapshot buffer (GPU -> host analogue)";
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    src_.clear();
    dst_.clear();
    for (int r = 0; r < team.ranks(); ++r) {
      src_.emplace_back(static_cast<std::size_t>(bytes));
      dst_.emplace_back(static_cast<std::size_t>(bytes), /*lock=*/true);
    }
    team.run([&](int r) { fill_pattern(words(src_[static_cast<size_t>(r)]), count(r), r + 1); });
  }
  void run(RankTeam& team) override {
    team.run([&](int r) {
      std::memcpy(dst_[static_cast<size_t>(r)].data(), src_[static_cast<size_t>(r)].data(),
                  src_[static_cast<size_t>(r)].size());
    });
  }
  std::int64_t check(RankTeam& team) override {
    std::vector<std::int64_t> wrong(static_cast<size_t>(team.ranks()));
    team.run([&](int r) {
      wrong[static_cast<size_t>(r)] =
          count_wrong(words(dst_[static_cast<size_t>(r)]), count(r), r + 1);
    });
    std::int64_t sum = 0;
    for (auto w : wrong) sum += w;
    return sum;
  }
  void release() override {
    src_.clear();
    dst_.clear();
  }

 private:
  static std::uint64_t* words(HostBuffer& b) { return reinterpret_cast<std::uint64_t*>(b.data()); }
  std::size_t count(int r) const { return src_[static_cast<size_t>(r)].size() / 8; }
  std::vector<HostBuffer> src_, dst_;
};

}  // namespace

std::unique_ptr<BenchPath> make_host_copy_path() { return std::make_unique<HostCopyPath>(); }

}  // namespace ckptlab::hw
