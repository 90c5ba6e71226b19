// libFuzzer target: the scenario loader and validator, as `ckptlab run` uses them before any
// simulation: load_scenario (YAML, decoding, layout and memory checks, iteration time) and
// build_policies (policy parameters, intervals). Input: the text of a scenario file.
//
// Contract under test: any input either loads or throws InputError. Any other exception escapes
// (libFuzzer reports it as a crash: "uncaught exception"), and so do crashes, sanitizer reports,
// hangs and runaway allocations; each is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "exec/analytic_executor.hpp"
#include "run/run_scenario.hpp"
#include "scenario/scenario.hpp"
#include "util/input_error.hpp"

namespace {

namespace fs = std::filesystem;

// load_scenario reads a file, and resolves relative paths (model, hardware, trace files) from
// its directory. The input is written to <tmp>/scenarios/fuzz-input.yaml, beside links to the
// shipped data, so that the seeds' relative references (../data/traces/x.csv, hardware/x.yaml)
// resolve as they do in the source tree and the fuzzer explores past them.
fs::path workspace, scenario_path;

// Removed at a normal exit (end of a run or of a fork-mode job); a crashed process leaves its
// directory in $TMPDIR, named by its pid.
void remove_workspace() {
  std::error_code ignored;
  fs::remove_all(workspace, ignored);
}

void prepare_workspace() {
  const char* tmp = std::getenv("TMPDIR");
  workspace = fs::path(tmp && *tmp ? tmp : "/tmp") /
              ("ckptlab-scenario-fuzzer-" + std::to_string(::getpid()));
  const fs::path source = CKPTLAB_SOURCE_DIR;
  fs::create_directories(workspace / "scenarios");
  std::error_code ignored;  // a link left by an earlier run of this pid is fine as it is
  fs::create_directory_symlink(source / "data", workspace / "data", ignored);
  fs::create_directory_symlink(source / "models", workspace / "models", ignored);
  fs::create_directory_symlink(source / "scenarios" / "hardware",
                               workspace / "scenarios" / "hardware", ignored);
  scenario_path = workspace / "scenarios" / "fuzz-input.yaml";
  // Catalog names (model: mixtral-8x7b) resolve against the shipped catalog.
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, /*overwrite=*/0);
  std::atexit(remove_workspace);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  prepare_workspace();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scenario_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    const ckptlab::Scenario scenario = ckptlab::load_scenario(scenario_path.string(), {});
    ckptlab::AnalyticExecutor executor(scenario.cluster, scenario.hardware);
    ckptlab::build_policies(scenario, executor);
  } catch (const ckptlab::InputError&) {
    // The documented answer to bad input; the message itself is checked by bad_input_test.
  }
  return 0;
}
