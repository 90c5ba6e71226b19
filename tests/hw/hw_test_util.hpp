// Helpers shared by the host-backend tests: a private directory per test, and small plans in the
// shape the dense policies issue, sized to a harness state.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "hw/host/trainer_state.hpp"
#include "plan/plan.hpp"

namespace ckptlab::hw::testing {

// A directory under the build tree for the running test, removed afterwards.
class TestDir {
 public:
  TestDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::path(CKPTLAB_BINARY_DIR) / "tests" / "hw" /
            (std::string(info->test_suite_name()) + "." + info->name() + "." +
             std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TestDir() { std::filesystem::remove_all(path_); }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Every rank's whole state, as rank_bytes.
inline std::vector<Bytes> whole_state(const TrainerState& s) {
  std::vector<Bytes> b;
  for (int r = 0; r < s.world(); ++r)
    b.push_back(Bytes{s.layout().ranks[static_cast<size_t>(r)].bytes()});
  return b;
}

inline Op make_op(OpKind kind, Tier from, Tier to, std::vector<Bytes> bytes, bool blocking,
                  std::vector<size_t> after = {}) {
  Op op;
  op.kind = kind;
  op.from = from;
  op.to = to;
  op.rank_bytes = std::move(bytes);
  op.blocking = blocking;
  op.after = std::move(after);
  op.label = std::string(op_kind_name(kind));
  return op;
}

// snapshot GPU -> host (blocking), then persist host -> `to` (blocking or in the background).
inline Plan checkpoint_plan(const TrainerState& s, Tier to = Tier::kStorage,
                            bool persist_blocking = true) {
  Plan p;
  p.signature = "test-checkpoint";
  const size_t snap =
      p.add(make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, whole_state(s), true));
  p.add(make_op(OpKind::kPersist, Tier::kHost, to, whole_state(s), persist_blocking, {snap}));
  return p;
}

// snapshot, then replicate to the next rank.
inline Plan replicate_plan(const TrainerState& s) {
  Plan p;
  p.signature = "test-replicate";
  const size_t snap =
      p.add(make_op(OpKind::kSnapshot, Tier::kGpu, Tier::kHost, whole_state(s), true));
  p.add(make_op(OpKind::kReplicate, Tier::kHost, Tier::kPeerHost, whole_state(s), true, {snap}));
  return p;
}

inline Plan load_plan(const TrainerState& s, Tier from) {
  Plan p;
  p.signature = "test-load";
  p.add(make_op(OpKind::kLoad, from, Tier::kGpu, whole_state(s), true));
  return p;
}

}  // namespace ckptlab::hw::testing
