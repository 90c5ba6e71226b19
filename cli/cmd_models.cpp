// `ckptlab models list | show <name>`: the catalog, and one model's sizes and state bytes.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "model/model_spec.hpp"
#include "util/data_files.hpp"

namespace po = boost::program_options;

namespace ckptlab {

namespace {

ModelSpec load_catalog_model(const std::string& name) {
  const ConfigNode ref = ConfigNode::load_string(name, "<command line>");
  return load_model(ref);
}

void print_model(const ModelSpec& m) {
  const auto per_param = m.state_bytes_per_param();
  std::printf("%s\n  source: %s\n", m.name.c_str(), m.source.c_str());
  std::printf("  layers %lld (MoE %lld), hidden %lld, vocab %lld\n",
              static_cast<long long>(m.layers), static_cast<long long>(m.moe_layers()),
              static_cast<long long>(m.hidden), static_cast<long long>(m.vocab));
  if (m.is_moe()) {
    std::printf("  experts %lld per MoE layer, top-%lld, %lld shared; %s parameters per expert\n",
                static_cast<long long>(m.experts), static_cast<long long>(m.top_k),
                static_cast<long long>(m.shared_experts),
                format_count(static_cast<double>(m.params_per_expert())).c_str());
  }
  std::printf("  parameters: total %s, active %s, dense %s, routed experts %s\n",
              format_count(static_cast<double>(m.total_params())).c_str(),
              format_count(static_cast<double>(m.active_params())).c_str(),
              format_count(static_cast<double>(m.dense_params())).c_str(),
              format_count(static_cast<double>(m.expert_params())).c_str());
  const auto bytes = [&](int b) { return format_size(Bytes{m.total_params() * b}); };
  std::printf("  state: bf16 weights %s, fp32 master %s, Adam moments %s; full checkpoint %s "
              "(%lld B/param)\n",
              bytes(m.weight_bytes).c_str(), bytes(m.master_bytes).c_str(),
              bytes(m.optimizer_bytes).c_str(), bytes(static_cast<int>(per_param)).c_str(),
              static_cast<long long>(per_param));
  std::printf("  training FLOPs per token: %.3g\n", m.flops_per_token());
}

}  // namespace

int models_command(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: ckptlab models list\n       ckptlab models show <name or path.yaml>\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usage.c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "list") {
    if (args.size() != 1) throw std::invalid_argument("models list takes no arguments");
    std::printf("%-22s %12s %12s %8s %6s\n", "name", "total", "active", "experts", "top-k");
    for (const std::string& name : list_catalog("models")) {
      const ModelSpec m = load_catalog_model(name);
      std::printf("%-22s %12s %12s %8lld %6lld\n", name.c_str(),
                  format_count(static_cast<double>(m.total_params())).c_str(),
                  format_count(static_cast<double>(m.active_params())).c_str(),
                  static_cast<long long>(m.experts), static_cast<long long>(m.top_k));
    }
    return 0;
  }
  if (args[0] == "show") {
    if (args.size() != 2) throw std::invalid_argument("usage: ckptlab models show <name>");
    print_model(load_catalog_model(args[1]));
    return 0;
  }
  throw std::invalid_argument(fmt::format("unknown models subcommand \"{}\"\n{}", args[0], usage));
}

}  // namespace ckptlab
