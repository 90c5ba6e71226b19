#include "job/job_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <optional>

#include "util/input_error.hpp"

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
    catalog_.seed(0, policy_.durable_tier());
    next_failure_ = failures_.next();
  }

  JobResult run() {
    std::uint64_t steps = 0;
    while (now_ < horizon_) {
      if (settings_.progress && steps++ % 4096 == 0) {
        settings_.progress(static_cast<double>(now_) / static_cast<double>(horizon_));
      }
      // After a rollback the restored version is already durable: do not write it again.
      const bool already_saved = catalog_.newest_complete(policy_.durable_tier()) == iteration_;
      if (const Plan* plan = already_saved ? nullptr : policy_.checkpoint_plan(iteration_)) {
        if (checkpoint(*plan) != Outcome::kDone) continue;
      }
      train_one_iteration();
    }
    result_.wall = now_;
    result_.iterations = iteration_;
    CKPTLAB_CHECK(result_.ledger.total() == result_.wall,
                  fmt::format("ledger sums to {} ns but wall time is {} ns",
                              result_.ledger.total(), result_.wall));
    return std::move(result_);
  }

 private:
  Nanos failure_time() const { return next_failure_ ? next_failure_->time : kNever; }

  void record(std::string event, std::string detail = "") {
    if (result_.timeline.size() >= settings_.timeline_limit) {
      result_.timeline_truncated = true;
      return;
    }
    result_.timeline.push_back({now_, std::move(event), iteration_, std::move(detail)});
  }

  void complete_background() {
    catalog_.complete(background_->version, policy_.durable_tier());
    ++result_.checkpoints_completed;
    const std::int64_t version = background_->version;
    background_.reset();
    record("checkpoint_done", fmt::format("version {}", version));
  }

  // Spends up to `duration` in one non-training category. Stops early at a failure (returns
  // kFailure, the failure not yet handled) or at the horizon. Background work that ends meanwhile
  // completes at its end time.
  Outcome spend(Nanos duration, TimeCategory category) {
    const Nanos end = now_ + duration;
    while (true) {
      const Nanos fail_at = failure_time();
      if (fail_at < end && fail_at < horizon_) {
        if (background_ && background_->end <= fail_at) {
          advance_to(background_->end, category);
          complete_background();
          continue;
        }
        advance_to(std::max(now_, fail_at), category);
        return Outcome::kFailure;
      }
      const Nanos stop = std::min(end, horizon_);
      if (background_ && background_->end <= stop) {
        advance_to(background_->end, category);
        complete_background();
        continue;
      }
      advance_to(stop, category);
      return now_ == end ? Outcome::kDone : Outcome::kHorizon;
    }
  }

  void advance_to(Nanos t, TimeCategory category) {
    result_.ledger.charge(category, t - now_);
    now_ = t;
  }

  // Trains until the current iteration completes, or a failure / the horizon stops it.
  void train_one_iteration() {
    const double slow = settings_.background_slowdown;
    while (true) {
      const Nanos need = iteration_ns_ - partial_ns_;  // unslowed work left in this iteration
      const Nanos fail_at = failure_time();
      Nanos limit = std::min(horizon_, fail_at);
      if (background_) limit = std::min(limit, background_->end);
      const Nanos wall_needed =
          background_ ? static_cast<Nanos>(static_cast<double>(need) * (1 + slow) + 0.5) : need;
      if (now_ + wall_needed <= limit) {
        charge_training(need, wall_needed);
        partial_ns_ = 0;
        ++iteration_;
        if (background_ && background_->end == now_) complete_background();
        return;
      }
      const Nanos dt = std::max<Nanos>(0, limit - now_);
      const Nanos progress =
          background_ ? std::min(need, static_cast<Nanos>(static_cast<double>(dt) / (1 + slow)))
                      : dt;
      charge_training(progress, dt);
      partial_ns_ += progress;
      if (background_ && background_->end == now_) {
        complete_background();
        continue;
      }
      if (now_ == fail_at && fail_at < horizon_) {
        handle_failure();
        return;
      }
      return;  // horizon
    }
  }

  void charge_training(Nanos productive, Nanos wall) {
    result_.ledger.charge(TimeCategory::kProductive, productive);
    result_.ledger.charge(TimeCategory::kSlowdown, wall - productive);
    now_ += wall;
  }

  Outcome checkpoint(const Plan& plan) {
    if (background_) {  // one checkpoint in flight: wait for the previous persist
      const Outcome waited = spend(background_->end - now_, TimeCategory::kCheckpointStall);
      if (waited == Outcome::kFailure) handle_failure();
      if (waited != Outcome::kDone) return waited;
    }
    const PlanTiming timing = executor_.execute(plan);
    const Tier tier = policy_.durable_tier();
    catalog_.begin(iteration_, tier);
    ++result_.checkpoints_started;
    record("checkpoint_start", fmt::format("{} ops, {}", plan.ops.size(),
                                           format_size(plan.ops.front().total_bytes())));
    const Outcome blocked = spend(to_nanos(timing.blocking), TimeCategory::kCheckpointStall);
    if (blocked == Outcome::kFailure) {
      handle_failure();
      return Outcome::kFailure;
    }
    if (blocked == Outcome::kHorizon) return blocked;
    const Nanos background = to_nanos(timing.total) - to_nanos(timing.blocking);
    background_ = Background{now_ + background, iteration_};
    if (background <= 0) complete_background();
    return Outcome::kDone;
  }

  void handle_failure() {
    while (true) {
      const FailureEvent failure = *next_failure_;
      next_failure_ = failures_.next();
      ++result_.failures;
      if (background_ || catalog_.in_flight(policy_.durable_tier())) {
        ++result_.checkpoints_aborted;
        record("checkpoint_aborted", "failure during the write");
      }
      background_.reset();
      catalog_.abort_in_flight();

      const RecoveryPlan recovery = policy_.plan_recovery(failure, catalog_);
      CKPTLAB_CHECK(recovery.restore_iteration <= iteration_, "recovery cannot move forward");
      CKPTLAB_CHECK(catalog_.newest_complete(recovery.source) &&
                        *catalog_.newest_complete(recovery.source) >= recovery.restore_iteration,
                    "recovery must restore a version that is complete on its tier");
      const std::int64_t lost_iterations = iteration_ - recovery.restore_iteration;
      result_.ledger.move(TimeCategory::kProductive, TimeCategory::kLostWork,
                          lost_iterations * iteration_ns_ + partial_ns_);
      result_.rolled_back_iterations += lost_iterations;
      iteration_ = recovery.restore_iteration;
      partial_ns_ = 0;
      record("failure", fmt::format("{} on {} node(s), first {}; restore version {} from {}",
                                    failure.kind, failure.nodes.size(),
                                    failure.nodes.empty() ? -1 : failure.nodes.front(),
                                    recovery.restore_iteration, tier_name(recovery.source)));

      const Seconds restart =
          spares_.acquire(now_, static_cast<std::int64_t>(failure.nodes.size())) +
          settings_.process_restart;
      const Seconds load = recovery.load ? executor_.execute(*recovery.load).blocking : Seconds{0};
      const std::pair<Nanos, TimeCategory> phases[] = {
          {to_nanos(failure.detection), TimeCategory::kDetection},
          {to_nanos(restart), TimeCategory::kRestart},
          {to_nanos(load), TimeCategory::kStateLoad},
      };
      Outcome outcome = Outcome::kDone;
      for (const auto& [duration, category] : phases) {
        outcome = spend(duration, category);
        if (outcome != Outcome::kDone) break;
      }
      if (outcome == Outcome::kFailure) continue;  // a failure during recovery: start again
      if (outcome == Outcome::kDone) {
        ++result_.recoveries_completed;
        record("recovery_done", fmt::format("resumed at version {}", iteration_));
      }
      return;
    }
  }

  struct Background {
    Nanos end;
    std::int64_t version;
  };

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
  std::optional<Background> background_;
  Catalog catalog_;
  JobResult result_;
};

}  // namespace

JobResult run_job(Policy& policy, Executor& executor, FailureProcess& failures, SparePool& spares,
                  const JobSettings& settings) {
  return JobRun(policy, executor, failures, spares, settings).run();
}

}  // namespace ckptlab
