// `ckptlab validate --backend host|cuda <scenario>`: runs each policy on the hardware harness
// (host memory and threads, or one GPU) with injected failures, predicts the same runs with the
// analytic executor and a calibrated profile, prints the per-metric prediction error and writes
// validation.json.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>

#include "atomic_file.hpp"
#include "cluster/hardware_profile.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "hw/calibrate/calibrate.hpp"
#include "hw/calibrate/cuda_calibrate.hpp"
#include "hw/validate/cuda_validation.hpp"
#include "hw/validate/validation.hpp"
#include "scenario/scenario.hpp"
#include "util/config_node.hpp"
#include "util/units.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ckptlab {

int validate_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab validate --backend host|cuda <scenario.yaml> [options]");
  std::string backend = "host", profile_path, out, dir, budget = "128MiB", compute = "50ms";
  std::vector<std::string> overrides;
  std::int64_t iterations = 30, interval = 0;
  int failures = 2, ranks = 4, repeats = 3;
  std::int64_t seed = 1;
  options.add_options()("help,h", "this help")(
      "backend", po::value(&backend),
      "host (threads, memory, loopback sockets) or cuda (every harness rank on GPU 0; policies "
      "that replicate to peers are skipped)")("iterations", po::value(&iterations),
                                              "iterations of surviving progress per policy (30)")(
      "profile", po::value(&profile_path),
      "calibrated profile for the predictions (from ckptlab calibrate; default: a quick "
      "calibration now)")(
      "out,o", po::value(&out),
      "validation.json to write (default results/<scenario>-validate/validation.json)")(
      "ranks", po::value(&ranks),
      "harness ranks (4 on the host, 1 on cuda; at most tp * pp of the scenario)")(
      "budget", po::value(&budget), "total state of the harness ranks (128MiB)")(
      "failures", po::value(&failures), "failures injected per policy (2)")(
      "repeats", po::value(&repeats),
      "runs of each policy, each with its own calibration; the errors compare medians (3)")(
      "interval", po::value(&interval),
      "checkpoint every this many iterations (default iterations / 6)")(
      "compute", po::value(&compute), "compute phase per iteration (50ms)")(
      "dir", po::value(&dir), "directory for the checkpoint files (default: next to --out)")(
      "seed", po::value(&seed), "seed of the state, the router and the failure ranks (1)")(
      "set", po::value(&overrides)->composing(), "override a scenario key (repeatable)");
  std::string scenario_path;
  const Positional positional{"scenario", &scenario_path};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional)) return 0;
  if (scenario_path.empty())
    throw std::invalid_argument("validate needs a scenario file (see --help)");
  if (backend != "host" && backend != "cuda")
    throw std::invalid_argument("--backend must be host or cuda");
  if (iterations < 2 || iterations > 100000)
    throw std::invalid_argument("--iterations must be in [2, 100000]");
  if (failures < 0 || failures > 100) throw std::invalid_argument("--failures must be in [0, 100]");
  if (ranks < 1 || ranks > 64) throw std::invalid_argument("--ranks must be in [1, 64]");
  if (repeats < 1 || repeats > 100) throw std::invalid_argument("--repeats must be in [1, 100]");
  if (interval < 0) throw std::invalid_argument("--interval must be >= 1");
  if (seed < 0) throw std::invalid_argument("--seed must be >= 0");

  const Scenario scenario = load_scenario(scenario_path, overrides);
  if (backend == "cuda") {
#ifdef CKPTLAB_HAVE_CUDA
    std::string why;
    if (!hw::cuda_calibration_possible(&why)) {
      std::fprintf(stderr, "ckptlab validate: %s\n", why.c_str());
      return 1;
    }
#else
    std::fprintf(stderr,
                 "ckptlab validate: this build has no CUDA backend (no nvcc at configure time)\n");
    return 1;
#endif
  }
  hw::ValidationOptions o;
  o.iterations = iterations;
  o.failures = failures;
  o.repeats = repeats;
  o.interval = interval;
  // On one GPU every harness rank shares its PCIe link, while the model gives each rank (a GPU
  // of the scenario) its own: one rank per GPU unless asked otherwise.
  o.harness.ranks = backend == "cuda" && !vm.count("ranks") ? 1 : ranks;
  o.harness.budget = parse_size(budget);
  o.compute = parse_duration(compute);
  o.seed = static_cast<std::uint64_t>(seed);
  if (o.harness.budget.value <= 0 || o.compute.value <= 0) {
    throw std::invalid_argument("--budget and --compute must be positive");
  }
  const fs::path out_path =
      // Not results/<name>/: that is `ckptlab run`'s directory, which it replaces only with
      // --force.
      out.empty() ? fs::path("results") / (scenario.name + "-validate") / "validation.json"
                  : fs::path(out);
  const fs::path out_dir = out_path.has_parent_path() ? out_path.parent_path() : fs::path(".");
  o.work_dir = dir.empty() ? out_dir / fmt::format(".validate.{}", ::getpid()) : fs::path(dir);

  // The checkpoint files are scratch: removed however the run ends (unless --dir chose them).
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{dir.empty() ? o.work_dir : fs::path()};
  hw::ProfileSource profile;
  std::string profile_note;
  if (!profile_path.empty()) {
    const HardwareProfile fixed = decode_hardware(ConfigNode::load_file(profile_path));
    profile = [fixed] { return fixed; };
  } else {
    // Calibrate at the sizes this run moves: the executor copies and writes shard by shard and
    // sends a rank's state in one message, and per-file costs make small files slower.
    const hw::HarnessLayout layout = hw::make_harness_layout(*scenario.shards, o.harness);
    std::int64_t shards = 0, rank_bytes = 0;
    for (const auto& r : layout.ranks) {
      shards += static_cast<std::int64_t>(r.shards.size());
      rank_bytes = std::max(rank_bytes, r.bytes());
    }
    const std::int64_t shard_bytes =
        std::max<std::int64_t>(64, layout.bytes() / std::max<std::int64_t>(1, shards) / 8 * 8);
    std::fprintf(stderr,
                 "ckptlab validate: no --profile: calibrating at this run's sizes (%lld B per "
                 "shard, %lld B per rank) before each run; `ckptlab calibrate` gives the full "
                 "sweep\n",
                 static_cast<long long>(shard_bytes), static_cast<long long>(rank_bytes));
    hw::CalibrationOptions c;
    c.sizes = {shard_bytes};
    if (rank_bytes / 8 * 8 != shard_bytes) c.sizes.push_back(rank_bytes / 8 * 8);
    c.ranks = layout.world();
    c.iterations = 5;
    c.compute = o.compute;
    c.slowdown_repeats = 3;
    c.dir = o.work_dir / "calibrate";
    // Each policy is predicted with a calibration measured just before its run: this machine's
    // disk and CPU share drift from one minute to the next (docs/hw.md).
    profile = [c, shard_bytes, rank_bytes, backend] {
#ifdef CKPTLAB_HAVE_CUDA
      const hw::Calibration cal = backend == "cuda" ? hw::calibrate_cuda(c) : hw::calibrate_host(c);
#else
      const hw::Calibration cal = hw::calibrate_host(c);
#endif
      const std::string name = hw::measured_profile_name(cal.backend, cal.device);
      return decode_hardware(ConfigNode::load_string(
          hw::profile_yaml(cal, name, {shard_bytes, rank_bytes / 8 * 8, shard_bytes}), name));
    };
    profile_note =
        "each run is predicted with a quick calibration (storage, copies, loopback, "
        "compute slow-down at this run's sizes) measured just before it";
  }

  ProgressReporter progress("done");
  o.progress = [&progress](const std::string& what, double done) {
    progress.update("validate: " + what, done);
  };
#ifdef CKPTLAB_HAVE_CUDA
  hw::Validation v = backend == "cuda"
                         ? hw::validate_on_harness(scenario, profile, o, hw::cuda_target(o))
                         : hw::validate_on_host(scenario, profile, o);
#else
  hw::Validation v = hw::validate_on_host(scenario, profile, o);
#endif
  progress.finish();
  if (!profile_note.empty()) v.notes.push_back(profile_note);
  std::fputs(hw::format_validation(v).c_str(), stdout);
  if (out_path.has_parent_path()) fs::create_directories(out_path.parent_path());
  write_file_atomically(out_path.string(), hw::validation_json(v).dump(2) + "\n");
  std::printf("\nresults: %s\n", out_path.c_str());
  if (v.bit_mismatches() > 0) {
    std::fprintf(stderr,
                 "ckptlab validate: %lld rank state(s) differed from the reference after "
                 "recovery\n",
                 static_cast<long long>(v.bit_mismatches()));
    return 1;
  }
  return 0;
}

}  // namespace ckptlab
