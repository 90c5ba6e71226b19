#include "moe/routing_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>

#include "failure/random_draws.hpp"
#include "util/input_error.hpp"

namespace ckptlab {

namespace {

constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

// SplitMix64 finaliser: nearby (seed, layer, block) triples give unrelated engine states.
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t permutation_seed(std::uint64_t seed, std::int64_t layer, std::int64_t block) {
  std::uint64_t z = mix64(seed + 0x526F7574696E67ULL);  // "Routing": unrelated to failure streams
  z = mix64(z + static_cast<std::uint64_t>(layer) * 0x9E3779B97F4A7C15ULL);
  return mix64(z + static_cast<std::uint64_t>(block) * 0xD1B54A32D192ED03ULL);
}

// Zipf shares r^-s for r = 1..E, capped at 1/top_k by water-filling: the c largest ranks are
// pinned at the cap and the rest scaled to carry the remaining mass; c grows until the largest
// unpinned share fits under the cap.
std::vector<double> zipf_shares(std::int64_t experts, std::int64_t top_k, double s) {
  std::vector<double> w(static_cast<size_t>(experts));
  for (size_t r = 0; r < w.size(); ++r) w[r] = std::pow(static_cast<double>(r + 1), -s);
  const double cap = 1.0 / static_cast<double>(top_k);
  size_t pinned = 0;
  double scale = 0;
  while (true) {
    const double rest =
        std::accumulate(w.begin() + static_cast<std::ptrdiff_t>(pinned), w.end(), 0.0);
    scale = (1.0 - static_cast<double>(pinned) * cap) / rest;
    if (pinned + 1 < w.size() && w[pinned] * scale > cap) {
      ++pinned;
      continue;
    }
    break;
  }
  for (size_t r = 0; r < w.size(); ++r) w[r] = r < pinned ? cap : w[r] * scale;
  return w;
}

}  // namespace

std::string RoutingSpec::describe() const {
  switch (kind) {
    case Kind::kUniform:
      return "uniform";
    case Kind::kZipf:
      return fmt::format("zipf s={:g}, {}, seed {}", zipf_exponent,
                         reshuffle_every > 0
                             ? fmt::format("order reshuffled every {} iterations", reshuffle_every)
                             : std::string("fixed order"),
                         seed);
    case Kind::kTrace:
      return fmt::format("trace {} ({} rows)", trace->file, trace->rows.size());
  }
  return "?";
}

RoutingSpec decode_routing(const ConfigNode& node) {
  node.expect_keys({"distribution", "exponent", "reshuffle_every", "seed", "file"});
  RoutingSpec spec;
  const std::string kind = node.string_or("distribution", "uniform");
  const auto only_for = [&](std::string_view key, const char* distribution) {
    if (auto n = node.find(key)) {
      n->fail(fmt::format("{} applies to distribution: {} only", key, distribution));
    }
  };
  if (auto n = node.find("seed")) {
    const std::int64_t seed = n->as_int();
    if (seed < 0) n->fail("expected a seed >= 0");
    spec.seed = static_cast<std::uint64_t>(seed);
  }
  if (kind == "uniform") {
    only_for("exponent", "zipf");
    only_for("reshuffle_every", "zipf");
    only_for("file", "trace");
  } else if (kind == "zipf") {
    spec.kind = RoutingSpec::Kind::kZipf;
    only_for("file", "trace");
    if (auto n = node.find("exponent")) {
      spec.zipf_exponent = n->as_double();
      if (!(spec.zipf_exponent >= 0) || !std::isfinite(spec.zipf_exponent)) {
        n->fail("expected a finite exponent >= 0");
      }
    }
    if (auto n = node.find("reshuffle_every")) {
      spec.reshuffle_every = n->as_int();
      if (spec.reshuffle_every < 0) n->fail("expected iterations >= 0 (0: never)");
    }
  } else if (kind == "trace") {
    spec.kind = RoutingSpec::Kind::kTrace;
    only_for("exponent", "zipf");
    only_for("reshuffle_every", "zipf");
    namespace fs = std::filesystem;
    const ConfigNode file_node = node["file"];
    fs::path path(file_node.as_string());
    if (path.is_relative()) path = fs::path(node.file()).parent_path() / path;
    const std::string file = path.lexically_normal().string();
    if (!fs::is_regular_file(path)) {
      file_node.fail(
          fmt::format("routing trace \"{}\" does not exist (a relative path is taken "
                      "from the directory of the scenario file)",
                      file));
    }
    spec.trace = std::make_shared<const RoutingTrace>(load_routing_trace(file));
  } else {
    node["distribution"].fail(
        fmt::format("unknown distribution \"{}\"; expected uniform, zipf or trace", kind));
  }
  return spec;
}

RoutingModel::RoutingModel(RoutingSpec spec, std::int64_t moe_layers, std::int64_t experts,
                           std::int64_t top_k, std::int64_t tokens_per_iteration)
    : spec_(std::move(spec)), layers_(moe_layers), experts_(experts) {
  CKPTLAB_CHECK(
      moe_layers >= 1 && top_k >= 1 && top_k <= experts && tokens_per_iteration >= 0,
      fmt::format("routing model of {} layers, {} experts, top-{}", moe_layers, experts, top_k));
  per_iteration_ = static_cast<double>(tokens_per_iteration) * static_cast<double>(top_k);
  switch (spec_.kind) {
    case RoutingSpec::Kind::kUniform:
      shares_.assign(static_cast<size_t>(experts), 1.0 / static_cast<double>(experts));
      break;
    case RoutingSpec::Kind::kZipf:
      shares_ = zipf_shares(experts, top_k, spec_.zipf_exponent);
      break;
    case RoutingSpec::Kind::kTrace: {
      CKPTLAB_CHECK(spec_.trace != nullptr, "a trace routing spec needs its trace");
      check_routing_trace(*spec_.trace, moe_layers, experts);
      for (const RoutingTraceRow& r : spec_.trace->rows) {
        if (epochs_.empty() || epochs_.back().start != r.iteration) {
          epochs_.push_back({r.iteration, {}, std::vector<double>(static_cast<size_t>(layers_))});
        }
        const auto index = static_cast<size_t>(r.layer * experts_ + r.expert);
        epochs_.back().rates.emplace_back(index, static_cast<double>(r.tokens));
        epochs_.back().layer_totals[static_cast<size_t>(r.layer)] += static_cast<double>(r.tokens);
      }
      break;
    }
  }
}

std::int64_t RoutingModel::segment_index(std::int64_t iteration) const {
  switch (spec_.kind) {
    case RoutingSpec::Kind::kUniform:
      return 0;
    case RoutingSpec::Kind::kZipf:
      return spec_.reshuffle_every > 0 ? iteration / spec_.reshuffle_every : 0;
    case RoutingSpec::Kind::kTrace: {
      const auto after =
          std::upper_bound(epochs_.begin(), epochs_.end(), iteration,
                           [](std::int64_t it, const Epoch& e) { return it < e.start; });
      return static_cast<std::int64_t>(after - epochs_.begin()) - 1;  // first epoch starts at 0
    }
  }
  return 0;
}

std::pair<std::int64_t, std::int64_t> RoutingModel::segment(std::int64_t iteration) const {
  const std::int64_t i = segment_index(iteration);
  if (spec_.kind == RoutingSpec::Kind::kZipf && spec_.reshuffle_every > 0) {
    return {i * spec_.reshuffle_every, (i + 1) * spec_.reshuffle_every};
  }
  if (spec_.kind == RoutingSpec::Kind::kTrace) {
    const auto u = static_cast<size_t>(i);
    return {epochs_[u].start, u + 1 < epochs_.size() ? epochs_[u + 1].start : kForever};
  }
  return {0, kForever};
}

const std::vector<double>& RoutingModel::rates(std::int64_t index) const {
  if (index == cached_index_) return cached_rates_;
  const auto e = static_cast<size_t>(experts_);
  cached_rates_.assign(static_cast<size_t>(layers_) * e, 0.0);
  if (spec_.kind == RoutingSpec::Kind::kTrace) {
    for (const auto& [i, v] : epochs_[static_cast<size_t>(index)].rates) cached_rates_[i] = v;
  } else {
    std::vector<size_t> order(e);
    for (std::int64_t layer = 0; layer < layers_; ++layer) {
      // Fisher-Yates: order[r] is the expert holding popularity rank r in this layer and block.
      std::iota(order.begin(), order.end(), size_t{0});
      std::mt19937_64 engine(permutation_seed(spec_.seed, layer, index));
      for (size_t i = e - 1; i > 0; --i) std::swap(order[i], order[draw_below(engine, i + 1)]);
      for (size_t r = 0; r < e; ++r) {
        cached_rates_[static_cast<size_t>(layer) * e + order[r]] = per_iteration_ * shares_[r];
      }
    }
  }
  cached_index_ = index;
  return cached_rates_;
}

double RoutingModel::assignments(std::int64_t layer, std::int64_t expert,
                                 std::int64_t iteration) const {
  if (spec_.kind == RoutingSpec::Kind::kUniform) return per_iteration_ * shares_[0];
  return rates(segment_index(iteration))[static_cast<size_t>(layer * experts_ + expert)];
}

void RoutingModel::accumulate(std::int64_t from, std::int64_t to, std::vector<double>& out) const {
  CKPTLAB_CHECK(0 <= from && from <= to, fmt::format("accumulate over [{}, {})", from, to));
  CKPTLAB_CHECK(out.size() == static_cast<size_t>(layers_ * experts_), "accumulate: out size");
  if (spec_.kind == RoutingSpec::Kind::kUniform) {
    const double add = per_iteration_ * shares_[0] * static_cast<double>(to - from);
    for (double& v : out) v += add;
    return;
  }
  while (from < to) {
    const auto [first, end] = segment(from);
    const std::int64_t stop = std::min(to, end);
    const double length = static_cast<double>(stop - from);
    const std::vector<double>& r = rates(segment_index(first));
    for (size_t i = 0; i < out.size(); ++i) out[i] += r[i] * length;
    from = stop;
  }
}

double RoutingModel::layer_assignments(std::int64_t layer, std::int64_t from,
                                       std::int64_t to) const {
  CKPTLAB_CHECK(0 <= from && from <= to, fmt::format("layer_assignments over [{}, {})", from, to));
  if (spec_.kind != RoutingSpec::Kind::kTrace) {
    return per_iteration_ * static_cast<double>(to - from);  // shares sum to 1
  }
  double sum = 0;
  while (from < to) {
    const auto [first, end] = segment(from);
    const std::int64_t stop = std::min(to, end);
    sum += epochs_[static_cast<size_t>(segment_index(first))]
               .layer_totals[static_cast<size_t>(layer)] *
           static_cast<double>(stop - from);
    from = stop;
  }
  return sum;
}

}  // namespace ckptlab
