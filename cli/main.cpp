// ckptlab: checkpoint/recovery laboratory for large MoE training. Dispatches to subcommands and
// maps errors to exit codes once, here: 2 for bad input, 1 for a failed run.
#include <boost/program_options/errors.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <new>
#include <exception>
#include <string>
#include <vector>

#include "commands.hpp"
#include "util/input_error.hpp"

namespace {

constexpr const char* kUsage = R"(usage: ckptlab <command> [options]

commands:
  run <scenario.yaml>     simulate the scenario's policies and print the comparison table
  advise <scenario.yaml>  search each policy's parameters for the highest ETTR; advice.json
  sweep <scenario.yaml>   run every point of the scenario's sweep (axes or points); sweep.csv
  report <results dir>    Markdown + HTML report with plots of a run's or a sweep's results
  calibrate               measure this machine's hardware profile (--backend host|cuda)
  validate <scenario>     run the policies on the host harness; the simulator's error per metric
  models list             the model catalog
  models show <name>      a model's shape, parameter counts and state bytes
  failures fit <trace>    fit failure models to a cluster's log; write a failures: section

options:
  --help                  help (also after a command: ckptlab run --help)
  --version               the version

exit status: 0 ok, 1 the run failed, 2 bad input (the message names file, line and key)
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = args.front();
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (command == "--version") {
      std::printf("ckptlab %s\n", CKPTLAB_VERSION);
      return 0;
    }
    if (command == "run") return ckptlab::run_command(rest);
    if (command == "models") return ckptlab::models_command(rest);
    if (command == "failures") return ckptlab::failures_command(rest);
    if (command == "sweep") return ckptlab::sweep_command(rest);
    if (command == "advise") return ckptlab::advise_command(rest);
    if (command == "report") return ckptlab::report_command(rest);
    if (command == "calibrate") return ckptlab::calibrate_command(rest);
    if (command == "validate") return ckptlab::validate_command(rest);
    std::fprintf(stderr, "ckptlab: unknown command \"%s\"\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const ckptlab::InputError& e) {
    std::fprintf(stderr, "ckptlab: error: %s\n", e.what());
    return 2;
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "ckptlab %s: error: %s (see ckptlab %s --help)\n", command.c_str(),
                 e.what(), command.c_str());
    return 2;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "ckptlab: error: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    // Nothing was written: results are only written once complete.
    std::fprintf(stderr,
                 "ckptlab: out of memory: the scenario needs more memory than this machine has "
                 "(the shard map and failure streams grow with cluster.nodes and the model); no "
                 "results were written\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ckptlab: run failed: %s\n", e.what());
    return 1;
  }
}
