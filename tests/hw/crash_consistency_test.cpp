// Crash consistency of the hw persistence path, with a real process kill rather than a simulated
// one: a forked writer commits versions 1, 2, 3, ... of one shard file (stage + commit) and is
// killed with SIGKILL at a random (seeded) moment, over and over. After every kill the file must
// read back, fully checksum-verified, as exactly one complete version, and that version must be
// the newest the writer committed: never a torn mix, never an older one.
//
// SIGKILL stops the process at an arbitrary instruction (inside write(), fsync(), rename() or
// between them) but leaves the page cache intact, so this checks the protocol's atomicity against
// process crashes; power loss additionally depends on the fsyncs, which only real hardware tests.
// The second test damages files at random (bit flips, bursts, truncations, extensions, spliced
// versions) and requires every damage to be detected.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hw/persist/shard_file.hpp"

namespace ckptlab::hw {
namespace {

namespace fs = std::filesystem;
using Kind = ShardFileError::Kind;

constexpr std::uint64_t kSeed = 20250607;  // fixes the kill times and the damage: reproducible
constexpr int kTrials = 120;  // kills; each trial lasts about one to four commits
constexpr int kDamages = 1000;

// Version v's payload: size and bytes are a function of v alone, so a reader can tell that what
// it got is exactly version v (the header's iteration) and not merely self-consistent.
std::vector<std::byte> payload_for(std::int64_t version) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(version) * 0x9E3779B97F4A7C15ull);
  std::vector<std::byte> out(1024 + rng() % (192 * 1024));
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i % 8 == 0) word = rng();
    out[i] = static_cast<std::byte>((word >> (8 * (i % 8))) & 0xff);
  }
  return out;
}

ShardHeader header_for(std::int64_t version) { return {version, 3, "layer07.expert13.adam"}; }

std::vector<char> read_raw(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_raw(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// What the writer tells the parent through the pipe, one fixed-size record per event.
struct Report {
  char event;  // 'S': about to stage the version; 'C': the version is committed
  std::int64_t version;
};

void send(int fd, char event, std::int64_t version) {
  const Report r{event, version};
  // A short write to a pipe of a record this small (< PIPE_BUF) cannot happen: all or nothing.
  if (::write(fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) ::_exit(4);
}

// The child: commits versions first, first+1, ... until killed. Only async-signal-safe exits
// (_exit): the child must not run the parent's gtest or atexit handlers.
[[noreturn]] void writer(const fs::path& path, std::int64_t first, int report_fd) {
  try {
    for (std::int64_t v = first;; ++v) {
      const std::vector<std::byte> data = payload_for(v);
      send(report_fd, 'S', v);
      commit_shard_file(stage_shard_file(path, header_for(v), data), path);
      send(report_fd, 'C', v);
    }
  } catch (...) {
    ::_exit(3);
  }
}

class CrashConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ =
        fs::path(CKPTLAB_BINARY_DIR) / "tests" / "hw" /
        ("crash_consistency_test." + std::string(info->name()) + "." + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

// The time one version takes to commit here, so that kill times spread over several commits
// whatever the file system's fsync costs.
std::chrono::microseconds commit_time(const fs::path& dir) {
  const fs::path p = dir / "calibration";
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRounds = 8;
  for (int v = 1; v <= kRounds; ++v) write_shard_file(p, header_for(v), payload_for(v));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  fs::remove(p);
  return std::chrono::duration_cast<std::chrono::microseconds>(elapsed) / kRounds;
}

TEST_F(CrashConsistencyTest, KilledWriterLeavesTheNewestCommittedVersionNeverATornOne) {
  const fs::path path = dir_ / "shard";
  const auto per_commit = commit_time(dir_);
  // From "before the child's first instruction" to about three commits in: the kill lands before
  // any commit, inside one, or between two. The fork itself costs about a millisecond.
  const auto max_delay = std::chrono::microseconds(1000) + 3 * per_commit;
  std::mt19937_64 rng(kSeed);

  std::int64_t on_disk = 0;  // the version the file holds; 0 while there is none
  // Where the kills landed, judged from the reports and the version found afterwards.
  int before_first_commit = 0, between_versions = 0, mid_write = 0, after_rename = 0;
  std::int64_t commits_reported = 0;
  std::set<std::int64_t> versions_seen;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      writer(path, on_disk + 1, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::microseconds(
        std::uniform_int_distribution<std::int64_t>(0, max_delay.count())(rng)));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer ended by itself (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << "): writing failed";

    // Replay what the writer said before it died (versions start at 1: 0 means none).
    std::int64_t committed = 0, in_flight = 0;
    Report r{};
    while (::read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r)) {
      if (r.event == 'S') in_flight = r.version;
      if (r.event == 'C') {
        committed = r.version;
        in_flight = 0;
        ++commits_reported;
      }
    }
    ::close(fds[0]);

    // Allowed: the newest reported commit (or the previous trial's version when there was
    // none), or the version in flight, whose rename may have happened before the kill stopped
    // the report. Anything else (an older version, a mix, damage) is a failure.
    const std::int64_t newest = committed != 0 ? committed : on_disk;
    if (newest == 0 && !fs::exists(path)) {
      ++before_first_commit;  // killed before the very first rename: nothing to restore yet
      continue;
    }
    ShardFile restored;
    try {
      restored = read_shard_file(path);
    } catch (const ShardFileError& e) {
      FAIL() << "after the kill the shard does not read back: " << e.what();
    }
    const std::int64_t v = restored.header.iteration;
    ASSERT_TRUE(v == newest || (in_flight != 0 && v == in_flight))
        << "restored version " << v << ", newest committed " << newest << ", in flight "
        << in_flight;
    ASSERT_EQ(restored.header, header_for(v));
    ASSERT_EQ(restored.data, payload_for(v)) << "version " << v << " is not the one written";
    if (in_flight == 0) {
      ++between_versions;
    } else if (v == newest) {
      ++mid_write;
    } else {
      ++after_rename;
    }
    versions_seen.insert(v);
    on_disk = v;  // the next writer continues from what recovery found, as a restart would
  }

  // Killed writers leave their temp files ("<shard>.tmp.<pid>"); none is ever read as the shard
  // and nothing else appears.
  int stale_temps = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    if (e.path() == path) continue;
    EXPECT_EQ(e.path().filename().string().rfind("shard.tmp.", 0), 0u) << e.path();
    ++stale_temps;
  }
  std::printf(
      "crash consistency: %d trials (kill within %lld us of the fork; one commit takes %lld us), "
      "%lld commits reported, final version %lld, %zu distinct versions restored. Kills landed: "
      "before the first commit %d, between versions %d, mid-write (previous version restored) "
      "%d, after the rename but before its report (new version restored) %d. Torn or older "
      "versions: 0. Stale temp files left by killed writers: %d\n",
      kTrials, static_cast<long long>(max_delay.count()),
      static_cast<long long>(per_commit.count()), static_cast<long long>(commits_reported),
      static_cast<long long>(on_disk), versions_seen.size(), before_first_commit, between_versions,
      mid_write, after_rename, stale_temps);
  // The kills must have landed at different points for the test to mean anything.
  EXPECT_GE(versions_seen.size(), 10u);
  EXPECT_GT(mid_write, 0);
  EXPECT_GT(on_disk, 0);
}

TEST_F(CrashConsistencyTest, RandomDamageIsAlwaysDetected) {
  // A pool of genuine files of different sizes, as write_shard_file encodes them.
  std::vector<std::vector<char>> pool;
  for (std::int64_t v = 1; v <= 24; ++v) {
    const fs::path p = dir_ / ("v" + std::to_string(v));
    write_shard_file(p, header_for(v), payload_for(v));
    pool.push_back(read_raw(p));
  }
  const std::size_t header_bytes = 56 + header_for(1).shard_id.size();

  std::mt19937_64 rng(kSeed + 1);
  const auto at = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  std::map<std::string, int> detected;  // damage -> how many, each one detected
  std::map<std::string, int> by_error;
  int damaged_files = 0;
  for (int i = 0; i < kDamages; ++i) {
    const std::size_t which = at(pool.size());
    const std::vector<char>& original = pool[which];
    std::vector<char> damaged = original;
    // Half of the point damage hits the header (a few dozen bytes, which uniform positions over a
    // file of up to 193 KiB would almost never reach), half lands anywhere.
    const auto where = [&] { return rng() % 2 ? at(header_bytes) : at(damaged.size()); };
    std::string what;
    switch (i % 5) {
      case 0:  // one flipped bit
        damaged[where()] ^= static_cast<char>(1u << (rng() % 8));
        what = "bit flip";
        break;
      case 1: {  // a burst of up to 64 random bytes
        const std::size_t start = where();
        const std::size_t n = std::min<std::size_t>(1 + rng() % 64, damaged.size() - start);
        for (std::size_t k = 0; k < n; ++k) damaged[start + k] = static_cast<char>(rng() & 0xff);
        what = "burst";
        break;
      }
      case 2:  // cut anywhere, from nothing to one byte short
        damaged.resize(at(damaged.size()));
        what = "truncation";
        break;
      case 3:  // bytes appended
        for (std::size_t k = 1 + rng() % 4096; k > 0; --k) {
          damaged.push_back(static_cast<char>(rng() & 0xff));
        }
        what = "extension";
        break;
      case 4: {  // this file's header and payload start, another version's payload after that
        const std::vector<char>& other = pool[(which + 1 + at(pool.size() - 1)) % pool.size()];
        const std::size_t cut = std::min({header_bytes + at(1024), damaged.size(), other.size()});
        damaged.resize(cut);
        damaged.insert(damaged.end(), other.begin() + static_cast<std::ptrdiff_t>(cut),
                       other.end());
        what = "splice";
        break;
      }
    }
    if (damaged == original) continue;  // a burst that rewrote the same bytes is no damage
    ++damaged_files;
    // A new name each time: truncating and rewriting one file makes ext4 flush it on close
    // (auto_da_alloc), which costs seconds over a thousand files.
    const fs::path bad = dir_ / ("damaged." + std::to_string(i));
    write_raw(bad, damaged);
    try {
      read_shard_file(bad);
      ADD_FAILURE() << what << " of pool file " << which << " went undetected (damage " << i
                    << "), kept as " << bad;
      continue;
    } catch (const ShardFileError& e) {
      ++detected[what];
      ++by_error[to_string(e.kind())];
    }
    fs::remove(bad);
  }
  std::string summary, errors;
  for (const auto& [what, n] : detected) summary += " " + what + " " + std::to_string(n) + ",";
  for (const auto& [kind, n] : by_error) errors += " " + kind + " " + std::to_string(n) + ",";
  std::printf("damage detection: %d damaged files, detected:%s reported as:%s\n", damaged_files,
              summary.c_str(), errors.c_str());
  EXPECT_GT(damaged_files, kDamages * 9 / 10);
}

}  // namespace
}  // namespace ckptlab::hw
