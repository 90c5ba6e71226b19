#include "hw/common/plan_runner.hpp"

#include <algorithm>

#include "util/input_error.hpp"

namespace ckptlab::hw {

PlanRunner::PlanRunner(const Plan& plan, RankTask task, OpSetup setup)
    : plan_(plan),
      task_(std::move(task)),
      setup_(std::move(setup)),
      done_(plan.ops.size(), false),
      results_(plan.ops.size()) {}

PlanRunner::~PlanRunner() {
  if (started_) wait_all();
}

Seconds PlanRunner::now() const {
  return Seconds{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count()};
}

void PlanRunner::start() {
  CKPTLAB_CHECK(!started_, "a PlanRunner runs its plan once");
  started_ = true;
  t0_ = std::chrono::steady_clock::now();
  threads_.reserve(plan_.ops.size());
  for (std::size_t i = 0; i < plan_.ops.size(); ++i)
    threads_.emplace_back([this, i] { run_op(i); });
}

void PlanRunner::run_op(std::size_t i) {
  const Op& op = plan_.ops[i];
  bool skip = false;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return std::all_of(op.after.begin(), op.after.end(), [&](std::size_t d) { return done_[d]; });
    });
    for (std::size_t d : op.after) skip = skip || !results_[d].ok;
  }
  OpResult r;
  r.start = now();
  r.skipped = skip;
  if (!skip) {
    std::vector<std::string> errors;
    std::exception_ptr error;
    std::mutex err_mu;
    auto guarded = [&](int rank) {
      try {
        task_(i, rank);
      } catch (const std::exception& e) {
        std::lock_guard g(err_mu);
        errors.push_back(rank < 0 ? e.what() : "rank " + std::to_string(rank) + ": " + e.what());
        if (!error) error = std::current_exception();
      }
    };
    try {
      if (setup_) setup_(i);
      std::vector<std::thread> ranks;
      for (std::size_t rk = 0; rk < op.rank_bytes.size(); ++rk) {
        if (op.rank_bytes[rk].value > 0) ranks.emplace_back(guarded, static_cast<int>(rk));
      }
      if (op.rank_bytes.empty()) guarded(-1);
      for (std::thread& t : ranks) t.join();
    } catch (const std::exception& e) {
      errors.push_back(std::string("setup: ") + e.what());
      if (!error) error = std::current_exception();
    }
    r.ok = errors.empty();
    r.errors = std::move(errors);
    std::lock_guard lock(mu_);
    if (error && !first_error_) first_error_ = error;
  }
  r.end = now();
  std::lock_guard lock(mu_);
  results_[i] = std::move(r);
  done_[i] = true;
  cv_.notify_all();
}

void PlanRunner::wait_blocking() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] {
    for (std::size_t i = 0; i < plan_.ops.size(); ++i) {
      if (plan_.ops[i].blocking && !done_[i]) return false;
    }
    return true;
  });
}

void PlanRunner::wait_all() {
  if (joined_) return;
  for (std::thread& t : threads_) t.join();
  joined_ = true;
}

bool PlanRunner::finished() const {
  std::lock_guard lock(mu_);
  return std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
}

bool PlanRunner::op_finished(std::size_t i) const {
  std::lock_guard lock(mu_);
  return done_.at(i);
}

void PlanRunner::wait_op(std::size_t i) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_.at(i); });
}

bool PlanRunner::ok() const {
  return std::all_of(results_.begin(), results_.end(),
                     [](const OpResult& r) { return r.ok && !r.skipped; });
}

PlanTiming PlanRunner::timing() const {
  PlanTiming t;
  for (std::size_t i = 0; i < results_.size(); ++i) {
    t.op_start.push_back(results_[i].start);
    t.op_end.push_back(results_[i].end);
    t.total = std::max(t.total, results_[i].end);
    if (plan_.ops[i].blocking) t.blocking = std::max(t.blocking, results_[i].end);
  }
  return t;
}

std::exception_ptr PlanRunner::first_error() const {
  std::lock_guard lock(mu_);
  return first_error_;
}

namespace {
bool reads_live_state(const Op& op) { return op.from == Tier::kGpu && op.kind != OpKind::kLoad; }
}  // namespace

bool PlanRunner::gpu_reads_in_flight() const {
  for (std::size_t i = 0; i < plan_.ops.size(); ++i) {
    if (reads_live_state(plan_.ops[i]) && !op_finished(i)) return true;
  }
  return false;
}

void PlanRunner::wait_gpu_reads() {
  for (std::size_t i = 0; i < plan_.ops.size(); ++i) {
    if (reads_live_state(plan_.ops[i])) wait_op(i);
  }
}

}  // namespace ckptlab::hw
