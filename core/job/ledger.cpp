#include "job/ledger.hpp"

#include <string>

#include "util/input_error.hpp"

namespace ckptlab {

const char* category_key(TimeCategory c) {
  switch (c) {
    case TimeCategory::kProductive: return "productive";
    case TimeCategory::kCheckpointStall: return "checkpoint_stall";
    case TimeCategory::kSlowdown: return "slowdown";
    case TimeCategory::kLostWork: return "lost_work";
    case TimeCategory::kDetection: return "detection";
    case TimeCategory::kRestart: return "restart";
    case TimeCategory::kStateLoad: return "state_load";
    case TimeCategory::kReplay: return "replay";
  }
  return "?";
}

void Ledger::charge(TimeCategory c, Nanos ns) {
  CKPTLAB_CHECK(ns >= 0, "negative time charged to " + std::string(category_key(c)));
  ns_[static_cast<size_t>(c)] += ns;
}

void Ledger::move(TimeCategory from, TimeCategory to, Nanos ns) {
  CKPTLAB_CHECK(ns >= 0 && of(from) >= ns,
                "moving more time than was charged to " + std::string(category_key(from)));
  ns_[static_cast<size_t>(from)] -= ns;
  ns_[static_cast<size_t>(to)] += ns;
}

Nanos Ledger::total() const {
  Nanos sum = 0;
  for (Nanos n : ns_) sum += n;
  return sum;
}

Ledger& Ledger::operator+=(const Ledger& other) {
  for (size_t i = 0; i < kTimeCategoryCount; ++i) ns_[i] += other.ns_[i];
  return *this;
}

}  // namespace ckptlab
