// The bad-input catalog (tests/data/bad/, format in its README.md): every broken scenario makes
// `ckptlab run` exit 2 with a message that names the file, the line and the key, writes nothing,
// and never crashes. One test per catalog entry, so a failing entry is visible by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_support.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const fs::path kCatalog = fs::path(CKPTLAB_SOURCE_DIR) / "tests" / "data" / "bad";

// Output that only a crash, an uncaught exception or a sanitizer produces.
const std::vector<std::string> kCrashSigns = {
    "terminate called", "Aborted",        "AddressSanitizer",  "LeakSanitizer",
    "runtime error",    "internal error", "Segmentation fault"};

using ckptlab::cli_test::Result;
using ckptlab::cli_test::lines_of;
using ckptlab::cli_test::quoted;
using ckptlab::cli_test::read_file;
using ckptlab::cli_test::run_in;

// The entries of the catalog: names of the *.yaml files directly in it, sorted so that test
// names and order do not depend on the directory's order.
std::vector<std::string> catalog_entries(const std::string& extension) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kCatalog, ec)) {
    if (e.is_regular_file() && e.path().extension() == extension) {
      names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct Expectation {
  std::string file;    // where the error is, relative to the catalog
  std::string line;    // a number, or "none"
  std::string column;  // optional
  std::string key;     // optional
  std::vector<std::string> messages;
  std::string args;                   // extra command-line arguments
  std::vector<std::string> problems;  // malformed directives: a typo must not pass silently
};

std::string trim(std::string s) {
  const auto blank = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), blank));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), blank).base(), s.end());
  return s;
}

Expectation parse_expect(const std::string& name) {
  Expectation x;
  x.file = name + ".yaml";
  std::istringstream in(read_file(kCatalog / (name + ".expect")));
  for (std::string raw; std::getline(in, raw);) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      x.problems.push_back("no directive in \"" + line + "\"");
      continue;
    }
    const std::string directive = line.substr(0, colon);
    const std::string value = trim(line.substr(colon + 1));
    if (directive == "file") {
      x.file = value;
    } else if (directive == "line") {
      x.line = value;
    } else if (directive == "column") {
      x.column = value;
    } else if (directive == "key") {
      x.key = value;
    } else if (directive == "message") {
      x.messages.push_back(value);
    } else if (directive == "args") {
      x.args = value;
    } else {
      x.problems.push_back("unknown directive \"" + directive + "\"");
    }
  }
  if (x.line.empty())
    x.problems.push_back("no line: directive (write line: none if there is none)");
  if (x.messages.empty()) x.problems.push_back("no message: directive");
  if (x.line == "none" && !x.column.empty()) x.problems.push_back("column without a line");
  return x;
}

class BadInputTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
    dir_ = fs::path(CKPTLAB_BINARY_DIR) / "tests" / "bad_input_test_tmp" /
           (GetParam() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Runs `ckptlab run <scenario> <args>` in the empty directory dir_, without --out, so that a
  // results directory, had one been written, would appear as dir_/results. The timeout turns a
  // hang into a failure of this entry instead of a stalled suite.
  Result run(const fs::path& scenario, const std::string& args) {
    return run_in(dir_, "timeout -k 5 60 " + quoted(CKPTLAB_EXE) + " run " +
                            quoted(scenario.string()) + " " + args);
  }

  fs::path dir_;
};

TEST_P(BadInputTest, ExitsTwoWithALocatedMessageAndWritesNothing) {
  const std::string& name = GetParam();
  const Expectation x = parse_expect(name);
  for (const std::string& p : x.problems) ADD_FAILURE() << name << ".expect: " << p;
  if (!x.problems.empty()) return;

  const Result r = run(kCatalog / (name + ".yaml"), x.args);
  EXPECT_EQ(r.status, 2) << "exit status 2 means bad input; 124 is the timeout, 1 a failed run";
  EXPECT_EQ(r.out, "") << "nothing on stdout: no table for a scenario that did not run";
  for (const std::string& sign : kCrashSigns) {
    EXPECT_THAT(r.err, Not(HasSubstr(sign)));
  }

  // The location: file:line:column as the message prints it (compose() in input_error.cpp).
  std::string where = x.file;
  if (x.line == "none") {
    where += ": ";
  } else {
    where += ":" + x.line + ":";
    if (!x.column.empty()) where += x.column + ":";
  }
  EXPECT_THAT(r.err, HasSubstr(where)) << "the location";
  if (!x.key.empty()) {
    EXPECT_THAT(r.err, HasSubstr("key '" + x.key)) << "the key";
  }
  for (const std::string& m : x.messages) {
    EXPECT_THAT(r.err, HasSubstr(m)) << "the message";
  }

  // Nothing written: the directory holds nothing but what the test itself put there.
  for (const auto& e : fs::directory_iterator(dir_)) {
    ADD_FAILURE() << "ckptlab wrote " << e.path().filename() << " for a bad scenario";
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, BadInputTest, ::testing::ValuesIn(catalog_entries(".yaml")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(BadInputCatalog, HasAtLeastFortyEntriesEachWithAnExpectation) {
  const auto scenarios = catalog_entries(".yaml");
  const auto expects = catalog_entries(".expect");
  EXPECT_GE(scenarios.size(), 40u);
  EXPECT_EQ(scenarios, expects) << "every <name>.yaml needs a <name>.expect and vice versa";
}

// The base every entry edits must itself be valid; otherwise entries would fail for the base's
// fault and their expectations would test nothing.
TEST(BadInputCatalog, BaseScenarioRuns) {
  setenv("CKPTLAB_DATA_DIR", CKPTLAB_SOURCE_DIR, 1);
  const std::string command = quoted(CKPTLAB_EXE) + " run " +
                              quoted((kCatalog / "include" / "base.yaml").string()) +
                              " --no-write >/dev/null 2>&1";
  const int raw = std::system(command.c_str());
  ASSERT_TRUE(raw != -1 && WIFEXITED(raw));
  EXPECT_EQ(WEXITSTATUS(raw), 0);
}

}  // namespace
