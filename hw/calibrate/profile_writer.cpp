// The calibrated HardwareProfile as YAML: the keys of core's decode_hardware, one `sources:`
// citation per key, and the measured tables as comments above them (so a committed profile
// carries the evidence for its numbers).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "hw/calibrate/calibrate.hpp"

namespace ckptlab::hw {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string bandwidth(double bytes_per_s) { return fmt::format("{:.1f} MB/s", bytes_per_s / 1e6); }

std::string figure(const PathTable& t, std::int64_t bytes, bool aggregate) {
  const BenchRow& r = row_for(t, bytes);
  return fmt::format("{} at {} B per rank, {} rank(s): {} {:.2f} GB/s, #wrong {}", t.name, r.bytes,
                     t.ranks, aggregate ? "busbw" : "algbw", (aggregate ? r.busbw : r.algbw) / 1e9,
                     r.wrong);
}

}  // namespace

const BenchRow& row_for(const PathTable& t, std::int64_t bytes) {
  if (bytes <= 0) return t.largest();
  const BenchRow* best = &t.largest();
  double gap = 1e300;
  for (const BenchRow& r : t.rows) {
    const double g = std::abs(std::log(static_cast<double>(r.bytes) / static_cast<double>(bytes)));
    if (g < gap) {
      gap = g;
      best = &r;
    }
  }
  return *best;
}

std::string measured_profile_name(const std::string& backend, const std::string& machine) {
  std::string slug;
  for (char ch : machine) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c)) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return fmt::format("{}-{}-measured", backend, slug.empty() ? "unknown" : slug);
}

std::string profile_yaml(const Calibration& c, const std::string& name, const ProfileRows& rows) {
  const std::int64_t cb = rows.copy_bytes, nb = rows.network_bytes, sb = rows.storage_bytes;
  const bool gpu = c.has_table("cuda_d2h_pinned");
  const PathTable& copy = c.table("host_memcpy");
  const PathTable& d2h = gpu ? c.table("cuda_d2h_pinned") : copy;
  const PathTable& h2d = gpu ? c.table("cuda_h2d_pinned") : copy;
  const PathTable* peer = c.has_table("nccl_sendrecv") ? &c.table("nccl_sendrecv") : nullptr;
  const PathTable& net = c.table("loopback_sendrecv");
  const PathTable& wr = c.table("storage_write");
  const PathTable& rd = c.table("storage_read");
  const SlowdownRow* slow = nullptr;
  for (const SlowdownRow& r : c.slowdown) {
    if (!slow || r.bytes > slow->bytes) slow = &r;
  }
  const std::string stamp =
      fmt::format("measured by ckptlab calibrate on {}, {}", c.machine, c.date);

  std::ostringstream y;
  y << "# " << name << ": " << stamp << ".\n"
    << (gpu ? "# CUDA backend: PCIe from cudaMemcpyAsync to pinned memory; the network is loopback "
              "TCP\n"
              "# (one node), local disk and shared storage are the same file system.\n"
            : "# Host backend: the \"GPU\" tier is host memory, PCIe is memcpy into page-locked "
              "buffers,\n"
              "# the network is loopback TCP, local disk and shared storage are the same file "
              "system.\n")
    << "# Per-rank figures were measured with " << c.ranks
    << " ranks at once, as the harness runs them.\n#\n";
  std::istringstream report(c.report());
  for (std::string line; std::getline(report, line);)
    y << "#" << (line.empty() ? "" : " ") << line << "\n";
  y << "name: " << name << "\n"
    << "gpu_memory: " << fmt::format("{:.3f} GB", static_cast<double>(c.gpu_memory.value) / 1e9)
    << "\n"
    << "host_memory: " << fmt::format("{:.3f} GB", static_cast<double>(c.host_memory.value) / 1e9)
    << "\n"
    << "pcie_d2h: " << bandwidth(row_for(d2h, cb).algbw) << "\n"
    << "pcie_h2d: " << bandwidth(row_for(h2d, cb).algbw) << "\n"
    << "nvlink: " << bandwidth(peer ? row_for(*peer, nb).busbw : row_for(copy, cb).algbw) << "\n"
    << "nics_per_node: 1\n"
    << "nic_bandwidth: " << bandwidth(row_for(net, nb).busbw) << "\n"
    << "local_disk_write: " << bandwidth(row_for(wr, sb).busbw) << "\n"
    << "local_disk_read: " << bandwidth(row_for(rd, sb).busbw) << "\n"
    << "storage_write: " << bandwidth(row_for(wr, sb).busbw) << "\n"
    << "storage_read: " << bandwidth(row_for(rd, sb).busbw) << "\n"
    << "storage_per_client: " << bandwidth(std::max(row_for(wr, sb).busbw, row_for(rd, sb).busbw))
    << "\n"
    << "background_slowdown: " << fmt::format("{:.4f}", slow ? slow->slowdown : 0.0) << "\n"
    << "background_efficiency: " << fmt::format("{:.4f}", slow ? slow->efficiency : 1.0) << "\n"
    << "iteration_time: " << fmt::format("{:.3f}ms", c.compute.value * 1e3) << "\n"
    << "sources:\n";
  const auto src = [&](const std::string& key, const std::string& what) {
    y << "  " << key << ": " << quoted(stamp + "; " + what) << "\n";
  };
  src("gpu_memory", gpu ? std::string("cudaGetDeviceProperties totalGlobalMem")
                        : std::string("MemTotal of /proc/meminfo (the host backend keeps the "
                                      "trainer state in host memory)"));
  src("host_memory", "MemTotal of /proc/meminfo");
  if (gpu) {
    src("pcie_d2h", figure(d2h, cb, false) + " (cudaMemcpyAsync to pinned memory)");
    src("pcie_h2d", figure(h2d, cb, false) + " (cudaMemcpyAsync from pinned memory)");
  } else {
    src("pcie_d2h", figure(copy, cb, false) + " (memcpy into page-locked buffers)");
    src("pcie_h2d",
        figure(copy, cb, false) + " (the same memcpy path: restores copy the other way)");
  }
  src("nvlink", peer ? figure(*peer, nb, true) +
                           " (NCCL send/recv; with one GPU it sends to itself, so "
                           "this is not NVLink: replace it on a multi-GPU node)"
                     : figure(copy, cb, false) + " (ranks of one host share memory)");
  src("nics_per_node", "one loopback interface");
  src("nic_bandwidth", figure(net, nb, true) + " (all links of the node at once)");
  src("local_disk_write", figure(wr, sb, true) + " (shard files, temp + fsync + rename)");
  src("local_disk_read", figure(rd, sb, true) + " (page cache dropped before each read)");
  src("storage_write", figure(wr, sb, true) + " (no shared storage here: the same file system)");
  src("storage_read", figure(rd, sb, true) + " (no shared storage here: the same file system)");
  // The analytic executor caps reads and writes alike at this figure: the faster of the two, so
  // that it never slows the other direction below what was measured.
  src("storage_per_client", "the larger of " + figure(wr, sb, true) + " and " +
                                figure(rd, sb, true) +
                                " (one client; the cap applies to reads and writes alike)");
  src("background_slowdown",
      slow ? fmt::format("compute_slowdown at {} B per rank: {:.2f} ms alone, {:.2f} ms beside {} "
                         "ranks looping snapshot + persist ({:.1f}%)",
                         slow->bytes, slow->alone_s * 1e3, slow->busy_s * 1e3, c.ranks,
                         slow->slowdown * 100)
           : std::string("not measured"));
  src("background_efficiency",
      slow && slow->cycle_busy_s > 0
          ? fmt::format("compute_slowdown at {} B per rank: one snapshot + persist cycle {:.2f} ms "
                        "with {} ranks at once and nothing else, {:.2f} ms beside the compute "
                        "phase ({:.3f})",
                        slow->bytes, slow->cycle_alone_s * 1e3, c.ranks, slow->cycle_busy_s * 1e3,
                        slow->efficiency)
          : std::string("not measured (no background cycle ran entirely beside the compute "
                        "phase): background ops at full speed"));
  src("iteration_time",
      fmt::format("the harness compute phase measured alone (sized to {:.0f} ms on "
                  "an idle core)",
                  c.compute_target.value * 1e3));
  return y.str();
}

}  // namespace ckptlab::hw
