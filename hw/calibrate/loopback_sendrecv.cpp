// Loopback TCP send/recv: the host backend's replication path (rank r -> rank r + 1), with the
// same framing and XXH3 check as HostExecutor, so the profile's network figure includes them.
#include <vector>

#include "hw/calibrate/host_paths.hpp"
#include "hw/host/host_buffer.hpp"
#include "hw/host/loopback.hpp"

namespace ckptlab::hw {
namespace {

class LoopbackPath final : public BenchPath {
 public:
  explicit LoopbackPath(Seconds timeout) : timeout_(timeout) {}
  std::string name() const override { return "loopback_sendrecv"; }
  std::string description() const override {
    return "rank r sends to rank r + 1 over 127.0.0.1 TCP, framed + XXH3 (NIC analogue)";
  }
  void init(std::int64_t bytes, RankTeam& team) override {
    const int n = team.ranks();
    if (!pair_team_ || pair_team_->ranks() != 2 * n) {
      pair_team_ = std::make_unique<RankTeam>(2 * n);  // a sender and a receiver per link
      tx_.clear();
      rx_.clear();
      for (int r = 0; r < n; ++r) {
        auto [out, in] = loopback_pair(timeout_);
        tx_.push_back(std::move(out));
        rx_.push_back(std::move(in));
      }
    }
    src_.clear();
    dst_.clear();
    for (int r = 0; r < n; ++r) {
      src_.emplace_back(static_cast<std::size_t>(bytes));
      dst_.emplace_back(static_cast<std::size_t>(bytes));
      fill_pattern(reinterpret_cast<std::uint64_t*>(src_.back().data()), src_.back().size() / 8,
                   7 + r);
    }
    failed_.assign(static_cast<size_t>(n), false);
  }
  void run(RankTeam& team) override {
    const int n = team.ranks();
    pair_team_->run([&](int m) {
      const auto link = static_cast<size_t>(m % n);
      if (m < n) {
        send_message(tx_[link], {0, m, src_[link].size()}, src_[link].span(), timeout_);
      } else {
        try {
          recv_message(rx_[link], dst_[link].span(), timeout_);
        } catch (const LoopbackError&) {
          failed_[link] = true;  // counted by check(); the link is unusable afterwards
          throw;
        }
      }
    });
  }
  std::int64_t check(RankTeam& team) override {
    std::int64_t wrong = 0;
    for (int r = 0; r < team.ranks(); ++r) {
      const HostBuffer& d = dst_[static_cast<size_t>(r)];
      wrong +=
          failed_[static_cast<size_t>(r)]
              ? static_cast<std::int64_t>(d.size() / 8)
              : count_wrong(reinterpret_cast<const std::uint64_t*>(d.data()), d.size() / 8, 7 + r);
    }
    return wrong;
  }
  void release() override {
    src_.clear();
    dst_.clear();
  }

 private:
  Seconds timeout_;
  std::unique_ptr<RankTeam> pair_team_;
  std::vector<Socket> tx_, rx_;
  std::vector<HostBuffer> src_, dst_;
  std::vector<bool> failed_;
};

}  // namespace

std::unique_ptr<BenchPath> make_loopback_path(Seconds timeout) {
  return std::make_unique<LoopbackPath>(timeout);
}

}  // namespace ckptlab::hw
