#include "failure/restart_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>

#include "failure/failure_kinds.hpp"
#include "failure/random_draws.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

RepairTime decode_repair(const ConfigNode& r) {
  r.expect_keys({"distribution", "median", "sigma"});
  RepairTime out;
  const ConfigNode d = r["distribution"];
  const std::string name = d.as_string();
  if (name == "fixed") {
    out.distribution = RepairDistribution::fixed;
    if (r.has("sigma")) r["sigma"].fail("a fixed repair time has no sigma");
  } else if (name == "lognormal") {
    out.distribution = RepairDistribution::lognormal;
    out.sigma = r["sigma"].as_double();
    if (!(out.sigma >= 0)) r["sigma"].fail(fmt::format("expected sigma >= 0, got {}", out.sigma));
  } else {
    d.fail(fmt::format("unknown repair distribution \"{}\"; expected fixed or lognormal", name));
  }
  out.median = decode_step_duration(r["median"]);
  if (out.distribution == RepairDistribution::lognormal && !(out.median.value > 0)) {
    r["median"].fail("a lognormal repair time needs a median > 0");
  }
  return out;
}

}  // namespace

std::string_view to_string(RepairDistribution d) {
  return d == RepairDistribution::fixed ? "fixed" : "lognormal";
}

RestartSpec decode_restart(const ConfigNode& node) {
  node.expect_keys({"spares", "spare_swap", "reschedule_wait", "process_restart", "repair_time",
                    "repair", "retire_after"});
  RestartSpec spec;
  if (auto n = node.find("spares")) {
    const std::int64_t spares = n->as_int();
    if (spares < 0 || spares > std::numeric_limits<int>::max()) {
      n->fail(fmt::format("expected a number of spare nodes >= 0, got {}", spares));
    }
    spec.spares = static_cast<int>(spares);
  }
  spec.reschedule_wait = decode_step_duration(node["reschedule_wait"]);
  spec.process_restart = decode_step_duration(node["process_restart"]);
  if (node.has("repair_time") && node.has("repair")) {
    node["repair"].fail("give either repair_time (fixed) or repair, not both");
  }
  // Without spares the swap and repair times are never used, so they may be left out.
  if (spec.spares > 0) {
    spec.spare_swap = decode_step_duration(node["spare_swap"]);
    if (!node.has("repair_time") && !node.has("repair")) {
      node.fail(
          "spares need a repair time: repair_time: \"3d\" or repair: {distribution: "
          "lognormal, median: ..., sigma: ...}");
    }
  } else {
    if (auto n = node.find("spare_swap")) spec.spare_swap = decode_step_duration(*n);
  }
  if (auto r = node.find("repair")) {
    spec.repair = decode_repair(*r);
    spec.repair_time = spec.repair.median;
  } else {
    if (auto n = node.find("repair_time")) spec.repair_time = decode_step_duration(*n);
    spec.repair = {RepairDistribution::fixed, spec.repair_time, 0};
  }
  if (auto n = node.find("retire_after")) {
    const std::int64_t k = n->as_positive_int();
    if (k > std::numeric_limits<int>::max()) n->fail(fmt::format("retire_after {} too large", k));
    spec.retire_after = static_cast<int>(k);
  }
  return spec;
}

SparePool::SparePool(const RestartSpec& spec, std::uint64_t seed)
    : spec_(spec),
      engine_(stream_seed(seed, RandomStream::repairs)),
      free_(spec.spares),
      pool_size_(spec.spares) {
  CKPTLAB_CHECK(spec.spares >= 0, "negative spare count");
  CKPTLAB_CHECK(spec.retire_after >= 0, "negative retire_after");
}

void SparePool::release_repaired(Nanos now) {
  while (!in_repair_.empty() && *in_repair_.begin() <= now) {
    ++free_;
    in_repair_.erase(in_repair_.begin());
  }
}

std::int64_t SparePool::free_spares(Nanos now) const {
  std::int64_t n = free_;
  for (auto it = in_repair_.begin(); it != in_repair_.end() && *it <= now; ++it) ++n;
  return n;
}

std::int64_t SparePool::in_repair(Nanos now) const {
  return static_cast<std::int64_t>(std::distance(in_repair_.upper_bound(now), in_repair_.end()));
}

Seconds SparePool::draw_repair() {
  if (spec_.repair.distribution == RepairDistribution::fixed) return spec_.repair.median;
  // A lognormal has no upper bound; past kMaxStepSeconds the node is as good as retired, and the
  // cap keeps `now + repair` on the clock.
  return Seconds{std::min(kMaxStepSeconds,
                          draw_lognormal(engine_, spec_.repair.median.value, spec_.repair.sigma))};
}

bool SparePool::count_failure(std::int64_t id) {
  if (spec_.retire_after == 0) return false;
  int& count = failures_of_[id];
  if (++count <= spec_.retire_after) return false;
  count = 0;  // the id now names the machine that took its place
  return true;
}

Seconds SparePool::acquire(Nanos now, const std::vector<std::int64_t>& failed_nodes) {
  CKPTLAB_CHECK(!failed_nodes.empty(), "acquire for no failed nodes");
  return acquire_impl(now, static_cast<std::int64_t>(failed_nodes.size()), &failed_nodes);
}

Seconds SparePool::acquire(Nanos now, std::int64_t nodes_needed) {
  CKPTLAB_CHECK(nodes_needed >= 1, fmt::format("acquire of {} nodes", nodes_needed));
  return acquire_impl(now, nodes_needed, nullptr);
}

Seconds SparePool::acquire_impl(Nanos now, std::int64_t count,
                                const std::vector<std::int64_t>* ids) {
  CKPTLAB_CHECK(now >= last_now_,
                fmt::format("SparePool::acquire at {} ns after {} ns", now, last_now_));
  last_now_ = now;
  release_repaired(now);
  failed_nodes_ += count;
  ++acquires_;
  const bool swap = free_ >= count;
  if (swap) {
    free_ -= count;
    spares_used_ += count;
  } else {
    ++reschedules_;
  }
  for (std::int64_t i = 0; i < count; ++i) {
    const bool retire = ids && count_failure((*ids)[static_cast<size_t>(i)]);
    if (retire) {
      ++retired_nodes_;
      if (swap) --pool_size_;  // the stand-in stays in the job for good
    } else if (swap) {
      const Seconds repair = draw_repair();
      repair_seconds_ += repair.value;
      ++repairs_started_;
      in_repair_.insert(now + to_nanos(repair));
    } else {
      ++rescheduled_nodes_;
    }
  }
  const Seconds wait = swap ? spec_.spare_swap : spec_.reschedule_wait;
  replacement_seconds_ += wait.value;
  return wait;
}

Seconds SparePool::mean_time_to_replacement() const {
  return Seconds{acquires_ > 0 ? replacement_seconds_ / static_cast<double>(acquires_) : 0};
}

Seconds SparePool::mean_repair_time() const {
  return Seconds{repairs_started_ > 0 ? repair_seconds_ / static_cast<double>(repairs_started_)
                                      : 0};
}

}  // namespace ckptlab
