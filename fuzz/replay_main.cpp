// A main() for the fuzz targets without libFuzzer: feeds every file named on the command line
// (directories: every regular file in them, in sorted order) to LLVMFuzzerTestOneInput once.
// With it, each target builds with any compiler as a plain program, and ctest replays the crash
// regressions (tests/data/fuzz-regressions/<target>/) and the seed corpus on every build,
// sanitized or not. Each input runs in a child process, so that one crashing input does not hide
// the others: every failing input is named, and the exit status is 1 if any failed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      // A missing corpus would make the test pass while replaying nothing.
      std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argv[i]);
      return 2;
    }
  }
  std::vector<std::string> failed;
  for (const fs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    std::fflush(nullptr);  // nothing buffered may be written twice, by parent and child
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("replay: fork");
      return 2;
    }
    if (pid == 0) {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      std::fflush(nullptr);
      ::_exit(0);  // skip the parent's exit handlers; a sanitizer reports before this
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) {
      std::perror("replay: waitpid");
      return 2;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                                : "exit " + std::to_string(WEXITSTATUS(status));
    std::fprintf(stderr, "replay: FAILED (%s): %s\n", how.c_str(), p.c_str());
    failed.push_back(p.string() + " (" + how + ")");
  }
  std::printf("replayed %zu inputs, %zu failed\n", inputs.size(), failed.size());
  for (const std::string& f : failed) std::printf("  failed: %s\n", f.c_str());
  return failed.empty() ? 0 : 1;
}
