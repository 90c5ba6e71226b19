// `ckptlab report <results dir>`: the Markdown and self-contained HTML report of a run, a sweep or
// an advice directory (advice.json of `ckptlab advise`: ETTR against each tuned parameter), with
// plots, and the predicted-vs-measured comparison of `ckptlab validate` when a
// validation.json is in the directory (or its validation/ subdirectory) or named by --validation.
// The figures and documents are made by analysis/report.py (matplotlib); this command checks its
// input, finds the script and runs it with the interpreter that Debian's python3-matplotlib belongs
// to (CKPTLAB_PYTHON), never the first python3 on PATH, which may be a virtual environment without
// matplotlib.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "command_line.hpp"
#include "commands.hpp"
#include "util/data_files.hpp"

extern char** environ;

namespace po = boost::program_options;

namespace ckptlab {

namespace {

namespace fs = std::filesystem;

// Runs `argv` (argv[0] is the program's absolute path) and returns its exit status, or 128 +
// signal when a signal ended it.
int spawn_and_wait(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), nullptr, nullptr, c_argv.data(), environ);
  if (rc != 0) throw std::runtime_error(fmt::format("cannot start {}", argv[0]));
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) throw std::runtime_error("waitpid on the report failed");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

int report_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab report <results dir> [options]");
  std::string out, validation;
  options.add_options()("help,h", "this help")(
      "out,o", po::value(&out),
      "where to write report.md, report.html and the figures (default: the results directory)")(
      "validation", po::value(&validation),
      "validation.json of `ckptlab validate` to compare predicted with measured (default: "
      "validation.json or validation/validation.json in the results directory, if there)");
  std::string results;
  const Positional positional{"results", &results};
  po::variables_map vm;
  if (!parse_command_line(args, options, vm, &positional,
                          "A results directory is what `ckptlab run` writes (summary.json), what "
                          "`ckptlab sweep` writes (sweep.csv, points/), what `ckptlab validate` "
                          "writes (validation.json) or what `ckptlab advise` writes "
                          "(advice.json).\n"
                          "Example: ckptlab report results/default --validation "
                          "results/default-validate/validation.json\n")) {
    return 0;
  }
  if (results.empty()) throw std::invalid_argument("report needs a results directory (see --help)");
  const fs::path dir(results);
  if (!fs::is_directory(dir)) {
    throw std::invalid_argument(fmt::format("{}: no such results directory", results));
  }
  if (!validation.empty() && !fs::is_regular_file(validation)) {
    throw std::invalid_argument(fmt::format("{}: no such validation file", validation));
  }
  const bool has_validation = !validation.empty() || fs::is_regular_file(dir / "validation.json") ||
                              fs::is_regular_file(dir / "validation" / "validation.json");
  if (!fs::exists(dir / "summary.json") && !fs::exists(dir / "sweep.csv") && !has_validation &&
      !fs::exists(dir / "advice.json")) {
    throw std::invalid_argument(
        fmt::format("{} holds neither summary.json (ckptlab run) nor sweep.csv (ckptlab sweep) nor "
                    "validation.json (ckptlab validate) nor advice.json (ckptlab advise)",
                    results));
  }
  if (out.empty()) out = results;

  const fs::path script = fs::path(data_dir()) / "analysis" / "report.py";
  if (!fs::exists(script)) {
    throw std::runtime_error(fmt::format(
        "{} not found; set CKPTLAB_DATA_DIR to the ckptlab source tree", script.string()));
  }
  const std::string python = CKPTLAB_PYTHON;
  if (::access(python.c_str(), X_OK) != 0) {
    throw std::runtime_error(
        fmt::format("{} not found: the report needs Python 3 with matplotlib from Debian (run "
                    "scripts/setup.sh, or configure -DCKPTLAB_PYTHON=...)",
                    python));
  }
  // -I: no user site-packages, no PYTHON* variables, so the report uses Debian's matplotlib.
  std::vector<std::string> argv = {python, "-I", script.string(), results, "--out", out};
  if (!validation.empty()) {
    argv.push_back("--validation");
    argv.push_back(validation);
  }
  const int status = spawn_and_wait(argv);
  if (status == 0) return 0;
  if (status == 2) return 2;  // report.py found bad input and said what
  std::fprintf(stderr, "ckptlab: report failed (%s exited with status %d)\n", python.c_str(),
               status);
  return 1;
}

}  // namespace ckptlab
