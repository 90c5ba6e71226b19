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

// Streams of the spare pool beyond `repairs` (random_draws.hpp).
constexpr auto kRepairEscalationStream = RandomStream::repair_escalation;
constexpr auto kSilentRepairsStream = RandomStream::silent_repairs;
constexpr auto kOutsideRepairsStream = RandomStream::outside_repairs;

RepairTime decode_repair_time(const ConfigNode& r, bool top_level) {
  if (top_level) {
    r.expect_keys({"distribution", "median", "sigma", "escalation", "silent_failure"});
  } else {
    r.expect_keys({"distribution", "median", "sigma"});
  }
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

double decode_probability(const ConfigNode& n) {
  const double p = n.as_double();
  if (!(p >= 0 && p <= 1)) n.fail(fmt::format("expected a probability in [0, 1], got {}", p));
  return p;
}

int decode_node_count(const ConfigNode& n, std::string_view what) {
  const std::int64_t v = n.as_int();
  if (v < 0 || v > std::numeric_limits<int>::max()) {
    n.fail(fmt::format("expected a number of {} >= 0, got {}", what, v));
  }
  return static_cast<int>(v);
}

}  // namespace

std::string_view to_string(RepairDistribution d) {
  return d == RepairDistribution::fixed ? "fixed" : "lognormal";
}

RestartSpec decode_restart(const ConfigNode& node) {
  node.expect_keys({"spares", "spare_swap", "reschedule_wait", "process_restart", "repair_time",
                    "repair", "retire_after", "retire_window", "warm_standbys", "standby_swap",
                    "wait_for_spare"});
  RestartSpec spec;
  if (auto n = node.find("spares")) spec.spares = decode_node_count(*n, "spare nodes");
  if (auto n = node.find("warm_standbys")) {
    spec.warm_standbys = decode_node_count(*n, "warm standby nodes");
  }
  spec.reschedule_wait = decode_step_duration(node["reschedule_wait"]);
  spec.process_restart = decode_step_duration(node["process_restart"]);
  if (node.has("repair_time") && node.has("repair")) {
    node["repair"].fail("give either repair_time (fixed) or repair, not both");
  }
  // Without spares the swap and repair times are never used, so they may be left out.
  if (spec.spares > 0) {
    spec.spare_swap = decode_step_duration(node["spare_swap"]);
  } else {
    if (auto n = node.find("spare_swap")) spec.spare_swap = decode_step_duration(*n);
  }
  if (spec.warm_standbys > 0) {
    spec.standby_swap = decode_step_duration(node["standby_swap"]);
  } else {
    if (auto n = node.find("standby_swap")) spec.standby_swap = decode_step_duration(*n);
  }
  if ((spec.spares > 0 || spec.warm_standbys > 0) && !node.has("repair_time") &&
      !node.has("repair")) {
    node.fail(
        "spares need a repair time: repair_time: \"3d\" or repair: {distribution: "
        "lognormal, median: ..., sigma: ...}");
  }
  if (auto r = node.find("repair")) {
    spec.repair = decode_repair_time(*r, true);
    spec.repair_time = spec.repair.median;
    if (auto e = r->find("escalation")) {
      e->expect_keys({"probability", "manual"});
      spec.escalation_probability = decode_probability((*e)["probability"]);
      spec.manual_repair = decode_repair_time((*e)["manual"], false);
    }
    if (auto s = r->find("silent_failure")) {
      spec.silent_failure = decode_probability(*s);
      if (!(spec.silent_failure < 1))
        s->fail("a repair that always fails never returns a node; expected silent_failure < 1");
    }
  } else {
    if (auto n = node.find("repair_time")) spec.repair_time = decode_step_duration(*n);
    spec.repair = {RepairDistribution::fixed, spec.repair_time, 0};
  }
  if (auto n = node.find("retire_after")) {
    const std::int64_t k = n->as_positive_int();
    if (k > std::numeric_limits<int>::max()) n->fail(fmt::format("retire_after {} too large", k));
    spec.retire_after = static_cast<int>(k);
  }
  if (auto n = node.find("retire_window")) {
    if (spec.retire_after == 0) n->fail("retire_window needs retire_after (how many failures)");
    spec.retire_window = decode_step_duration(*n);
    if (!(spec.retire_window.value > 0)) n->fail("expected a retire_window > 0");
  }
  if (auto n = node.find("wait_for_spare")) spec.wait_for_spare = n->as_bool();
  return spec;
}

SparePool::SparePool(const RestartSpec& spec, std::uint64_t seed)
    : spec_(spec),
      engine_(stream_seed(seed, RandomStream::repairs)),
      escalation_engine_(stream_seed(seed, kRepairEscalationStream)),
      silent_engine_(stream_seed(seed, kSilentRepairsStream)),
      outside_engine_(stream_seed(seed, kOutsideRepairsStream)) {
  CKPTLAB_CHECK(spec.spares >= 0, "negative spare count");
  CKPTLAB_CHECK(spec.warm_standbys >= 0, "negative standby count");
  CKPTLAB_CHECK(spec.retire_after >= 0, "negative retire_after");
  CKPTLAB_CHECK(spec.escalation_probability >= 0 && spec.escalation_probability <= 1 &&
                    spec.silent_failure >= 0 && spec.silent_failure < 1,
                "repair probabilities outside [0, 1]");
  pool_size_[kHot] = spec.spares;
  pool_size_[kWarm] = spec.warm_standbys;
  free_[kHot].push_healthy(spec.spares);
  free_[kWarm].push_healthy(spec.warm_standbys);
}

std::int64_t SparePool::total_free() const { return free_[kHot].size() + free_[kWarm].size(); }

void SparePool::release_repaired(Nanos now) {
  while (!in_repair_.empty() && in_repair_.begin()->first <= now) {
    auto it = in_repair_.begin();
    Repair& r = it->second;
    if (r.returns_to != kNone) {
      if (total_free() == 0) exhausted_ns_ += std::max<Nanos>(0, it->first - empty_since_);
      free_[r.returns_to].push(Unit{r.faulty, std::move(r.history)});
    }
    in_repair_.erase(it);
  }
  reserved_.erase(reserved_.begin(), reserved_.upper_bound(now));  // those repairs are over
}

std::int64_t SparePool::free_spares(Nanos now) const {
  std::int64_t n = total_free();
  for (auto it = in_repair_.begin(); it != in_repair_.end() && it->first <= now; ++it) {
    n += it->second.returns_to != kNone;
  }
  return n;
}

std::int64_t SparePool::free_standbys(Nanos now) const {
  std::int64_t n = free_[kWarm].size();
  for (auto it = in_repair_.begin(); it != in_repair_.end() && it->first <= now; ++it) {
    n += it->second.returns_to == kWarm;
  }
  return n;
}

std::int64_t SparePool::in_repair(Nanos now) const {
  std::int64_t n = 0;
  for (auto it = in_repair_.upper_bound(now); it != in_repair_.end(); ++it) {
    n += it->second.returns_to != kNone;
  }
  // Units a waiting job took before their repair ended (reserved_) stand in for failed nodes
  // whose own repairs return to the pool; they are counted by in_repair_total only.
  return n;
}

std::int64_t SparePool::in_repair_total(Nanos now) const {
  return static_cast<std::int64_t>(std::distance(in_repair_.upper_bound(now), in_repair_.end()) +
                                   std::distance(reserved_.upper_bound(now), reserved_.end()));
}

std::int64_t SparePool::repaired(Nanos now) const {
  return repairs_started_ + rescheduled_nodes_ - in_repair_total(now);
}

Seconds SparePool::exhausted_time(Nanos end) const {
  Nanos e = exhausted_ns_;
  if (total_free() == 0) {
    Nanos stop = end;
    for (const auto& [t, r] : in_repair_) {
      if (r.returns_to != kNone) {
        stop = std::min(stop, t);
        break;
      }
    }
    e += std::max<Nanos>(0, stop - empty_since_);
  }
  return to_seconds(e);
}

Seconds SparePool::draw_time(const RepairTime& r, std::mt19937_64& engine) const {
  if (r.distribution == RepairDistribution::fixed) return r.median;
  // A lognormal has no upper bound; past kMaxStepSeconds the node is as good as retired, and the
  // cap keeps `now + repair` on the clock.
  return Seconds{std::min(kMaxStepSeconds, draw_lognormal(engine, r.median.value, r.sigma))};
}

void SparePool::start_repair(Nanos t, Pool pool, const History& history) {
  const bool outside = pool == kNone;
  std::mt19937_64& automatic = outside ? outside_engine_ : engine_;
  std::mt19937_64& escalation = outside ? outside_engine_ : escalation_engine_;
  double seconds = draw_time(spec_.repair, automatic).value;
  const bool manual =
      spec_.escalation_probability > 0 && uniform01(escalation) < spec_.escalation_probability;
  if (manual)
    seconds = std::min(kMaxStepSeconds, seconds + draw_time(spec_.manual_repair, escalation).value);
  const bool faulty =
      !outside && spec_.silent_failure > 0 && uniform01(silent_engine_) < spec_.silent_failure;
  ++(manual ? manual_repairs_ : automatic_repairs_);
  silent_failures_ += faulty;
  if (!outside) {
    ++repairs_started_;
    repair_seconds_ += seconds;
  }
  in_repair_.emplace(t + to_nanos(Seconds{seconds}),
                     Repair{pool, faulty, faulty ? history : History{}});
}

bool SparePool::note_failure(History& h, Nanos t) const {
  if (spec_.retire_after == 0) return false;
  if (!(spec_.retire_window.value > 0)) {
    if (++h.count <= spec_.retire_after) return false;
    h.count = 0;  // the id now names the machine that took its place
    return true;
  }
  const Nanos window = to_nanos(spec_.retire_window);
  h.times.erase(
      std::remove_if(h.times.begin(), h.times.end(), [&](Nanos f) { return t - f > window; }),
      h.times.end());
  h.times.push_back(t);
  if (static_cast<std::int64_t>(h.times.size()) <= spec_.retire_after) return false;
  h.times.clear();
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

SparePool::Round SparePool::take(Nanos t, std::int64_t need) {
  Round round;
  const std::int64_t hot = free_[kHot].size();
  const std::int64_t warm = free_[kWarm].size();
  std::int64_t returning = 0;
  if (spec_.wait_for_spare && hot + warm < need) {
    for (const auto& [end, r] : in_repair_) returning += r.returns_to != kNone;
  }
  const bool from_pools =
      hot + warm >= need || (spec_.wait_for_spare && hot + warm + returning >= need);
  if (!from_pools) {
    round.rescheduled = true;
    round.cost_s = spec_.reschedule_wait.value;
    spare_wait_s_ += spec_.reschedule_wait.value;
    ++reschedules_;
    ++exhaustions_;
    return round;
  }
  const bool had_free = total_free() > 0;
  bool standby = false;
  auto take_from = [&](Pool p, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
      round.taken.push_back({p, free_[p].pop_front()});
    }
    standby = standby || (p == kWarm && n > 0);
  };
  Nanos ready = t;
  if (hot >= need) {
    take_from(kHot, need);
  } else {
    take_from(kHot, hot);
    take_from(kWarm, std::min(warm, need - hot));
    // Case 3: wait for the earliest repairs to return units.
    for (auto it = in_repair_.begin(); static_cast<std::int64_t>(round.taken.size()) < need;) {
      CKPTLAB_CHECK(it != in_repair_.end(), "spare pool: fewer returning units than counted");
      if (it->second.returns_to == kNone) {
        ++it;
        continue;
      }
      ready = std::max(ready, it->first);
      round.taken.push_back(
          {it->second.returns_to, Unit{it->second.faulty, std::move(it->second.history)}});
      standby = standby || it->second.returns_to == kWarm;
      reserved_.insert(it->first);
      it = in_repair_.erase(it);
    }
  }
  if (had_free && total_free() == 0) empty_since_ = t;
  spares_used_ += need;
  standby_swaps_ += standby;
  const double swap =
      standby ? std::max(spec_.spare_swap.value, spec_.standby_swap.value) : spec_.spare_swap.value;
  const double wait = to_seconds(ready - t).value;
  if (hot + warm < need) {
    ++exhaustions_;
    spare_wait_s_ += wait;
  }
  round.cost_s = wait + swap;
  return round;
}

Seconds SparePool::acquire_impl(Nanos now, std::int64_t count,
                                const std::vector<std::int64_t>* ids) {
  CKPTLAB_CHECK(now >= last_now_,
                fmt::format("SparePool::acquire at {} ns after {} ns", now, last_now_));
  last_now_ = now;
  release_repaired(now);
  failed_nodes_ += count;
  ++acquires_;
  // Where each failed node's place is filled from in the end (kNone: the scheduler).
  std::vector<Pool> stand_in(static_cast<size_t>(count), kNone);
  std::vector<size_t> open(static_cast<size_t>(count));
  for (size_t i = 0; i < open.size(); ++i) open[i] = i;
  double total = 0;
  Nanos t = now;
  while (!open.empty()) {
    Round round = take(t, static_cast<std::int64_t>(open.size()));
    total += round.cost_s;
    const Nanos joined = now + to_nanos(Seconds{total});
    std::vector<size_t> still_open;
    for (size_t k = 0; k < open.size(); ++k) {
      if (round.rescheduled) {
        stand_in[open[k]] = kNone;
        continue;
      }
      Taken& u = round.taken[k];
      stand_in[open[k]] = u.pool;
      if (!u.unit.faulty) continue;
      // A silently faulty unit is dead on joining: a failed node of its pool, and its place is
      // open again.
      ++failed_nodes_;
      ++dead_on_join_;
      still_open.push_back(open[k]);
      if (note_failure(u.unit.history, joined)) {
        ++retired_nodes_;
        --pool_size_[u.pool];
      } else {
        start_repair(joined, u.pool, u.unit.history);
      }
    }
    open = std::move(still_open);
    t = joined;
  }
  History none;
  for (std::int64_t i = 0; i < count; ++i) {
    const Pool pool = stand_in[static_cast<size_t>(i)];
    History* history =
        ids && spec_.retire_after > 0 ? &failures_of_[(*ids)[static_cast<size_t>(i)]] : &none;
    const bool retire = ids && note_failure(*history, now);
    if (retire) {
      ++retired_nodes_;
      if (pool != kNone) --pool_size_[pool];  // the stand-in stays in the job for good
      continue;
    }
    if (pool == kNone) ++rescheduled_nodes_;
    start_repair(now, pool, *history);
  }
  replacement_seconds_ += total;
  return Seconds{total};
}

Seconds SparePool::mean_time_to_replacement() const {
  return Seconds{acquires_ > 0 ? replacement_seconds_ / static_cast<double>(acquires_) : 0};
}

Seconds SparePool::mean_repair_time() const {
  return Seconds{repairs_started_ > 0 ? repair_seconds_ / static_cast<double>(repairs_started_)
                                      : 0};
}

}  // namespace ckptlab
