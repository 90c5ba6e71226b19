// Crash-consistent shard files: what is written reads back bit for bit, and every kind of damage
// (truncation, flipped bits, a crash before the rename) is either detected or harmless.
#include "hw/persist/shard_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ckptlab::hw {
namespace {

namespace fs = std::filesystem;
using Kind = ShardFileError::Kind;

// A deterministic, non-repeating payload (a zero-filled one would hide offset bugs).
std::vector<std::byte> payload(std::size_t n, std::uint64_t seed) {
  std::vector<std::byte> out(n);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x & 0xff);
  }
  return out;
}

std::vector<char> read_raw(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_raw(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Kind read_error_kind(const fs::path& p) {
  try {
    read_shard_file(p);
  } catch (const ShardFileError& e) {
    return e.kind();
  }
  ADD_FAILURE() << p << " read back without an error";
  return Kind::io;
}

// Each test works in its own directory under the build tree, removed afterwards.
class ShardFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(CKPTLAB_BINARY_DIR) / "tests" / "hw" /
           ("shard_file_test." + std::string(info->name()) + "." + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  const ShardHeader header_{1200, 5, "layer07.expert13.adam"};
};

TEST_F(ShardFileTest, RoundTripIsBitExact) {
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{1} << 20}) {
    const fs::path p = dir_ / ("shard" + std::to_string(size));
    const std::vector<std::byte> data = payload(size, size);
    write_shard_file(p, header_, data);
    const ShardFile back = read_shard_file(p);
    EXPECT_EQ(back.header, header_);
    EXPECT_EQ(back.data, data);
    EXPECT_FALSE(fs::exists(shard_temp_path(p))) << "the temp file must be renamed away";
  }
}

TEST_F(ShardFileTest, NegativeAndExtremeHeaderFieldsRoundTrip) {
  const fs::path p = dir_ / "shard";
  const ShardHeader odd{INT64_MIN, -1, std::string(kMaxShardIdBytes, 'x')};
  write_shard_file(p, odd, payload(10, 1));
  EXPECT_EQ(read_shard_file(p).header, odd);
}

TEST_F(ShardFileTest, OverlongShardIdIsRefusedAndNothingIsWritten) {
  const fs::path p = dir_ / "shard";
  try {
    write_shard_file(p, {1, 0, std::string(kMaxShardIdBytes + 1, 'x')}, payload(10, 1));
    FAIL() << "expected ShardFileError";
  } catch (const ShardFileError& e) {
    EXPECT_EQ(e.kind(), Kind::invalid_argument);
  }
  EXPECT_FALSE(fs::exists(p));
  EXPECT_FALSE(fs::exists(shard_temp_path(p)));
}

TEST_F(ShardFileTest, TruncationAtAnyOffsetIsDetected) {
  const fs::path p = dir_ / "shard";
  write_shard_file(p, header_, payload(4096, 7));
  const std::vector<char> full = read_raw(p);
  const std::size_t header_end = 56 + header_.shard_id.size();
  for (std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8},
                           std::size_t{30}, std::size_t{55}, std::size_t{56}, header_end - 1,
                           header_end, header_end + 1, header_end + 2048, full.size() - 1}) {
    write_raw(p, {full.begin(), full.begin() + static_cast<std::ptrdiff_t>(keep)});
    EXPECT_EQ(read_error_kind(p), Kind::truncated) << "kept " << keep << " bytes";
  }
}

TEST_F(ShardFileTest, EveryFlippedHeaderBitIsDetected) {
  const fs::path p = dir_ / "shard";
  write_shard_file(p, header_, payload(4096, 3));
  const std::vector<char> good = read_raw(p);
  const std::size_t header_bytes = 56 + header_.shard_id.size();
  for (std::size_t bit = 0; bit < 8 * header_bytes; ++bit) {
    std::vector<char> bad = good;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    write_raw(p, bad);
    EXPECT_THROW(read_shard_file(p), ShardFileError) << "bit " << bit;
  }
}

TEST_F(ShardFileTest, FlippedPayloadBitsAreDetectedAsPayloadCorruption) {
  const fs::path p = dir_ / "shard";
  write_shard_file(p, header_, payload(4096, 4));
  const std::vector<char> good = read_raw(p);
  const std::size_t header_bytes = 56 + header_.shard_id.size();
  for (std::size_t offset :
       {header_bytes, header_bytes + 1, header_bytes + 2047, good.size() - 1}) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<char> bad = good;
      bad[offset] = static_cast<char>(bad[offset] ^ (1 << bit));
      write_raw(p, bad);
      EXPECT_EQ(read_error_kind(p), Kind::corrupt_payload) << "byte " << offset << " bit " << bit;
    }
  }
}

TEST_F(ShardFileTest, ForeignAndOverlongFilesAreRejected) {
  const fs::path p = dir_ / "shard";
  write_raw(p, {'P', 'K', '\x03', '\x04', 'z', 'i', 'p', '!', 'x'});
  EXPECT_EQ(read_error_kind(p), Kind::bad_magic);
  write_shard_file(p, header_, payload(100, 5));
  std::vector<char> longer = read_raw(p);
  longer.push_back('\0');
  write_raw(p, longer);
  EXPECT_EQ(read_error_kind(p), Kind::trailing_bytes);
  EXPECT_EQ(read_error_kind(dir_ / "missing"), Kind::io);
}

TEST_F(ShardFileTest, CrashBeforeRenameLeavesThePreviousVersionInForce) {
  const fs::path p = dir_ / "shard";
  const std::vector<std::byte> v1 = payload(4096, 100);
  write_shard_file(p, header_, v1);

  // The next version is staged (written and fsynced) but the process dies before the rename.
  ShardHeader next = header_;
  next.iteration += 100;
  const fs::path staged = stage_shard_file(p, next, payload(4096, 200));
  ASSERT_TRUE(fs::exists(staged));
  ShardFile survivor = read_shard_file(p);
  EXPECT_EQ(survivor.header, header_);
  EXPECT_EQ(survivor.data, v1);

  // A crash half-way through staging leaves a torn temp file: still v1 under the real name.
  const std::vector<char> staged_bytes = read_raw(staged);
  write_raw(staged, {staged_bytes.begin(), staged_bytes.begin() + 1000});
  EXPECT_EQ(read_shard_file(p).data, v1);

  // After the "restart" the same writer overwrites its leftover temp file and commits.
  const std::vector<std::byte> v2 = payload(4096, 300);
  write_shard_file(p, next, v2);
  EXPECT_EQ(read_shard_file(p).header, next);
  EXPECT_EQ(read_shard_file(p).data, v2);
  EXPECT_FALSE(fs::exists(staged));
}

}  // namespace
}  // namespace ckptlab::hw
