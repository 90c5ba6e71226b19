#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace ckptlab {

ProgressReporter::ProgressReporter(std::string done_word)
    : start_(std::chrono::steady_clock::now()),
      last_(start_),
      tty_(::isatty(STDERR_FILENO) == 1),
      done_word_(std::move(done_word)) {}

ProgressReporter::~ProgressReporter() { finish(); }

void ProgressReporter::update(const std::string& label, double fraction) {
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return;
  // A terminal gets a live line; a log gets a line every 10 s at most.
  const bool new_label = label != last_label_;
  if (now - last_ < std::chrono::milliseconds(tty_ ? (new_label ? 0 : 250) : 10000)) return;
  last_ = now;
  last_label_ = label;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (tty_) {
    std::fprintf(stderr, "\r  %-24s %5.1f%% %s (%.0f s elapsed)   ", label.c_str(),
                 fraction * 100, done_word_.c_str(), elapsed);
  } else {
    std::fprintf(stderr, "  %s: %.1f%% %s (%.0f s elapsed)\n", label.c_str(), fraction * 100,
                 done_word_.c_str(), elapsed);
  }
  std::fflush(stderr);
  printed_ = true;
}

void ProgressReporter::finish() {
  if (printed_ && tty_) std::fprintf(stderr, "\n");
  printed_ = false;
}

}  // namespace ckptlab
