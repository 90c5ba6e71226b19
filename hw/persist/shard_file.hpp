// Crash-consistent checkpoint shard files.
//
// A shard file holds one rank's shard of one checkpoint version: a small self-describing header
// and the payload bytes. Writing goes through a temporary file that is fsynced and then renamed
// over the final name, and the directory is fsynced, so after a crash at any point `path` holds
// either the previous complete file or the new complete file, never a mixture. Reading checks
// everything (length, magic, version, header and payload XXH3-64 checksums) and throws on the
// first problem: a damaged shard is never returned.
//
// On-disk layout, all integers little-endian:
//   0  magic "CKPTSHRD"            8 bytes
//   8  format version              u32 (kShardFormatVersion)
//  12  shard id length L           u32 (<= kMaxShardIdBytes)
//  16  iteration                   i64
//  24  rank                        i32
//  28  reserved, zero              u32
//  32  payload size                u64
//  40  XXH3-64 of the payload      u64
//  48  XXH3-64 of bytes [0, 48) followed by the shard id   u64
//  56  shard id                    L bytes
//  56+L payload
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace ckptlab::hw {

inline constexpr std::uint32_t kShardFormatVersion = 1;
inline constexpr std::size_t kMaxShardIdBytes = 4096;

struct ShardHeader {
  std::int64_t iteration = 0;
  std::int32_t rank = 0;
  std::string shard_id;  // e.g. "layer12.expert3.adam"; at most kMaxShardIdBytes bytes
  bool operator==(const ShardHeader&) const = default;
};

struct ShardFile {
  ShardHeader header;
  std::vector<std::byte> data;
  // XXH3-64 of `data`: read_shard_file has checked it against the payload, so a caller holding
  // an expected checksum (a manifest entry) compares with this instead of hashing again.
  std::uint64_t payload_xxh3 = 0;
};

// Why a shard file could not be written or read. `path()` is the file concerned.
class ShardFileError : public std::runtime_error {
 public:
  enum class Kind {
    io,         // an operating-system call failed (message carries errno's text)
    truncated,  // the file ends before its header or payload does
    bad_magic,  // not a ckptlab shard file
    unsupported_version,
    corrupt_header,    // header checksum mismatch or impossible header fields
    corrupt_payload,   // payload checksum mismatch
    trailing_bytes,    // more bytes than header + payload
    invalid_argument,  // the caller's header cannot be written (shard id too long)
  };
  ShardFileError(Kind kind, std::filesystem::path path, const std::string& message);
  Kind kind() const { return kind_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  Kind kind_;
  std::filesystem::path path_;
};

const char* to_string(ShardFileError::Kind kind);

// The temporary name a writer in this process uses for `path`: "<path>.tmp.<pid>". A crash
// leaves it behind; it is never read as a shard (it does not carry the final name).
std::filesystem::path shard_temp_path(const std::filesystem::path& path);

// Writes header + data to shard_temp_path(path) and fsyncs it: step one of write_shard_file,
// public so that tests can simulate a crash between the steps. Overwrites an earlier temp file
// of this process. Returns the temp path. On failure removes the temp file and throws
// ShardFileError (io, or invalid_argument if the shard id is too long); `path` is untouched.
std::filesystem::path stage_shard_file(const std::filesystem::path& path, const ShardHeader& header,
                                       std::span<const std::byte> data);

// Step two: renames `staged` over `path` (atomic on POSIX file systems) and fsyncs the directory
// so the rename itself survives a crash. Throws ShardFileError(io) on failure.
void commit_shard_file(const std::filesystem::path& staged, const std::filesystem::path& path);

// stage + commit. On return `path` durably holds the new shard; on a throw it holds whatever it
// held before (previous version or nothing). REQUIRES: the parent directory exists. Not safe
// against another thread of this process writing the same path at the same time.
void write_shard_file(const std::filesystem::path& path, const ShardHeader& header,
                      std::span<const std::byte> data);

// Reads and fully verifies a shard file. Returns it bit-exact as written, or throws
// ShardFileError saying what is wrong (io for a missing or unreadable file).
ShardFile read_shard_file(const std::filesystem::path& path);

}  // namespace ckptlab::hw
