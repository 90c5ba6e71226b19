#include "moe/expert_selection.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/input_error.hpp"

namespace ckptlab {

std::int64_t round_robin_expert(std::int64_t position, std::int64_t experts, std::int64_t ep) {
  CKPTLAB_CHECK(0 <= position && position < experts && ep >= 1 && experts % ep == 0,
                fmt::format("position {} of {} experts over {} EP ranks", position, experts, ep));
  const std::int64_t per_rank = experts / ep;
  return (position % ep) * per_rank + (position / ep) % per_rank;
}

ExpertMask select_sequential(std::int64_t layers, std::int64_t experts, std::int64_t ep,
                             std::int64_t k, std::int64_t cursor) {
  CKPTLAB_CHECK(1 <= k && k <= experts, fmt::format("k = {} of {} experts", k, experts));
  ExpertMask mask(static_cast<size_t>(layers * experts), 0);
  for (std::int64_t l = 0; l < layers; ++l) {
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t p = (l + cursor % experts + j) % experts;
      mask[static_cast<size_t>(l * experts + round_robin_expert(p, experts, ep))] = 1;
    }
  }
  return mask;
}

ExpertMask select_load_aware(std::int64_t layers, std::int64_t experts, std::int64_t ep,
                             std::int64_t k, const std::vector<double>& unsaved,
                             const ExpertMask* base) {
  CKPTLAB_CHECK(1 <= k && k <= experts, fmt::format("k = {} of {} experts", k, experts));
  CKPTLAB_CHECK(unsaved.size() == static_cast<size_t>(layers * experts), "unsaved size");
  CKPTLAB_CHECK(ep >= 1 && experts % ep == 0, "ep must divide the experts");
  const std::int64_t per_rank = experts / ep;
  ExpertMask mask = base ? *base : ExpertMask(unsaved.size(), 0);
  // Each expert's round-robin position (the inverse of round_robin_expert), once: ties are
  // common (every expert saved by the last checkpoint has 0 unsaved), and this is the inner loop
  // of every load-aware checkpoint.
  std::vector<std::int64_t> position(static_cast<size_t>(experts));
  for (std::int64_t e = 0; e < experts; ++e)
    position[static_cast<size_t>(e)] = (e % per_rank) * ep + e / per_rank;
  std::vector<std::int64_t> order;
  for (std::int64_t l = 0; l < layers; ++l) {
    const size_t row = static_cast<size_t>(l * experts);
    const std::int64_t chosen = selected_in_layer(mask, l, experts);
    CKPTLAB_CHECK(chosen <= k, "the base selection has more than k experts in a layer");
    // Most unsaved first, then the earlier place in this layer's rotation: a strict order, so
    // the k chosen do not depend on the algorithm.
    const std::int64_t shift = l % experts;
    const auto rank_in_rotation = [&](std::int64_t e) {
      const std::int64_t p = position[static_cast<size_t>(e)] - shift;  // (p - l) mod experts
      return p < 0 ? p + experts : p;
    };
    const auto more = [&](std::int64_t a, std::int64_t b) {
      const double ua = unsaved[row + static_cast<size_t>(a)];
      const double ub = unsaved[row + static_cast<size_t>(b)];
      return ua != ub ? ua > ub : rank_in_rotation(a) < rank_in_rotation(b);
    };
    const auto take = static_cast<size_t>(k - chosen);
    order.clear();
    if (take <= 32) {
      // One pass keeping the best `take` in order: a candidate is usually rejected by one
      // comparison with the current last, which beats a selection algorithm for small k.
      for (std::int64_t e = 0; e < experts && take > 0; ++e) {
        if (mask[row + static_cast<size_t>(e)]) continue;
        if (order.size() == take && !more(e, order.back())) continue;
        order.insert(std::upper_bound(order.begin(), order.end(), e, more), e);
        if (order.size() > take) order.pop_back();
      }
    } else {
      for (std::int64_t e = 0; e < experts; ++e) {
        if (!mask[row + static_cast<size_t>(e)]) order.push_back(e);
      }
      if (take < order.size()) {
        std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take),
                         order.end(), more);
        order.resize(take);
      }
    }
    for (std::int64_t e : order) mask[row + static_cast<size_t>(e)] = 1;
  }
  return mask;
}

std::int64_t selected_in_layer(const ExpertMask& mask, std::int64_t layer, std::int64_t experts) {
  const auto first = mask.begin() + static_cast<std::ptrdiff_t>(layer * experts);
  return std::count(first, first + static_cast<std::ptrdiff_t>(experts), std::uint8_t{1});
}

}  // namespace ckptlab
