// Progress on stderr for work that takes longer than a second; silent for quick runs, and
// silent when stderr is not a terminal except for a line per policy.
#pragma once

#include <chrono>
#include <string>

namespace ckptlab {

class ProgressReporter {
 public:
  // `done_word` follows the percentage: "simulated" (a run), "done" (a validation).
  explicit ProgressReporter(std::string done_word = "simulated");
  ~ProgressReporter();
  // Reports `fraction` (0..1) of the task `label`; prints at most a few times per second and
  // only once a second has passed since construction.
  void update(const std::string& label, double fraction);
  void finish();

 private:
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  std::string last_label_;
  bool printed_ = false;
  bool tty_ = false;
  std::string done_word_;
};

}  // namespace ckptlab
