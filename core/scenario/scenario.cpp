#include "scenario/scenario.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace ckptlab {

namespace {

void derive_iteration_time(Scenario& s, const ConfigNode& hardware_node) {
  if (s.hardware.iteration_time) {
    s.iteration_time = *s.hardware.iteration_time;
    s.iteration_time_source =
        fmt::format("hardware profile: iteration_time ({})", s.hardware.source_of("iteration_time"));
    return;
  }
  const double flops = static_cast<double>(s.parallel.global_batch_tokens) *
                       s.model.flops_per_token();
  const double rate =
      static_cast<double>(s.cluster.gpus()) * s.hardware.peak_flops_per_gpu * s.hardware.mfu;
  s.iteration_time = {flops / rate};
  s.iteration_time_source = fmt::format(
      "formula: tokens * 6 * active params / (GPUs * peak * MFU) = {} * {:.4g} / ({} * {:.4g} * "
      "{}); peak: {}; MFU: {}",
      s.parallel.global_batch_tokens, s.model.flops_per_token(), s.cluster.gpus(),
      s.hardware.peak_flops_per_gpu, s.hardware.mfu, s.hardware.source_of("peak_flops_per_gpu"),
      s.hardware.source_of("mfu"));
  if (s.iteration_time.value < 1e-6) {
    hardware_node.fail(fmt::format("derived iteration time {:.3g} s is below 1 us; check "
                                   "global_batch_tokens, peak_flops_per_gpu and mfu",
                                   s.iteration_time.value));
  }
}

std::vector<PolicyEntry> decode_policies(const ConfigNode& node) {
  std::vector<PolicyEntry> out;
  std::set<std::string> labels;
  if (node.size() == 0) node.fail("list at least one policy");
  for (const ConfigNode& p : node.items()) {
    if (!p.is_map()) p.fail("each policy is a mapping with at least `name:`");
    const std::string label = p.has("label") ? p["label"].as_string() : p["name"].as_string();
    if (!labels.insert(label).second) {
      p.fail(fmt::format("two policies are labelled \"{}\"; give one a distinct `label:`", label));
    }
    out.push_back({p, label});
  }
  return out;
}

// Every failure is simulated one by one, so a failure rate that would give millions of failures
// in the horizon (a typo such as mtbf_node: 1ns, or an MTBF in the wrong unit) would run for
// hours or days instead of answering; it is rejected with the count it would have produced.
constexpr double kMaxFailuresPerReplication = 1e6;

void check_failure_budget(const Scenario& s, const ConfigNode& root) {
  if (!root.has("failures")) return;
  const double expected = s.horizon.value / s.failures.job_mtbf_seconds(s.cluster);
  if (!(expected > kMaxFailuresPerReplication)) return;
  const ConfigNode failures = root["failures"];
  std::optional<ConfigNode> at;
  for (const char* key : {"mtbf_node", "mtbf_job", "scale", "trace"}) {
    if ((at = failures.find(key))) break;
  }
  (at ? *at : failures)
      .fail(fmt::format("this failure rate (job MTBF {}) gives about {:.3g} failures in the "
                        "horizon of {}; ckptlab simulates at most 1,000,000 per replication (each is "
                        "simulated one by one): check the MTBF and its unit",
                        format_duration(Seconds{s.failures.job_mtbf_seconds(s.cluster)}),
                        expected, format_duration(s.horizon)));
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  ConfigNode root = ConfigNode::load_file(path);
  if (!root.is_map()) root.fail("a scenario is a mapping of keys (name, model, cluster, ...)");
  for (const std::string& o : overrides) apply_override(root.yaml(), o);
  root.expect_keys({"name", "model", "parallel", "cluster", "hardware", "failures", "restart",
                    "policies", "horizon", "backend", "seed", "replications", "sweep", "limits"});

  Scenario s;
  s.file = path;
  s.name = root["name"].as_string();
  if (s.name.empty() || s.name.find_first_of("/\\ ") != std::string::npos) {
    root["name"].fail("name must be non-empty, without spaces or slashes (it names the results "
                      "directory)");
  }
  if (auto n = root.find("replications")) {
    const auto r = n->as_positive_int();
    if (r > 10000) n->fail("more than 10,000 replications");
    s.replications = static_cast<std::size_t>(r);
  }
  if (auto limits = root.find("limits")) {
    limits->expect_keys({"max_events"});
    if (auto n = limits->find("max_events")) {
      const auto events = n->as_positive_int();
      s.max_events = static_cast<std::uint64_t>(events);
    }
  }
  if (auto n = root.find("seed")) {
    const auto seed = n->as_int();
    if (seed < 0) n->fail("seed must be >= 0");
    s.seed = static_cast<std::uint64_t>(seed);
  }
  if (auto n = root.find("backend")) {
    s.backend = n->as_string();
    // Whether the sim (SimGrid) backend is built is the program's business, not the scenario's:
    // the CLI refuses `sim` when it was built without SimGrid.
    if (s.backend != "analytic" && s.backend != "sim") {
      n->fail(fmt::format("unknown backend \"{}\"; expected analytic or sim", s.backend));
    }
  }
  s.model = load_model(root["model"]);
  s.cluster = decode_cluster(root["cluster"]);
  s.parallel = decode_parallel(root["parallel"], s.cluster, s.model);
  const ConfigNode hardware_node = root["hardware"];
  s.hardware = load_hardware(hardware_node);
  s.shards = std::make_unique<ShardMap>(s.model, s.parallel, s.cluster);
  try {
    check_fits_gpu_memory(*s.shards, s.hardware.gpu_memory);
  } catch (const std::invalid_argument& e) {
    root["parallel"].fail(e.what());
  }
  derive_iteration_time(s, hardware_node);
  s.failures = root.has("failures") ? decode_failures(root["failures"], s.cluster) : FailureSpec{};
  if (!root.has("failures")) s.failures.cluster = s.cluster;
  s.restart = decode_restart(root["restart"]);
  s.policies = decode_policies(root["policies"]);
  s.horizon = root["horizon"].as_duration();
  if (s.horizon.value <= 0) root["horizon"].fail("horizon must be positive");
  if (s.horizon.value > 100 * 365 * 86400.0) root["horizon"].fail("horizon above 100 years");
  if (s.horizon.value < s.iteration_time.value) {
    root["horizon"].fail(fmt::format("horizon {} is shorter than one iteration ({})",
                                     format_duration(s.horizon), format_duration(s.iteration_time)));
  }
  check_failure_budget(s, root);

  YAML::Emitter emitter;
  emitter << root.yaml();
  s.canonical_yaml = emitter.c_str();
  s.hash = fmt::format("{:016x}", XXH3_64bits(s.canonical_yaml.data(), s.canonical_yaml.size()));
  return s;
}

}  // namespace ckptlab
