#include "results_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace ckptlab {

namespace fs = std::filesystem;

namespace {

void fsync_path(const fs::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open {} to sync it", p.string()));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error(fmt::format("fsync of {} failed", p.string()));
}

void write_file(const fs::path& p, const std::string& content) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}", p.string()));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error(fmt::format("writing {} failed (disk full?)", p.string()));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    throw std::runtime_error(fmt::format("syncing {} failed", p.string()));
  }
}

}  // namespace

void check_results_directory(const std::string& out, bool force) {
  if (!force && fs::exists(out)) {
    throw std::invalid_argument(fmt::format(
        "results directory {} already exists; pass --force to replace it or --out to choose "
        "another",
        out));
  }
}

void write_results_directory(const std::string& out, const std::map<std::string, std::string>& files,
                             bool force) {
  check_results_directory(out, force);
  const fs::path target = fs::absolute(out);
  fs::create_directories(target.parent_path());
  const fs::path temp = target.parent_path() / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid());
  fs::remove_all(temp);
  try {
    fs::create_directory(temp);
    for (const auto& [name, content] : files) write_file(temp / name, content);
    fsync_path(temp, O_RDONLY | O_DIRECTORY);
    fs::path old;
    if (fs::exists(target)) {
      old = target.parent_path() / fmt::format(".{}.old-{}", target.filename().string(), ::getpid());
      fs::rename(target, old);
    }
    fs::rename(temp, target);
    fsync_path(target.parent_path(), O_RDONLY | O_DIRECTORY);
    if (!old.empty()) fs::remove_all(old);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(temp);
    throw std::runtime_error(fmt::format("cannot write results to {}: {}", out, e.what()));
  } catch (...) {
    fs::remove_all(temp);
    throw;
  }
}

}  // namespace ckptlab
