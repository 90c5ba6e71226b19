#include "moe/pec_layout.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

Bytes of_class(const StateBytes& s, unsigned c) {
  switch (c) {
    case kStateWeights:
      return s.weights;
    case kStateMaster:
      return s.master;
    case kStateOptimizer:
      return s.optimizer;
    default:
      break;
  }
  CKPTLAB_CHECK(false, "one state class at a time");
}

constexpr unsigned kClasses[] = {kStateWeights, kStateMaster, kStateOptimizer};

// `count` of `total` equal parts of `b`; exact when count == total.
Bytes scaled(Bytes b, std::int64_t count, std::int64_t total) {
  return total == 0 ? Bytes{0} : Bytes{b.value * count / total};
}

struct Module {
  std::int64_t bytes = 0;
  std::int64_t ep_block = -1;  // an expert's EP rank (only its replicas may write it); -1: any
};

}  // namespace

unsigned decode_state_classes(const ConfigNode& node) {
  if (node.is_scalar()) {
    if (node.as_string() == "all") return kAllStateClasses;
    node.fail("expected all or a list of state classes: weights, master, optimizer");
  }
  if (!node.is_sequence()) node.fail("expected all or a list of state classes");
  const std::vector<std::string> names = {"weights", "master", "optimizer"};
  unsigned bits = 0;
  for (const ConfigNode& item : node.items()) {
    const std::string name = item.as_string();
    const auto at = std::find(names.begin(), names.end(), name);
    if (at == names.end()) {
      const std::string hint = closest_match(name, names);
      item.fail(fmt::format("unknown state class \"{}\"{}; expected weights, master or optimizer",
                            name, hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
    }
    const unsigned bit = 1u << (at - names.begin());
    if (bits & bit) item.fail(fmt::format("state class \"{}\" is listed twice", name));
    bits |= bit;
  }
  if (bits == 0) node.fail("an empty skip list saves every expert in full; use k_pec: E for that");
  return bits;
}

std::string state_class_names(unsigned classes) {
  std::string s;
  const std::pair<unsigned, const char*> named[] = {
      {kStateWeights, "weights"}, {kStateMaster, "master"}, {kStateOptimizer, "optimizer"}};
  for (const auto& [bit, name] : named) {
    if (classes & bit) s += (s.empty() ? "" : "+") + std::string(name);
  }
  return s;
}

std::int64_t bytes_per_param(const ModelSpec& model, unsigned classes) {
  return ((classes & kStateWeights) ? model.weight_bytes : 0) +
         ((classes & kStateMaster) ? model.master_bytes : 0) +
         ((classes & kStateOptimizer) ? model.optimizer_bytes : 0);
}

PecLayout::PecLayout(const ModelSpec& model, const ParallelConfig& parallel, const ShardMap& shards)
    : shards_(shards),
      model_(model),
      tp_(parallel.tp),
      pp_(parallel.pp),
      dp_(parallel.dp),
      ep_(parallel.ep),
      moe_layers_(model.moe_layers()),
      experts_(model.experts) {
  CKPTLAB_CHECK(model.is_moe() && experts_ % ep_ == 0, "PecLayout needs an MoE model, ep | E");
  local_experts_ = experts_ / ep_;
  sharded_ = (parallel.zero_stage >= 3 ? kStateWeights : 0u) |
             (parallel.zero_stage >= 1 ? kStateMaster | kStateOptimizer : 0u);
  replicated_ = kAllStateClasses & ~sharded_;
  for (const RankShard& r : shards.ranks()) {
    RankWrites w;
    w.stage_ep = static_cast<size_t>(r.stage * ep_ + r.ep_index);
    w.local_total = r.moe_layers_in_stage * r.local_experts_per_layer;
    for (size_t k = 0; k < 3; ++k) {
      const unsigned c = kClasses[k];
      const bool sharded = (sharded_ & c) != 0;
      const std::int64_t dense = of_class(r.dense, c).value;
      w.dense_sharded += sharded ? dense : 0;
      w.dense_megatron += sharded || r.dp_index == 0 ? dense : 0;
      w.expert[k] = of_class(r.expert, c).value;
      w.expert_megatron[k] = sharded || r.dp_index / ep_ == 0;
    }
    rank_writes_.push_back(w);
  }
  stage_first_moe_.assign(static_cast<size_t>(pp_ + 1), moe_layers_);
  for (std::int64_t s = 0; s < pp_; ++s) {
    const std::int64_t first_layer = shards.stage_layers(s).first;
    const auto& idx = model.moe_layer_indices;
    stage_first_moe_[static_cast<size_t>(s)] =
        std::lower_bound(idx.begin(), idx.end(), first_layer) - idx.begin();
  }
}

std::pair<std::int64_t, std::int64_t> PecLayout::stage_moe_range(std::int64_t stage) const {
  return {stage_first_moe_[static_cast<size_t>(stage)],
          stage_first_moe_[static_cast<size_t>(stage + 1)]};
}

std::int64_t PecLayout::local_selected(std::int64_t rank, const ExpertMask& mask) const {
  const RankShard& r = shards_.rank(rank);
  const auto [first, last] = stage_moe_range(r.stage);
  std::int64_t n = 0;
  for (std::int64_t i = first; i < last; ++i) {
    const auto row = mask.begin() + i * experts_ + r.ep_index * local_experts_;
    n += std::count(row, row + local_experts_, std::uint8_t{1});
  }
  return n;
}

StateBytes PecLayout::local_expert_state(std::int64_t rank, std::int64_t count) const {
  const RankShard& r = shards_.rank(rank);
  const std::int64_t total = r.moe_layers_in_stage * r.local_experts_per_layer;
  return {scaled(r.expert.weights, count, total), scaled(r.expert.master, count, total),
          scaled(r.expert.optimizer, count, total)};
}

std::vector<Bytes> PecLayout::write_bytes(const ExpertMask& selected, unsigned skip,
                                          CheckpointSharding sharding) const {
  CKPTLAB_CHECK(selected.size() == static_cast<size_t>(moe_layers_ * experts_), "mask size");
  // Selected experts per (stage, EP rank): every rank of a stage and EP index holds the same
  // experts (its TP slice and expert-DP replica of them).
  std::vector<std::int64_t> chosen_at(static_cast<size_t>(pp_ * ep_), 0);
  for (std::int64_t s = 0; s < pp_; ++s) {
    const auto [first, last] = stage_moe_range(s);
    for (std::int64_t i = first; i < last; ++i) {
      for (std::int64_t e = 0; e < experts_; ++e) {
        chosen_at[static_cast<size_t>(s * ep_ + e / local_experts_)] +=
            selected[static_cast<size_t>(i * experts_ + e)];
      }
    }
  }
  const bool megatron = sharding == CheckpointSharding::kMegatron;
  std::vector<Bytes> writes(rank_writes_.size());
  for (size_t i = 0; i < rank_writes_.size(); ++i) {
    const RankWrites& w = rank_writes_[i];
    const std::int64_t chosen = chosen_at[w.stage_ep];
    std::int64_t b = megatron ? w.dense_megatron : w.dense_sharded;
    for (size_t k = 0; k < 3; ++k) {
      // Replicated classes under fully sharded checkpointing are added module by module below.
      if (!(megatron ? w.expert_megatron[k] : (sharded_ & kClasses[k]) != 0)) continue;
      b += (skip & kClasses[k]) ? scaled(Bytes{w.expert[k]}, chosen, w.local_total).value
                                : w.expert[k];
    }
    writes[i] = Bytes{b};
  }
  if (sharding == CheckpointSharding::kFullySharded) {
    add_fully_sharded_replicated(selected, skip, writes);
  }
  return writes;
}

void PecLayout::add_fully_sharded_replicated(const ExpertMask& selected, unsigned skip,
                                             std::vector<Bytes>& writes) const {
  if (replicated_ == 0) return;  // ZeRO 3: every rank already writes only its own shards
  const std::int64_t dense_bpp = bytes_per_param(model_, replicated_);
  const std::int64_t saved_bpp = bytes_per_param(model_, replicated_);
  const std::int64_t unsaved_bpp = bytes_per_param(model_, replicated_ & ~skip);
  const std::int64_t per_expert = model_.params_per_expert();
  std::vector<Module> dense, saved, unsaved;
  std::vector<std::int64_t> load(static_cast<size_t>(dp_));
  for (std::int64_t s = 0; s < pp_; ++s) {
    const auto [first_layer, last_layer] = shards_.stage_layers(s);
    const auto [first_moe, last_moe] = stage_moe_range(s);
    for (std::int64_t t = 0; t < tp_; ++t) {
      dense.clear();
      saved.clear();
      unsaved.clear();
      const auto add_dense = [&](std::int64_t params) {
        dense.push_back({split_share(params, tp_, t) * dense_bpp, -1});
      };
      for (std::int64_t l = first_layer; l < last_layer; ++l)
        add_dense(model_.block_dense_params(l));
      if (s == 0) add_dense(model_.embedding_params());
      if (s == pp_ - 1) add_dense(model_.head_params());
      std::stable_sort(dense.begin(), dense.end(),
                       [](const Module& a, const Module& b) { return a.bytes > b.bytes; });
      // Expert modules come in two sizes (saved in full or not), so they need no sort: the
      // largest-first order is the merge of three descending lists. With equal sizes they stay
      // in (layer, expert) order, as a stable sort would leave them.
      const std::int64_t slice = split_share(per_expert, tp_, t);
      for (std::int64_t i = first_moe; i < last_moe; ++i) {
        for (std::int64_t e = 0; e < experts_; ++e) {
          const bool full = selected[static_cast<size_t>(i * experts_ + e)] != 0;
          auto& list = full || saved_bpp == unsaved_bpp ? saved : unsaved;
          const std::int64_t bytes = slice * (full ? saved_bpp : unsaved_bpp);
          if (bytes > 0) list.push_back({bytes, e / local_experts_});
        }
      }
      const auto rank_of = [&](std::int64_t d) {
        return static_cast<size_t>((s * dp_ + d) * tp_ + t);
      };
      for (std::int64_t d = 0; d < dp_; ++d)
        load[static_cast<size_t>(d)] = writes[rank_of(d)].value;
      const auto assign = [&](const Module& m) {
        const std::int64_t start = m.ep_block < 0 ? 0 : m.ep_block;
        const std::int64_t step = m.ep_block < 0 ? 1 : ep_;
        std::int64_t best = start;
        for (std::int64_t d = start; d < dp_; d += step) {
          if (load[static_cast<size_t>(d)] < load[static_cast<size_t>(best)]) best = d;
        }
        load[static_cast<size_t>(best)] += m.bytes;
      };
      size_t a = 0, b = 0, c = 0;
      while (a < dense.size() || b < saved.size() || c < unsaved.size()) {
        // Ties go to dense modules, then full experts: the order they were listed in.
        const std::int64_t da = a < dense.size() ? dense[a].bytes : -1;
        const std::int64_t db = b < saved.size() ? saved[b].bytes : -1;
        const std::int64_t dc = c < unsaved.size() ? unsaved[c].bytes : -1;
        if (da >= db && da >= dc) {
          assign(dense[a++]);
        } else if (db >= dc) {
          assign(saved[b++]);
        } else {
          assign(unsaved[c++]);
        }
      }
      for (std::int64_t d = 0; d < dp_; ++d)
        writes[rank_of(d)] = Bytes{load[static_cast<size_t>(d)]};
    }
  }
}

PecLayout::RecoveryLoads PecLayout::recovery_loads(const std::vector<std::int64_t>& failed_nodes,
                                                   const ExpertMask& from_host,
                                                   bool dense_from_host) const {
  const std::set<std::int64_t> failed(failed_nodes.begin(), failed_nodes.end());
  RecoveryLoads loads;
  loads.from_storage.resize(static_cast<size_t>(shards_.world()));
  loads.from_host.resize(loads.from_storage.size());
  for (const RankShard& r : shards_.ranks()) {
    const auto i = static_cast<size_t>(r.rank);
    if (failed.count(r.node)) {
      loads.from_storage[i] = r.total().total();
      continue;
    }
    (dense_from_host ? loads.from_host[i] : loads.from_storage[i]) += r.dense.total();
    const Bytes host = local_expert_state(r.rank, local_selected(r.rank, from_host)).total();
    loads.from_host[i] += host;
    loads.from_storage[i] += r.expert.total() - host;
  }
  return loads;
}

ExpertMask PecLayout::experts_on_nodes(const std::vector<std::int64_t>& nodes) const {
  const std::set<std::int64_t> failed(nodes.begin(), nodes.end());
  ExpertMask mask(static_cast<size_t>(moe_layers_ * experts_), 0);
  for (const RankShard& r : shards_.ranks()) {
    if (!failed.count(r.node)) continue;
    const auto [first, last] = stage_moe_range(r.stage);
    for (std::int64_t i = first; i < last; ++i) {
      const auto row = mask.begin() + i * experts_ + r.ep_index * local_experts_;
      std::fill(row, row + local_experts_, std::uint8_t{1});
    }
  }
  return mask;
}

}  // namespace ckptlab
