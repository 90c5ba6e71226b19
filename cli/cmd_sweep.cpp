// `ckptlab sweep <scenario>`: expand the scenario's sweep into points, validate every one before
// any runs, run the unfinished ones (--jobs local workers, --shard i/n of a job array, ranks of
// mpirun), and aggregate <out>/sweep.csv once every point is finished (docs/sweeps.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "command_line.hpp"
#include "commands.hpp"
#include "backend_executor.hpp"
#include "exec/analytic_executor.hpp"
#include "results_writer.hpp"
#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"
#include "sweep_mpi.hpp"
#include "sweep_plan.hpp"
#include "sweep_runner.hpp"
#include "atomic_file.hpp"
#include "sweep_table.hpp"

namespace po = boost::program_options;

namespace ckptlab {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

const char* const kPointFiles[] = {"summary.json", "timeline.csv", "scenario.yaml"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rethrows a point's input error so it names the point, and, when the bad value is one the
// sweep set, points at that value in the sweep section rather than at nowhere ("--set").
[[noreturn]] void fail_point(const SweepPlan& plan, const SweepPoint& point, const InputError& e) {
  const std::string what =
      fmt::format("sweep point {} of {} [{}]: ", point.index, plan.points.size(), point.label());
  for (const SweepSetting& s : point.settings) {
    const std::string& key = e.key_path();
    const bool same_key =
        key == s.key || key.rfind(s.key + ".", 0) == 0 || key.rfind(s.key + "[", 0) == 0;
    const bool from_this_override = e.file() == "--set " + s.key + "=" + s.value;
    if ((same_key || from_this_override) && e.line() == 0 && s.line > 0) {
      std::string message = e.message();
      const std::string set_note = " (value set with --set)";  // core's note; here the sweep set it
      if (message.size() > set_note.size() &&
          message.compare(message.size() - set_note.size(), set_note.size(), set_note) == 0) {
        message.erase(message.size() - set_note.size());
      }
      throw InputError(plan.file, s.line, s.column, key.empty() ? s.key : key, what + message);
    }
  }
  throw InputError(e.file(), e.line(), e.column(), e.key_path(), what + e.message());
}

// Loads every point (validating model, layout, hardware, failures, policies) before anything
// runs; returns each point's scenario hash. `base` are the command line's overrides.
std::vector<std::string> resolve_points(const std::string& path, const SweepPlan& plan,
                                        const std::vector<std::string>& base, bool& any_sim) {
  std::vector<std::string> hashes;
  any_sim = false;
  for (const SweepPoint& point : plan.points) {
    std::vector<std::string> overrides = base;
    const auto own = point.overrides();
    overrides.insert(overrides.end(), own.begin(), own.end());
    // The sweep section is the same for every point and describes the set, not the point: null it
    // so a point's hash (its results directory) does not change when axes are added.
    overrides.push_back("sweep=null");
    try {
      const Scenario scenario = load_scenario(path, overrides);
      require_backend_built(scenario.backend,
                            fmt::format("sweep point {} ({})", point.index, point.label()));
      any_sim = any_sim || scenario.backend == "sim";
      // Policy parameters are checked here, on the analytic executor: a SimGrid platform built
      // in this process would pin every later point to its shape (one engine per process).
      AnalyticExecutor executor(scenario.cluster, scenario.hardware);
      build_policies(scenario, executor);
      hashes.push_back(scenario.hash);
    } catch (const InputError& e) {
      fail_point(plan, point, e);
    } catch (const std::invalid_argument& e) {  // e.g. a model the catalog does not have
      throw std::invalid_argument(fmt::format("sweep point {} of {} [{}]: {}", point.index,
                                              plan.points.size(), point.label(), e.what()));
    }
  }
  return hashes;
}

std::pair<int, int> parse_shard(const std::string& text) {
  int i = -1, n = 0;
  char slash = 0, extra = 0;
  std::istringstream in(text);
  if (!(in >> i >> slash >> n) || slash != '/' || (in >> extra) || n < 1 || i < 0 || i >= n) {
    throw std::invalid_argument(
        fmt::format("--shard \"{}\": expected i/n with 0 <= i < n (e.g. 0/4)", text));
  }
  return {i, n};
}

void check_sweep_directory(const fs::path& out) {
  if (!fs::exists(out) || fs::is_empty(out)) return;
  if (!fs::is_directory(out) || (!fs::exists(out / "points") && !fs::exists(out / "sweep.csv"))) {
    throw std::invalid_argument(fmt::format(
        "{} exists and is not a sweep's results directory (no points/ or sweep.csv); choose "
        "another with --out",
        out.string()));
  }
}

// Rank 0 of an MPI sweep: take every other rank's points, in the order that rank ran them, and
// write those this file system lacks. Returns the number that failed on their rank.
std::size_t gather_from_ranks(const MpiSession& mpi, const std::vector<PointJob>& shard_jobs,
                              const std::string& points_dir) {
  std::size_t failed = 0;
  for (int r = 1; r < mpi.size(); ++r) {
    for (std::size_t j = static_cast<std::size_t>(r); j < shard_jobs.size();
         j += static_cast<std::size_t>(mpi.size())) {
      const json message = json::parse(mpi.receive_from(r));
      const std::string hash = message.at("hash");
      CKPTLAB_CHECK(hash == shard_jobs[j].hash, "ranks send their points in order");
      if (!message.at("ok").get<bool>()) {
        std::fprintf(stderr, "sweep: point %zu failed on rank %d: %s\n", shard_jobs[j].index, r,
                     message.at("error").get<std::string>().c_str());
        ++failed;
        continue;
      }
      if (point_finished(points_dir, hash)) continue;  // shared file system: already here
      std::map<std::string, std::string> files;
      for (const auto& [name, content] : message.at("files").items()) files[name] = content;
      write_results_directory(point_directory(points_dir, hash), files, /*force=*/false);
    }
  }
  return failed;
}

std::string point_message(const PointJob& job, const PointResult& result,
                          const std::string& points_dir) {
  json message = {{"hash", job.hash}, {"ok", result.state != PointState::kFailed}};
  if (result.state == PointState::kFailed) {
    message["error"] = result.error;
  } else {
    json files = json::object();
    const fs::path dir = point_directory(points_dir, job.hash);
    for (const char* name : kPointFiles) files[name] = read_text(dir / name);
    message["files"] = files;
  }
  return message.dump();
}

}  // namespace

int sweep_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab sweep <scenario.yaml> [options]");
  std::string out, shard_text, backend;
  std::vector<std::string> overrides;
  std::int64_t seed = -1;
  int jobs = 1;
  options.add_options()("help,h", "this help")(
      "backend", po::value(&backend),
      "analytic | sim for every point (overrides the scenario's backend; sim runs each point in "
      "a process of its own)")(
      "out,o", po::value(&out), "results directory (default results/<scenario name>)")(
      "jobs,j", po::value(&jobs), "points run at once, each in its own process (default 1)")(
      "shard", po::value(&shard_text),
      "run only shard i of n (0 <= i < n): the points at positions i, i+n, ... (job arrays)")(
      "set", po::value(&overrides)->composing(),
      "override a scenario key for every point, e.g. --set horizon=1d (repeatable)")(
      "seed", po::value(&seed), "random seed of every point (overrides the scenario's)")(
      "collect", "run nothing: write sweep.csv from the finished points (after shards)")(
      "list", "validate every point and list them (index, hash, finished or not); run nothing");
  std::string scenario_path;
  const Positional positional{"scenario", &scenario_path};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional)) return 0;
  if (scenario_path.empty())
    throw std::invalid_argument("sweep needs a scenario file (see --help)");
  if (jobs < 1) throw std::invalid_argument("--jobs must be >= 1");
  if (vm.count("seed")) {
    if (seed < 0) throw std::invalid_argument("--seed must be >= 0");
    overrides.push_back(fmt::format("seed={}", seed));
  }
  if (!backend.empty()) overrides.push_back("backend=" + backend);
  const auto [shard, shards] = shard_text.empty() ? std::pair{0, 1} : parse_shard(shard_text);
  const auto start = std::chrono::steady_clock::now();

  ConfigNode root = ConfigNode::load_file(scenario_path);
  if (!root.is_map()) root.fail("a scenario is a mapping of keys (name, model, sweep, ...)");
  for (const std::string& o : overrides) apply_override(root.yaml(), o);
  const SweepPlan plan = read_sweep_plan(root);
  bool any_sim = false;
  const std::vector<std::string> hashes = resolve_points(scenario_path, plan, overrides, any_sim);
  if (out.empty()) out = "results/" + root["name"].as_string();
  check_sweep_directory(out);
  const std::string points_dir = (fs::path(out) / "points").string();
  if (vm.count("list")) {
    for (const SweepPoint& point : plan.points) {
      const std::string& hash = hashes[point.index];
      std::printf("%zu  %s  %-8s  %s\n", point.index, hash.c_str(),
                  point_finished(points_dir, hash) ? "finished" : "to run", point.label().c_str());
    }
    return 0;
  }

  // Points resolving to the same scenario run once. Shards take every n-th distinct scenario,
  // ranks every size-th of their shard's: disjoint, balanced, and the same on every rerun.
  std::vector<PointJob> shard_jobs;
  std::set<std::string> seen;
  std::size_t distinct = 0;
  for (const SweepPoint& point : plan.points) {
    if (!seen.insert(hashes[point.index]).second) continue;
    if (distinct++ % static_cast<std::size_t>(shards) != static_cast<std::size_t>(shard)) continue;
    std::vector<std::string> o = overrides;
    const auto own = point.overrides();
    o.insert(o.end(), own.begin(), own.end());
    o.push_back("sweep=null");
    shard_jobs.push_back({point.index, hashes[point.index], point.label(), o});
  }

  const MpiSession mpi;  // after validation: a bad point exits 2 on every rank, before MPI
  std::vector<PointJob> mine;
  for (std::size_t j = static_cast<std::size_t>(mpi.rank()); j < shard_jobs.size();
       j += static_cast<std::size_t>(mpi.size())) {
    mine.push_back(shard_jobs[j]);
  }
  if (mpi.rank() == 0) {
    std::fprintf(stderr, "sweep %s: %zu points (%zu distinct)%s%s\n",
                 root["name"].as_string().c_str(), plan.points.size(), seen.size(),
                 shards > 1
                     ? fmt::format(", shard {}/{}: {}", shard, shards, shard_jobs.size()).c_str()
                     : "",
                 mpi.size() > 1 ? fmt::format(", {} MPI ranks", mpi.size()).c_str() : "");
  }

  // SimGrid keeps one engine and one platform per process: each sim point gets its own.
  RunnerOptions runner{scenario_path, points_dir, CKPTLAB_VERSION, jobs, -1, any_sim};
  if (const char* k = std::getenv("CKPTLAB_SWEEP_KILL_AFTER")) runner.kill_after = std::atol(k);
  std::vector<PointResult> results;
  if (!vm.count("collect")) results = run_points(mine, runner);
  std::size_t failed = 0;
  for (const PointResult& r : results) failed += r.state == PointState::kFailed ? 1 : 0;

  if (mpi.rank() != 0) {
    for (std::size_t j = 0; j < mine.size(); ++j) {
      PointResult r{PointState::kRan, "", 0};
      if (!point_finished(points_dir, mine[j].hash)) {
        r.state = PointState::kFailed;
        r.error = results.empty() ? "not finished (--collect runs nothing)" : results[j].error;
      }
      mpi.send_to_root(point_message(mine[j], r, points_dir));
    }
    return failed > 0 ? 1 : 0;
  }
  if (mpi.size() > 1) failed += gather_from_ranks(mpi, shard_jobs, points_dir);

  std::vector<json> summaries;
  std::size_t missing = 0;
  for (const SweepPoint& point : plan.points) {
    const std::string& hash = hashes[point.index];
    if (!point_finished(points_dir, hash)) {
      ++missing;
      continue;
    }
    summaries.push_back(
        json::parse(read_text(fs::path(point_directory(points_dir, hash)) / "summary.json")));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (missing > 0) {
    std::fprintf(stderr,
                 "sweep: %zu of %zu points finished in %s (%.1f s); sweep.csv is written once all "
                 "are: run the other shards, then `ckptlab sweep %s --out %s --collect`\n",
                 summaries.size(), plan.points.size(), out.c_str(), seconds, scenario_path.c_str(),
                 out.c_str());
    return failed > 0 || vm.count("collect") ? 1 : 0;
  }
  const std::string csv_path = (fs::path(out) / "sweep.csv").string();
  write_file_atomically(csv_path, make_sweep_csv(plan, hashes, summaries));
  std::fputs(format_sweep_table(plan, summaries).c_str(), stdout);
  std::printf("\nresults: %s (one row per point x policy), %s/<hash>/\n", csv_path.c_str(),
              points_dir.c_str());
  std::fprintf(stderr, "sweep: %zu points finished in %.1f s\n", plan.points.size(), seconds);
  return failed > 0 ? 1 : 0;
}

}  // namespace ckptlab
