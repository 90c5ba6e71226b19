#include "job/job_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "util/input_error.hpp"
#include "util/units.hpp"

namespace ckptlab {

namespace {

constexpr Nanos kNever = std::numeric_limits<Nanos>::max();

enum class Outcome { kDone, kFailure, kHorizon };

class JobRun {
 public:
  JobRun(Policy& policy, Executor& executor, FailureProcess& failures, SparePool& spares,
         const JobSettings& settings)
      : policy_(policy),
        executor_(executor),
        failures_(failures),
        spares_(spares),
        settings_(settings),
        iteration_ns_(to_nanos(settings.iteration_time)),
        horizon_(to_nanos(settings.horizon)) {
    CKPTLAB_CHECK(iteration_ns_ > 0, "iteration time must be at least 1 ns");
    catalog_.seed(0, Tier::kStorage);
    catalog_.seed(0, policy_.durable_tier());
    next_failure_ = failures_.next();
  }

  JobResult run() {
    std::uint64_t steps = 0;
    while (now_ < horizon_) {
      if (settings_.max_events > 0 &&
          steps + static_cast<std::uint64_t>(result_.failures) >= settings_.max_events) {
        result_.stopped_early = fmt::format(
            "event budget of {} steps (iterations, checkpoints, failures) spent at {} of the "
            "{} horizon; raise limits.max_events or shorten the horizon",
            settings_.max_events, format_duration(to_seconds(now_)), format_duration(to_seconds(horizon_)));
        break;
      }
      if (settings_.progress && steps % 4096 == 0) {
        settings_.progress(static_cast<double>(now_) / static_cast<double>(horizon_));
      }
      ++steps;
      // After a rollback the restored version is already durable: do not write it again.
      const bool already_saved = catalog_.newest_complete(policy_.durable_tier()) == iteration_;
      if (const Plan* plan = already_saved ? nullptr : policy_.checkpoint_plan(iteration_)) {
        if (checkpoint(*plan) != Outcome::kDone) continue;
      }
      train_one_iteration();
    }
    result_.wall = now_;
    result_.iterations = iteration_;
    result_.spares_used = spares_.spares_used();
    result_.reschedules = spares_.reschedules();
    result_.retired_nodes = spares_.retired_nodes();
    result_.spare_wait_s = spares_.spare_wait().value;
    result_.spares_exhausted = spares_.exhaustions();
    result_.spares_exhausted_s = spares_.exhausted_time(now_).value;
    result_.standby_swaps = spares_.standby_swaps();
    result_.repairs_automatic = spares_.automatic_repairs();
    result_.repairs_manual = spares_.manual_repairs();
    result_.silent_repair_failures = spares_.silent_failures();
    result_.dead_on_join = spares_.dead_on_join();
    result_.failed_nodes = spares_.failed_nodes();
    result_.repaired_nodes = spares_.repaired(now_);
    result_.in_repair_at_end = spares_.in_repair_total(now_);
    CKPTLAB_CHECK(result_.ledger.total() == result_.wall,
                  fmt::format("ledger sums to {} ns but wall time is {} ns",
                              result_.ledger.total(), result_.wall));
    return std::move(result_);
  }

 private:
  // A tier the in-flight checkpoint writes, and when that write ends (absolute time).
  struct PendingWrite {
    Nanos end;
    Tier tier;
  };
  struct InFlight {
    std::int64_t version;
    Nanos end;  // when the plan's last op ends
    std::vector<PendingWrite> writes;
    double slowdown = 0;  // training's fractional slow-down while the background ops run
  };

  Nanos failure_time() const { return next_failure_ ? next_failure_->time : kNever; }

  // Failures, aborts and recoveries are always recorded; routine checkpoint events only up to
  // the timeline limit (a policy that checkpoints every iteration would otherwise flood it).
  void record(std::string event, std::string detail = "", bool routine = false) {
    if (routine && result_.timeline.size() >= settings_.timeline_limit) {
      result_.timeline_truncated = true;
      return;
    }
    result_.timeline.push_back({now_, std::move(event), iteration_, std::move(detail)});
  }

  // The next moment the in-flight checkpoint changes: a tier write ends, or the plan ends.
  Nanos next_checkpoint_event() const {
    if (!in_flight_) return kNever;
    Nanos t = in_flight_->end;
    for (const PendingWrite& w : in_flight_->writes) t = std::min(t, w.end);
    return t;
  }

  // Background checkpoint work runs beside training (and slows it) until the plan ends.
  bool background_active() const {
    return in_flight_ && in_flight_->end > now_ && in_flight_->slowdown > 0;
  }

  // Completes every tier write (and the plan) that has ended by now.
  void process_checkpoint_events() {
    if (!in_flight_) return;
    auto& writes = in_flight_->writes;
    for (auto it = writes.begin(); it != writes.end();) {
      if (it->end <= now_) {
        catalog_.complete(in_flight_->version, it->tier);
        policy_.on_tier_complete(in_flight_->version, it->tier);
        it = writes.erase(it);
      } else {
        ++it;
      }
    }
    if (writes.empty() && in_flight_->end <= now_) {
      ++result_.checkpoints_completed;
      record("checkpoint_done", fmt::format("version {}", in_flight_->version), true);
      in_flight_.reset();
    }
  }

  // Spends up to `duration` in one non-training category. Stops early at a failure (returns
  // kFailure, the failure not yet handled) or at the horizon. Checkpoint writes that end
  // meanwhile complete at their end times.
  Outcome spend(Nanos duration, TimeCategory category) {
    const Nanos end = now_ + duration;
    while (true) {
      const Nanos fail_at = failure_time();
      const bool fails = fail_at < end && fail_at < horizon_;
      const Nanos stop = fails ? std::max(now_, fail_at) : std::min(end, horizon_);
      const Nanos event = next_checkpoint_event();
      if (event <= stop) {
        advance_to(std::max(now_, event), category);
        process_checkpoint_events();
        continue;
      }
      advance_to(stop, category);
      if (fails) return Outcome::kFailure;
      return now_ == end ? Outcome::kDone : Outcome::kHorizon;
    }
  }

  void advance_to(Nanos t, TimeCategory category) {
    result_.ledger.charge(category, t - now_);
    now_ = t;
  }

  // Trains until the current iteration completes, or a failure / the horizon stops it.
  void train_one_iteration() {
    while (true) {
      const Nanos need = iteration_ns_ - partial_ns_;  // unslowed work left in this iteration
      const Nanos fail_at = failure_time();
      const Nanos limit = std::min({horizon_, fail_at, next_checkpoint_event()});
      const bool slowed = background_active();
      const double slow = slowed ? in_flight_->slowdown : 0;
      const Nanos wall_needed =
          slowed ? static_cast<Nanos>(static_cast<double>(need) * (1 + slow) + 0.5) : need;
      if (now_ + wall_needed <= limit) {
        charge_training(need, wall_needed);
        partial_ns_ = 0;
        ++iteration_;
        process_checkpoint_events();
        return;
      }
      const Nanos dt = std::max<Nanos>(0, limit - now_);
      const Nanos progress =
          slowed ? std::min(need, static_cast<Nanos>(static_cast<double>(dt) / (1 + slow))) : dt;
      charge_training(progress, dt);
      partial_ns_ += progress;
      if (now_ == fail_at && fail_at < horizon_) {
        process_checkpoint_events();
        handle_failure();
        return;
      }
      if (now_ >= horizon_) return;
      process_checkpoint_events();  // a write or the plan ended mid-iteration: go on training
    }
  }

  void charge_training(Nanos productive, Nanos wall) {
    result_.ledger.charge(TimeCategory::kProductive, productive);
    result_.ledger.charge(TimeCategory::kSlowdown, wall - productive);
    now_ += wall;
  }

  // The tiers a plan writes and when each write ends (the last op writing that tier).
  static std::vector<PendingWrite> tier_writes(const Plan& plan, const PlanTiming& timing,
                                               Nanos start) {
    std::vector<PendingWrite> writes;
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      const Op& op = plan.ops[i];
      if ((op.kind != OpKind::kSnapshot && op.kind != OpKind::kReplicate &&
           op.kind != OpKind::kPersist) ||
          !op.completes_version) {
        continue;
      }
      const Nanos end = start + to_nanos(timing.op_end[i]);
      auto same = std::find_if(writes.begin(), writes.end(),
                               [&](const PendingWrite& w) { return w.tier == op.to; });
      if (same == writes.end()) {
        writes.push_back({end, op.to});
      } else {
        same->end = std::max(same->end, end);
      }
    }
    return writes;
  }

  Outcome checkpoint(const Plan& plan) {
    if (in_flight_) {  // one checkpoint in flight: wait for the previous one to finish
      const Outcome waited = spend(in_flight_->end - now_, TimeCategory::kCheckpointStall);
      if (waited == Outcome::kFailure) handle_failure();
      if (waited != Outcome::kDone) return waited;
      process_checkpoint_events();
    }
    const PlanTiming timing = executor_.execute(plan);
    in_flight_ = InFlight{iteration_, now_ + to_nanos(timing.total), tier_writes(plan, timing, now_),
                          settings_.background_slowdown * timing.background_share};
    for (const PendingWrite& w : in_flight_->writes) catalog_.begin(iteration_, w.tier);
    ++result_.checkpoints_started;
    if (result_.timeline.size() < settings_.timeline_limit) {  // summing bytes is not free
      record("checkpoint_start",
             fmt::format("{} ops, {}", plan.ops.size(), format_size(plan.total_bytes())), true);
    } else {
      result_.timeline_truncated = true;
    }
    const Outcome blocked = spend(to_nanos(timing.blocking), TimeCategory::kCheckpointStall);
    if (blocked == Outcome::kFailure) {
      handle_failure();
      return Outcome::kFailure;
    }
    if (blocked == Outcome::kHorizon) return blocked;
    process_checkpoint_events();
    return Outcome::kDone;
  }

  void handle_failure() {
    while (true) {
      const FailureEvent failure = *next_failure_;
      next_failure_ = failures_.next();
      ++result_.failures;
      process_checkpoint_events();  // writes that ended by now count; the rest are torn
      if (in_flight_) {
        ++result_.checkpoints_aborted;
        record("checkpoint_aborted", fmt::format("version {}: failure during the write",
                                                 in_flight_->version));
        in_flight_.reset();
      }
      catalog_.abort_in_flight();

      const RecoveryPlan recovery = policy_.plan_recovery(failure, catalog_, iteration_);
      CKPTLAB_CHECK(recovery.restore_iteration <= iteration_, "recovery cannot move forward");
      CKPTLAB_CHECK(catalog_.newest_complete(recovery.source) &&
                        *catalog_.newest_complete(recovery.source) >= recovery.restore_iteration,
                    fmt::format("recovery must restore a version complete on {}",
                                tier_name(recovery.source)));
      if (recovery.localized) {
        // Only the failed ranks roll back and replay from logs; the job keeps its progress but
        // the iteration in flight is restarted everywhere.
        result_.ledger.move(TimeCategory::kProductive, TimeCategory::kLostWork, partial_ns_);
      } else {
        const std::int64_t lost_iterations = iteration_ - recovery.restore_iteration;
        result_.ledger.move(TimeCategory::kProductive, TimeCategory::kLostWork,
                            lost_iterations * iteration_ns_ + partial_ns_);
        result_.rolled_back_iterations += lost_iterations;
        iteration_ = recovery.restore_iteration;
        catalog_.discard_after(iteration_);
      }
      partial_ns_ = 0;
      record("failure", fmt::format("{} on {} node(s), first {}; restore version {} from {}{}{}",
                                    failure.kind, failure.nodes.size(),
                                    failure.nodes.empty() ? -1 : failure.nodes.front(),
                                    recovery.restore_iteration, tier_name(recovery.source),
                                    recovery.localized ? " (localized)" : "",
                                    recovery.detail.empty() ? "" : "; " + recovery.detail));

      const Seconds restart =
          spares_.acquire(now_, failure.nodes) +
          settings_.process_restart;
      const Seconds load = recovery.load ? executor_.execute(*recovery.load).blocking : Seconds{0};
      const std::pair<Nanos, TimeCategory> phases[] = {
          {to_nanos(failure.detection), TimeCategory::kDetection},
          {to_nanos(restart), TimeCategory::kRestart},
          {to_nanos(load), TimeCategory::kStateLoad},
          {to_nanos(recovery.replay), TimeCategory::kReplay},
      };
      Outcome outcome = Outcome::kDone;
      for (const auto& [duration, category] : phases) {
        outcome = spend(duration, category);
        if (outcome != Outcome::kDone) break;
      }
      if (outcome == Outcome::kFailure) continue;  // a failure during recovery: start again
      if (outcome == Outcome::kDone) {
        policy_.on_recovered();
        ++result_.recoveries_completed;
        record("recovery_done", fmt::format("resumed at version {}", iteration_));
      }
      return;
    }
  }

  Policy& policy_;
  Executor& executor_;
  FailureProcess& failures_;
  SparePool& spares_;
  const JobSettings& settings_;
  const Nanos iteration_ns_;
  const Nanos horizon_;

  Nanos now_ = 0;
  std::int64_t iteration_ = 0;  // completed iterations of surviving progress
  Nanos partial_ns_ = 0;        // productive time into the current iteration
  std::optional<FailureEvent> next_failure_;
  std::optional<InFlight> in_flight_;
  Catalog catalog_;
  JobResult result_;
};

}  // namespace

JobResult run_job(Policy& policy, Executor& executor, FailureProcess& failures, SparePool& spares,
                  const JobSettings& settings) {
  return JobRun(policy, executor, failures, spares, settings).run();
}

}  // namespace ckptlab
