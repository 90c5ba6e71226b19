// Which experts a Partial Experts Checkpoint (MoC-System, arXiv 2408.04307) saves in each MoE
// layer: `sequential` (a round-robin, staggered across layers and EP ranks) or `load_aware`
// (the experts with the most unsaved token updates).
#pragma once

#include <cstdint>
#include <vector>

namespace ckptlab {

// One flag per (MoE layer, expert), at layer * experts + expert: 1 = selected.
using ExpertMask = std::vector<std::uint8_t>;

enum class ExpertSelection { kSequential, kLoadAware };

// The expert at `position` of a layer's round-robin order. Experts are placed on EP ranks in
// contiguous blocks of experts/ep (expert e on EP rank e / (experts/ep)); the order visits the
// EP ranks in turn (position p -> EP rank p mod ep, the (p / ep)-th expert of that rank), so K
// consecutive positions spread over K EP ranks and no rank writes more than its share. With one
// expert per EP rank (ep == experts) or ep == 1 it is the identity, i.e. MoC-System's example
// "checkpoint t saves expert (layer_index + t) mod N" exactly.
// REQUIRES: 0 <= position < experts; ep divides experts.
std::int64_t round_robin_expert(std::int64_t position, std::int64_t experts, std::int64_t ep);

// Sequential selection: MoE layer l (its ordinal among MoE layers) saves the experts at
// positions (l + cursor + j) mod E for j < k. `cursor` counts the positions completed
// checkpoints have already covered (k per checkpoint), so with k = 1 checkpoint t saves position
// (l + t) mod E, and a change of k continues the rotation where it stood.
// REQUIRES: 1 <= k <= experts.
ExpertMask select_sequential(std::int64_t layers, std::int64_t experts, std::int64_t ep,
                             std::int64_t k, std::int64_t cursor);

// Load-aware selection: in each layer, every expert already set in `base` (may be null) plus
// the experts with the largest `unsaved` (assignments since the expert's last save) until k are
// selected. Ties go to the expert that comes first in layer l's sequential rotation (position
// (p - l) mod E, p its round-robin position), so under balanced routing load-aware selection is
// exactly the sequential one, staggered over layers and spread over EP ranks.
// REQUIRES: unsaved.size() == layers * experts; 1 <= k <= experts; ep divides experts; base, if
// given, has at most k per layer.
ExpertMask select_load_aware(std::int64_t layers, std::int64_t experts, std::int64_t ep,
                             std::int64_t k, const std::vector<double>& unsaved,
                             const ExpertMask* base = nullptr);

// Selected experts of layer `layer`.
std::int64_t selected_in_layer(const ExpertMask& mask, std::int64_t layer, std::int64_t experts);

}  // namespace ckptlab
