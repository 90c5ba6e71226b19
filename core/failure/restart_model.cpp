#include "failure/restart_model.hpp"

#include <fmt/format.h>

#include <limits>

#include "util/input_error.hpp"

namespace ckptlab {

RestartSpec decode_restart(const ConfigNode& node) {
  node.expect_keys({"spares", "spare_swap", "reschedule_wait", "process_restart", "repair_time"});
  RestartSpec spec;
  if (auto n = node.find("spares")) {
    const std::int64_t spares = n->as_int();
    if (spares < 0 || spares > std::numeric_limits<int>::max()) {
      n->fail(fmt::format("expected a number of spare nodes >= 0, got {}", spares));
    }
    spec.spares = static_cast<int>(spares);
  }
  spec.reschedule_wait = node["reschedule_wait"].as_duration();
  spec.process_restart = node["process_restart"].as_duration();
  // Without spares the swap and repair times are never used, so they may be left out.
  if (spec.spares > 0) {
    spec.spare_swap = node["spare_swap"].as_duration();
    spec.repair_time = node["repair_time"].as_duration();
  } else {
    spec.spare_swap = node.duration_or("spare_swap", Seconds{0});
    spec.repair_time = node.duration_or("repair_time", Seconds{0});
  }
  return spec;
}

SparePool::SparePool(const RestartSpec& spec) : spec_(spec), free_(spec.spares) {
  CKPTLAB_CHECK(spec.spares >= 0, "negative spare count");
}

void SparePool::release_repaired(Nanos now) {
  while (!in_repair_.empty() && in_repair_.front().first <= now) {
    free_ += in_repair_.front().second;
    in_repair_.pop_front();
  }
}

std::int64_t SparePool::free_spares(Nanos now) const {
  std::int64_t n = free_;
  for (const auto& [back_at, count] : in_repair_) {
    if (back_at <= now) n += count;
  }
  return n;
}

Seconds SparePool::acquire(Nanos now, std::int64_t nodes_needed) {
  CKPTLAB_CHECK(nodes_needed >= 1, fmt::format("acquire of {} nodes", nodes_needed));
  CKPTLAB_CHECK(now >= last_now_,
                fmt::format("SparePool::acquire at {} ns after {} ns", now, last_now_));
  last_now_ = now;
  release_repaired(now);
  if (free_ < nodes_needed) {
    ++reschedules_;
    return spec_.reschedule_wait;
  }
  free_ -= nodes_needed;
  spares_used_ += nodes_needed;
  // now is non-decreasing and repair_time fixed, so appending keeps in_repair_ in time order.
  in_repair_.emplace_back(now + to_nanos(spec_.repair_time), nodes_needed);
  return spec_.spare_swap;
}

}  // namespace ckptlab
