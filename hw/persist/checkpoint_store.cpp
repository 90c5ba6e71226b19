#include "hw/persist/checkpoint_store.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#include "hw/persist/shard_file.hpp"

namespace ckptlab::hw {
namespace fs = std::filesystem;
namespace {

using Kind = ShardFileError::Kind;

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    throw ShardFileError(Kind::io, dir, std::string("open directory: ") + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0)
    throw ShardFileError(Kind::io, dir, std::string("fsync directory: ") + std::strerror(saved));
}

void make_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec && !fs::is_directory(dir)) throw ShardFileError(Kind::io, dir, "mkdir: " + ec.message());
}

// Best effort: a file system without fadvise support just reads from the cache.
void drop_page_cache(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

fs::path manifest_path(const fs::path& version_dir, int rank) {
  return version_dir / fmt::format("rank{:04}.done", rank);
}

fs::path shard_path(const fs::path& version_dir, int rank, const std::string& id) {
  return version_dir / fmt::format("rank{:04}", rank) / (id + ".ckpt");
}

// Manifest payload: one line per shard, "<id> <bytes> <xxh3 hex>".
std::string encode_manifest(const std::vector<CheckpointStore::ShardView>& shards) {
  std::string out;
  for (const auto& s : shards) {
    out += fmt::format("{} {} {:016x}\n", s.id, s.data.size(),
                       XXH3_64bits(s.data.data(), s.data.size()));
  }
  return out;
}

using ManifestEntry = CheckpointStore::Manifest::Entry;

std::map<std::string, ManifestEntry> decode_manifest(const ShardFile& f, const fs::path& path) {
  std::map<std::string, ManifestEntry> entries;
  std::istringstream in(std::string(reinterpret_cast<const char*>(f.data.data()), f.data.size()));
  std::string id, hex;
  std::uint64_t bytes = 0;
  while (in >> id >> bytes >> hex) entries[id] = {bytes, std::stoull(hex, nullptr, 16)};
  if (!in.eof()) throw ShardFileError(Kind::corrupt_header, path, "unreadable manifest line");
  return entries;
}

std::optional<std::int64_t> parse_version(const std::string& name) {
  if (name.size() != 13 || name[0] != 'v') return std::nullopt;
  if (!std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(name.substr(1));
}

}  // namespace

CheckpointStore::CheckpointStore(fs::path root) : root_(std::move(root)) { make_dir(root_); }

fs::path CheckpointStore::version_dir(std::int64_t version) const {
  return root_ / fmt::format("v{:012}", version);
}

void CheckpointStore::begin_version(std::int64_t version) const {
  const fs::path dir = version_dir(version);
  if (fs::is_directory(dir)) return;
  make_dir(dir);
  fsync_dir(root_);  // the new directory's entry must survive a crash like the files in it
}

void CheckpointStore::write_rank(std::int64_t version, int rank,
                                 const std::vector<ShardView>& shards,
                                 const StageHook& hook) const {
  const fs::path vdir = version_dir(version);
  // A rewrite of the same version (after a rollback) must not leave the old manifest claiming
  // shards that are being replaced.
  std::error_code ec;
  fs::remove(manifest_path(vdir, rank), ec);
  make_dir(vdir / fmt::format("rank{:04}", rank));
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const fs::path path = shard_path(vdir, rank, shards[i].id);
    const fs::path staged = stage_shard_file(path, {version, rank, shards[i].id}, shards[i].data);
    // A throw here is a crash between the steps: the staged temp file stays behind, as after a
    // real crash, and is never read (it does not carry the final name).
    if (hook) hook(i);
    commit_shard_file(staged, path);
  }
  const std::string manifest = encode_manifest(shards);
  write_shard_file(manifest_path(vdir, rank), {version, rank, "manifest"},
                   std::as_bytes(std::span(manifest.data(), manifest.size())));
}

std::vector<std::int64_t> CheckpointStore::complete_versions(const std::vector<int>& ranks) const {
  std::set<std::int64_t, std::greater<>> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const auto v = parse_version(entry.path().filename().string());
    if (!v) continue;
    const bool all = std::all_of(ranks.begin(), ranks.end(),
                                 [&](int r) { return fs::exists(manifest_path(entry.path(), r)); });
    if (all) versions.insert(*v);
  }
  return {versions.begin(), versions.end()};
}

namespace {

void read_listed(const fs::path& vdir, const CheckpointStore::Manifest& m,
                 const std::vector<CheckpointStore::ShardTarget>& targets, bool cold) {
  for (const CheckpointStore::ShardTarget& t : targets) {
    const fs::path path = shard_path(vdir, m.rank, t.id);
    const auto it = m.entries.find(t.id);
    if (it == m.entries.end() || it->second.bytes != t.data.size()) {
      throw ShardFileError(Kind::corrupt_header, path,
                           "shard missing from the manifest or resized");
    }
    if (cold) drop_page_cache(path);
    const ShardFile f = read_shard_file(path);
    if (f.header.iteration != m.version || f.header.rank != m.rank || f.header.shard_id != t.id ||
        f.data.size() != t.data.size() || f.payload_xxh3 != it->second.sum) {
      throw ShardFileError(Kind::corrupt_header, path, "shard does not match its manifest entry");
    }
    std::memcpy(t.data.data(), f.data.data(), f.data.size());
  }
}

}  // namespace

CheckpointStore::Manifest CheckpointStore::manifest(std::int64_t version, int rank) const {
  const fs::path mpath = manifest_path(version_dir(version), rank);
  const ShardFile file = read_shard_file(mpath);
  if (file.header.iteration != version || file.header.rank != rank) {
    throw ShardFileError(Kind::corrupt_header, mpath, "manifest of another version or rank");
  }
  return {version, rank, decode_manifest(file, mpath)};
}

void CheckpointStore::read_rank(std::int64_t version, int rank,
                                const std::vector<ShardTarget>& targets, bool cold) const {
  const Manifest m = manifest(version, rank);
  if (m.entries.size() != targets.size()) {
    throw ShardFileError(
        Kind::corrupt_header, manifest_path(version_dir(version), rank),
        fmt::format("manifest lists {} shards, the rank has {}", m.entries.size(), targets.size()));
  }
  read_listed(version_dir(version), m, targets, cold);
}

void CheckpointStore::read_shards(const Manifest& m, const std::vector<ShardTarget>& targets,
                                  bool cold) const {
  read_listed(version_dir(m.version), m, targets, cold);
}

void CheckpointStore::prune(const std::vector<int>& ranks, int keep) const {
  if (keep < 1) throw std::invalid_argument("prune must keep at least one version");
  const std::vector<std::int64_t> complete = complete_versions(ranks);  // newest first
  if (complete.empty()) return;
  const std::int64_t oldest_kept =
      complete[std::min(complete.size(), static_cast<std::size_t>(keep)) - 1];
  // Versions that hold some rank's newest copy of a shard (or are among the `keep` newest).
  std::set<std::int64_t> needed;
  std::map<int, std::set<std::string>> newer;  // per rank: shards a newer version holds
  for (std::size_t i = 0; i < complete.size(); ++i) {
    bool need = complete[i] >= oldest_kept;
    for (int r : ranks) {
      try {
        for (const auto& [id, entry] : manifest(complete[i], r).entries)
          need = newer[r].insert(id).second || need;
      } catch (const ShardFileError&) {
        // A damaged manifest makes the version unreadable: nothing in it is worth keeping.
      }
    }
    if (need) needed.insert(complete[i]);
  }
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const auto v = parse_version(entry.path().filename().string());
    if (v && *v < oldest_kept && !needed.count(*v)) doomed.push_back(entry.path());
  }
  for (const fs::path& p : doomed) fs::remove_all(p, ec);
}

}  // namespace ckptlab::hw
