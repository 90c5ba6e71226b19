#pragma once
// What the CLI tests share: running a shell command line in a directory with its stdout and
// stderr captured, and reading files back. Every CLI test runs the real `ckptlab` executable.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ckptlab::cli_test {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Single-quotes an argument for /bin/sh (the paths and values in these tests hold no quote).
inline std::string quoted(const std::string& s) { return "'" + s + "'"; }

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct Result {
  int status = -1;  // exit status; -1 when the command did not exit normally (a signal)
  std::string out;
  std::string err;
};

// Runs `command_line` with /bin/sh in `dir`; stdout and stderr go through files in `dir` that
// are removed afterwards. A shell reports a child killed by a signal as 128 + the signal: that is
// returned as -1 too, so that a crash never passes for an exit status.
inline Result run_in(const std::filesystem::path& dir, const std::string& command_line) {
  const std::filesystem::path out = dir / ".stdout", err = dir / ".stderr";
  const std::string command = "cd " + quoted(dir.string()) + " && " + command_line + " >" +
                              quoted(out.string()) + " 2>" + quoted(err.string());
  const int raw = std::system(command.c_str());
  Result r;
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  if (r.status > 128) r.status = -1;
  r.out = read_file(out);
  r.err = read_file(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

// A test with its own empty directory (removed afterwards unless the test failed, to look at),
// in which `ckptlab(args)` runs the real executable.
class CkptlabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::current_path() / "cli_test_tmp" /
           (std::string(info->test_suite_name()) + "." + info->name() + "-" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Runs `ckptlab <args>` in the test's directory.
  Result ckptlab(const std::string& args) { return run_in(dir_, quoted(CKPTLAB_EXE) + " " + args); }

  std::filesystem::path dir_;
};

}  // namespace ckptlab::cli_test
