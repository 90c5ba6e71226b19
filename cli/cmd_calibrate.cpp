// `ckptlab calibrate --backend host|cuda`: measures the machine's HardwareProfile (nccl-tests-
// style tables with data checks), prints the tables and writes the profile YAML atomically.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "atomic_file.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "hw/calibrate/calibrate.hpp"
#ifdef CKPTLAB_HAVE_CUDA
#include "hw/calibrate/cuda_calibrate.hpp"
#endif
#include "util/units.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace ckptlab {
namespace {

std::vector<std::int64_t> parse_sizes(const std::string& list) {
  std::vector<std::int64_t> sizes;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    const Bytes b = parse_size(item);  // throws std::invalid_argument: exit 2
    if (b.value < 8) throw std::invalid_argument("--sizes: each size must be at least 8 B");
    sizes.push_back(b.value);
  }
  if (sizes.empty()) throw std::invalid_argument("--sizes: give at least one size");
  return sizes;
}


}  // namespace

int calibrate_command(const std::vector<std::string>& args) {
  po::options_description options("ckptlab calibrate [options]");
  std::string backend = "host", out, sizes, dir, compute = "50ms";
  int ranks = 4, iterations = 5;
  options.add_options()("help,h", "this help")(
      "backend", po::value(&backend), "host (memcpy, loopback TCP, files) or cuda (PCIe, NCCL)")(
      "out,o", po::value(&out), "profile YAML to write (default results/calibration/<name>.yaml)")(
      "sizes", po::value(&sizes), "bytes per rank, comma-separated (default 64KiB..64MiB, x4)")(
      "ranks", po::value(&ranks), "ranks moving data at once, as the harness runs them (4)")(
      "iters", po::value(&iterations),
      "timed iterations per size (5; storage: at most 3 above 16 MiB)")(
      "dir", po::value(&dir), "directory for the storage paths (default: next to --out)")(
      "compute", po::value(&compute), "compute phase of the slow-down measurement (50ms)");
  po::variables_map vm;
  if (!parse_command_line(args, options, vm)) return 0;
  if (ranks < 1 || ranks > 64) throw std::invalid_argument("--ranks must be between 1 and 64");
  if (iterations < 1) throw std::invalid_argument("--iters must be >= 1");

  hw::CalibrationOptions o;
  if (!sizes.empty()) o.sizes = parse_sizes(sizes);
  o.ranks = ranks;
  o.iterations = iterations;
  o.compute = parse_duration(compute);
  if (o.compute.value <= 0) throw std::invalid_argument("--compute must be positive");

  // The storage paths write next to the profile unless told otherwise: that is the file system
  // whose speed the profile states.
  const fs::path out_dir =
      out.empty() ? fs::path("results/calibration")
                  : (fs::path(out).has_parent_path() ? fs::path(out).parent_path() : fs::path("."));
  o.dir = dir.empty() ? out_dir / fmt::format(".calibrate.{}", ::getpid()) : fs::path(dir);
  struct Cleanup {  // the scratch files go however the run ends (unless --dir chose them)
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{dir.empty() ? o.dir : fs::path()};
  hw::Calibration c;
  if (backend == "host") {
    c = hw::calibrate_host(o);
  } else if (backend == "cuda") {
#ifdef CKPTLAB_HAVE_CUDA
    std::string why;
    if (!hw::cuda_calibration_possible(&why)) {
      std::fprintf(stderr, "ckptlab calibrate: %s\n", why.c_str());
      return 1;
    }
    c = hw::calibrate_cuda(o);
#else
    std::fprintf(stderr,
                 "ckptlab calibrate: this build has no CUDA backend (no nvcc at configure time)\n");
    return 1;
#endif
  } else {
    throw std::invalid_argument("--backend must be host or cuda");
  }
  const std::string name = hw::measured_profile_name(c.backend, c.device);
  std::fputs(c.report().c_str(), stdout);
  const fs::path path = out.empty() ? out_dir / (name + ".yaml") : fs::path(out);
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  write_file_atomically(path.string(), hw::profile_yaml(c, name));
  std::printf("\nprofile: %s (use it with `hardware: %s`)\n", path.c_str(), path.c_str());
  return 0;
}

}  // namespace ckptlab
