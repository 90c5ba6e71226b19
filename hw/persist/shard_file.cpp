#include "shard_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <type_traits>
#include <utility>

namespace ckptlab::hw {
namespace {

constexpr std::array<char, 8> kMagic = {'C', 'K', 'P', 'T', 'S', 'H', 'R', 'D'};
constexpr std::size_t kFixedHeaderBytes = 56;
constexpr std::size_t kHashedFixedBytes = 48;  // the header checksum covers [0, 48) + shard id

using Kind = ShardFileError::Kind;

// Explicit little-endian encoding: a checkpoint written on one host must read on another.
template <typename T>
void put_le(std::byte* out, T value) {
  auto u = static_cast<std::make_unsigned_t<T>>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<std::byte>((u >> (8 * i)) & 0xff);
}

template <typename T>
T get_le(const std::byte* in) {
  std::make_unsigned_t<T> u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    u |= static_cast<std::make_unsigned_t<T>>(std::to_integer<unsigned>(in[i])) << (8 * i);
  return static_cast<T>(u);
}

std::uint64_t xxh3(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::uint64_t header_checksum(std::span<const std::byte> fixed, std::span<const std::byte> id) {
  std::vector<std::byte> hashed(fixed.begin(), fixed.begin() + kHashedFixedBytes);
  hashed.insert(hashed.end(), id.begin(), id.end());
  return xxh3(hashed);
}

[[noreturn]] void fail(Kind kind, const std::filesystem::path& path, const std::string& what) {
  throw ShardFileError(kind, path, what);
}

[[noreturn]] void fail_errno(const std::filesystem::path& path, const std::string& what) {
  fail(Kind::io, path, what + ": " + std::strerror(errno));
}

// Closes the descriptor on every path out of a scope; close errors on the write path are
// checked explicitly with release_and_close().
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release_and_close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

void write_all(int fd, std::span<const std::byte> bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "write");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
}

// Reads exactly out.size() bytes at `offset`; the caller has checked the file is long enough.
void read_exact(int fd, std::span<std::byte> out, std::uint64_t offset,
                const std::filesystem::path& path) {
  while (!out.empty()) {
    const ssize_t n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "read");
    if (n == 0) fail(Kind::truncated, path, "file shrank while being read");
    out = out.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
}

std::vector<std::byte> encode_header(const ShardHeader& h, std::span<const std::byte> data) {
  std::vector<std::byte> out(kFixedHeaderBytes + h.shard_id.size());
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  put_le<std::uint32_t>(&out[8], kShardFormatVersion);
  put_le<std::uint32_t>(&out[12], static_cast<std::uint32_t>(h.shard_id.size()));
  put_le<std::int64_t>(&out[16], h.iteration);
  put_le<std::int32_t>(&out[24], h.rank);
  put_le<std::uint32_t>(&out[28], 0);
  put_le<std::uint64_t>(&out[32], data.size());
  put_le<std::uint64_t>(&out[40], xxh3(data));
  std::memcpy(&out[kFixedHeaderBytes], h.shard_id.data(), h.shard_id.size());
  const std::span<const std::byte> all(out);
  put_le<std::uint64_t>(&out[48], header_checksum(all, all.subspan(kFixedHeaderBytes)));
  return out;
}

}  // namespace

ShardFileError::ShardFileError(Kind kind, std::filesystem::path path, const std::string& message)
    : std::runtime_error("shard file " + path.string() + ": " + to_string(kind) + ": " + message),
      kind_(kind),
      path_(std::move(path)) {}

const char* to_string(ShardFileError::Kind kind) {
  switch (kind) {
    case Kind::io:
      return "I/O error";
    case Kind::truncated:
      return "truncated";
    case Kind::bad_magic:
      return "bad magic (not a ckptlab shard file)";
    case Kind::unsupported_version:
      return "unsupported format version";
    case Kind::corrupt_header:
      return "corrupt header";
    case Kind::corrupt_payload:
      return "payload checksum mismatch";
    case Kind::trailing_bytes:
      return "trailing bytes after payload";
    case Kind::invalid_argument:
      return "invalid argument";
  }
  return "unknown error";
}

std::filesystem::path shard_temp_path(const std::filesystem::path& path) {
  return path.string() + ".tmp." + std::to_string(::getpid());
}

std::filesystem::path stage_shard_file(const std::filesystem::path& path, const ShardHeader& header,
                                       std::span<const std::byte> data) {
  if (header.shard_id.size() > kMaxShardIdBytes)
    fail(Kind::invalid_argument, path,
         "shard id of " + std::to_string(header.shard_id.size()) + " bytes exceeds " +
             std::to_string(kMaxShardIdBytes));
  const std::filesystem::path temp = shard_temp_path(path);
  const std::vector<std::byte> encoded = encode_header(header, data);
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) fail_errno(temp, "open for writing");
  try {
    write_all(fd.get(), encoded, temp);
    write_all(fd.get(), data, temp);
    if (::fsync(fd.get()) != 0) fail_errno(temp, "fsync");
    if (fd.release_and_close() != 0) fail_errno(temp, "close");
  } catch (...) {
    ::unlink(temp.c_str());  // best effort: the temp name is never read as a shard anyway
    throw;
  }
  return temp;
}

void commit_shard_file(const std::filesystem::path& staged, const std::filesystem::path& path) {
  if (::rename(staged.c_str(), path.c_str()) != 0)
    fail_errno(path, "rename from " + staged.string());
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) fail_errno(dir, "open directory");
  if (::fsync(dir_fd.get()) != 0) fail_errno(dir, "fsync directory");
}

void write_shard_file(const std::filesystem::path& path, const ShardHeader& header,
                      std::span<const std::byte> data) {
  commit_shard_file(stage_shard_file(path, header, data), path);
}

ShardFile read_shard_file(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail_errno(path, "open for reading");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail_errno(path, "stat");
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  std::array<std::byte, kFixedHeaderBytes> fixed{};
  const std::size_t have =
      static_cast<std::size_t>(std::min<std::uint64_t>(file_size, fixed.size()));
  read_exact(fd.get(), std::span(fixed).first(have), 0, path);
  if (std::memcmp(fixed.data(), kMagic.data(), std::min(have, kMagic.size())) != 0)
    fail(Kind::bad_magic, path, "first bytes are not \"CKPTSHRD\"");
  if (have < kFixedHeaderBytes)
    fail(Kind::truncated, path, std::to_string(file_size) + " bytes, shorter than the header");

  const auto version = get_le<std::uint32_t>(&fixed[8]);
  if (version != kShardFormatVersion)
    fail(Kind::unsupported_version, path, "version " + std::to_string(version));
  const auto id_bytes = get_le<std::uint32_t>(&fixed[12]);
  if (id_bytes > kMaxShardIdBytes || get_le<std::uint32_t>(&fixed[28]) != 0)
    fail(Kind::corrupt_header, path, "impossible shard id length or reserved field");
  const std::uint64_t header_bytes = kFixedHeaderBytes + id_bytes;
  if (file_size < header_bytes)
    fail(Kind::truncated, path, std::to_string(file_size) + " bytes, shorter than the header");

  std::string shard_id(id_bytes, '\0');
  const std::span<std::byte> id_span(reinterpret_cast<std::byte*>(shard_id.data()), id_bytes);
  read_exact(fd.get(), id_span, kFixedHeaderBytes, path);
  if (header_checksum(fixed, id_span) != get_le<std::uint64_t>(&fixed[48]))
    fail(Kind::corrupt_header, path, "header checksum mismatch");

  // From here the header is trusted: sizes below are what the writer wrote.
  const auto payload_bytes = get_le<std::uint64_t>(&fixed[32]);
  if (file_size - header_bytes < payload_bytes)
    fail(Kind::truncated, path,
         std::to_string(file_size) + " bytes, header and payload need " +
             std::to_string(header_bytes + payload_bytes));
  if (file_size - header_bytes > payload_bytes)
    fail(Kind::trailing_bytes, path,
         std::to_string(file_size - header_bytes - payload_bytes) + " bytes after the payload");

  ShardFile shard;
  shard.header = {get_le<std::int64_t>(&fixed[16]), get_le<std::int32_t>(&fixed[24]),
                  std::move(shard_id)};
  shard.data.resize(payload_bytes);
  read_exact(fd.get(), shard.data, header_bytes, path);
  shard.payload_xxh3 = get_le<std::uint64_t>(&fixed[40]);
  if (xxh3(shard.data) != shard.payload_xxh3)
    fail(Kind::corrupt_payload, path, "XXH3-64 of the payload does not match the header");
  return shard;
}

}  // namespace ckptlab::hw
