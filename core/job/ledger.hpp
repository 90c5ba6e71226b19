// The Ledger charges every nanosecond of simulated wall time to exactly one category
// (DESIGN.md §3). Integer nanoseconds make "the categories sum to wall time" exact.
#pragma once

#include <array>
#include <cstddef>

#include "util/units.hpp"

namespace ckptlab {

enum class TimeCategory : size_t {
  kProductive,       // training whose progress survives
  kCheckpointStall,  // training blocked by checkpoint work
  kSlowdown,         // extra iteration time while checkpoint work runs beside training
  kLostWork,         // training whose progress a failure rolled back
  kDetection,        // failure happened, the job has not noticed yet
  kRestart,          // replacement node (spare swap or reschedule) + process restart
  kStateLoad,        // loading the checkpoint to resume from
  kReplay,           // log-based localized recovery
};
constexpr size_t kTimeCategoryCount = 8;
// JSON key of a category: "productive", "checkpoint_stall", ...
const char* category_key(TimeCategory c);

class Ledger {
 public:
  void charge(TimeCategory c, Nanos ns);
  // Re-labels time already charged (e.g. productive -> lost_work on a rollback).
  // REQUIRES: at least `ns` is charged to `from`.
  void move(TimeCategory from, TimeCategory to, Nanos ns);
  Nanos of(TimeCategory c) const { return ns_[static_cast<size_t>(c)]; }
  Nanos total() const;
  Ledger& operator+=(const Ledger& other);

 private:
  std::array<Nanos, kTimeCategoryCount> ns_{};
};

}  // namespace ckptlab
