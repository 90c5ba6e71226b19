// The one exception type for bad input (YAML, CLI values, CSV traces, calibration files).
// It carries where the problem is (file, line, column: 1-based, 0 when unknown), which key
// (a dotted path such as "policies[1].interval") and what was expected. The CLI catches it once,
// prints what() and exits with status 2. Internal invariant violations are not InputErrors.
#pragma once

#include <stdexcept>
#include <string>

namespace ckptlab {

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, int line, int column, std::string key_path, std::string message);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
  std::string message_;
};

// Loud failure for broken invariants (bugs, not input): prints the condition and aborts.
[[noreturn]] void check_failed(const char* condition, const char* file, int line,
                               const std::string& detail);

}  // namespace ckptlab

#define CKPTLAB_CHECK(cond, detail)                                    \
  do {                                                                 \
    if (!(cond)) ::ckptlab::check_failed(#cond, __FILE__, __LINE__, detail); \
  } while (0)
