// `ckptlab validate`: how well the simulator predicts the hardware. Each policy of a scenario
// runs for a few dozen iterations on the host harness (real copies, sockets, files, injected
// failures, bit-exact recovery checks), and the analytic executor with the calibrated profile
// predicts the same scaled plans and the same short job (run_job with the measured failure
// times); the report gives the prediction error of each metric.
//
// The scenario is far larger than a host: the harness samples a few ranks of its first
// data-parallel replica and scales their state to a byte budget (HarnessLayout::describe says by
// how much); intervals are rescaled to the short run (harness_policies.hpp). Both sides see the
// scaled setup, so the comparison is like for like; what it validates is the executor's timing
// model and the job state machine at that scale, not the full-size figures.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cluster/hardware_profile.hpp"
#include "hw/common/harness_backend.hpp"
#include "hw/common/state_layout.hpp"
#include "hw/validate/harness_job.hpp"
#include "job/job_run.hpp"
#include "scenario/scenario.hpp"

namespace ckptlab::hw {

struct ValidationOptions {
  std::int64_t iterations = 30;
  int failures = 2;           // injected per policy: mid-snapshot, mid-persist, between
  std::int64_t interval = 0;  // checkpoint every this many iterations (0: iterations / 6)
  HarnessOptions harness{4, Bytes{128LL << 20}, 32, 4};
  Seconds compute{0.05};           // compute phase per iteration
  std::filesystem::path work_dir;  // checkpoint files go below it (REQUIRED)
  std::uint64_t seed = 1;
  // Runs of each policy, each predicted with a profile fetched just before it: the medians damp
  // what one run's machine noise does to the error.
  int repeats = 1;
  // Called before each hardware run with "<policy label> run k/N" and the share of the
  // scenario's runs done so far (the CLI's progress line); may be empty.
  std::function<void(const std::string& what, double done)> progress;
};

struct MetricError {
  std::string metric;  // "checkpoint_stall_s", ...
  std::string what;    // one line: what is compared
  double measured = 0;
  double predicted = 0;
  // (predicted - measured) / measured; nullopt when nothing was measured (no such event).
  std::optional<double> error;
};

// One hardware run of a policy and its prediction.
struct PolicyRun {
  std::string profile;  // name of the profile that predicted it
  std::string description;
  HarnessJobResult measured;
  JobResult predicted;
  std::vector<MetricError> metrics;
};

struct PolicyValidation {
  std::string label;
  std::string kind;
  std::string description;
  std::optional<std::string> skipped;  // why the harness did not run it
  std::vector<PolicyRun> runs;         // ValidationOptions::repeats of them
  // Per metric: the median over the runs that measured it of the measured value and of the
  // predicted one, and the error between the two medians (one run: that run's figures).
  std::vector<MetricError> metrics;
  std::int64_t bit_mismatches() const;
};

struct Validation {
  std::string scenario;
  std::string backend = "host";  // HarnessTarget::name
  std::string setup;    // HarnessLayout::describe() and the run's shape
  std::string profile;  // the profile(s) used for the predictions, in words
  std::vector<std::string> notes;
  std::vector<PolicyValidation> policies;
  std::int64_t bit_mismatches() const;
};

// Where the predictions' profile comes from: called once per policy, just before its hardware
// run, so that a profile measured on the spot (a quick calibration) sees the machine's storage
// and CPU in the same minute as the run it predicts. On a shared machine whose disk speed drifts
// from minute to minute, one calibration for a whole validation mostly measures the drift.
using ProfileSource = std::function<HardwareProfile()>;

// The hardware a validation runs on: a fresh backend for each run (its checkpoint files under
// `dir`), and what it cannot run (policies whose plans it refuses are skipped with the reason).
struct HarnessTarget {
  std::string name;  // "host", "cuda"
  Seconds compute;   // what one iteration's compute phase takes on it
  std::function<std::unique_ptr<HarnessBackend>(const HarnessLayout& layout,
                                                const std::filesystem::path& dir)>
      make;
  std::function<std::optional<std::string>(const HarnessPlan&)> cannot_run;
};

// The host backend: sizes the CPU compute phase to options.compute now (trial runs).
HarnessTarget host_target(const ValidationOptions& options);

// Runs every policy of `scenario` on `target` and predicts it with the profile `profile` gives
// for it. Throws InputError for bad policy parameters, std::invalid_argument for bad options,
// and std::runtime_error when a recovery fails on the hardware.
Validation validate_on_harness(const Scenario& scenario, const ProfileSource& profile,
                               const ValidationOptions& options, const HarnessTarget& target);
// validate_on_harness on host_target(options).
Validation validate_on_host(const Scenario& scenario, const ProfileSource& profile,
                            const ValidationOptions& options);
// The same with one profile for every policy.
Validation validate_on_host(const Scenario& scenario, const HardwareProfile& profile,
                            const ValidationOptions& options);

nlohmann::ordered_json validation_json(const Validation& v);
std::string format_validation(const Validation& v);

}  // namespace ckptlab::hw
