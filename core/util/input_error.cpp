#include "util/input_error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace ckptlab {

namespace {
std::string compose(const std::string& file, int line, int column, const std::string& key_path,
                    const std::string& message) {
  std::string where = file.empty() ? "<input>" : file;
  if (line > 0) where += fmt::format(":{}:{}", line, column);
  if (key_path.empty()) return fmt::format("{}: {}", where, message);
  return fmt::format("{}: key '{}': {}", where, key_path, message);
}
}  // namespace

InputError::InputError(std::string file, int line, int column, std::string key_path,
                       std::string message)
    : std::runtime_error(compose(file, line, column, key_path, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      message_(std::move(message)) {}

void check_failed(const char* condition, const char* file, int line, const std::string& detail) {
  std::fprintf(stderr, "ckptlab internal error: %s:%d: CHECK(%s) failed: %s\n", file, line,
               condition, detail.c_str());
  std::abort();
}

}  // namespace ckptlab
