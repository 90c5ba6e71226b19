#include "atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace ckptlab {

namespace fs = std::filesystem;

namespace {

void sync_fd_or_throw(int fd, const std::string& what) {
  if (::fsync(fd) != 0) {
    ::close(fd);
    throw std::runtime_error(fmt::format("fsync of {} failed", what));
  }
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  const fs::path target = fs::absolute(path);
  const fs::path temp =
      target.parent_path() / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot create {}", temp.string()));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      ::close(fd);
      fs::remove(temp);
      throw std::runtime_error(fmt::format("writing {} failed (disk full?)", temp.string()));
    }
    done += static_cast<std::size_t>(n);
  }
  sync_fd_or_throw(fd, temp.string());
  std::error_code ec;
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp);
    throw std::runtime_error(
        fmt::format("cannot rename {} to {}: {}", temp.string(), target.string(), ec.message()));
  }
  const int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir < 0)
    throw std::runtime_error(fmt::format("cannot open {}", target.parent_path().string()));
  sync_fd_or_throw(dir, target.parent_path().string());
}

}  // namespace ckptlab
