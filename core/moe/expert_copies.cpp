#include "moe/expert_copies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

// Counts are sums of rate * length in doubles; a difference that should be 0 may come out a
// few ulps negative. Anything beyond rounding is a bookkeeping bug.
double non_negative(double v, double scale) {
  CKPTLAB_CHECK(v > -1e-9 * (std::abs(scale) + 1), fmt::format("negative token count {}", v));
  return std::max(0.0, v);
}

}  // namespace

ExpertCopies::ExpertCopies(const RoutingModel& routing) : routing_(&routing) {
  const auto n = static_cast<size_t>(routing.moe_layers() * routing.experts());
  behind_host_.assign(n, 0.0);
  behind_storage_.assign(n, 0.0);
  host_iteration_.assign(n, -1);
  storage_iteration_.assign(n, 0);
  lost_per_layer_.assign(static_cast<size_t>(routing.moe_layers()), 0.0);
}

void ExpertCopies::advance_to(std::int64_t iteration) {
  CKPTLAB_CHECK(iteration >= reference_,
                fmt::format("advance to {} before the reference {}", iteration, reference_));
  if (iteration == reference_) return;
  scratch_.assign(behind_host_.size(), 0.0);
  routing_->accumulate(reference_, iteration, scratch_);
  for (size_t i = 0; i < scratch_.size(); ++i) {
    behind_host_[i] += scratch_[i];
    behind_storage_[i] += scratch_[i];
  }
  reference_ = iteration;
}

void ExpertCopies::saved(Tier tier, const ExpertMask& mask, std::int64_t at) {
  CKPTLAB_CHECK(tier == Tier::kHost || tier == Tier::kStorage, "expert copies: host or storage");
  CKPTLAB_CHECK(mask.size() == behind_host_.size(), "mask size");
  CKPTLAB_CHECK(0 <= at && at <= reference_,
                fmt::format("a copy taken at {} with reference {}", at, reference_));
  const bool host = tier == Tier::kHost;
  auto& behind = host ? behind_host_ : behind_storage_;
  auto& when = host ? host_iteration_ : storage_iteration_;
  const std::vector<double> since = at < reference_ ? routed_since(at) : std::vector<double>{};
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    behind[i] = since.empty() ? 0.0 : since[i];
    when[i] = at;
  }
}

std::vector<double> ExpertCopies::routed_since(std::int64_t from) const {
  std::vector<double> out(behind_host_.size(), 0.0);
  if (from < reference_) routing_->accumulate(from, reference_, out);
  return out;
}

const std::vector<double>& ExpertCopies::behind(Tier tier) const {
  CKPTLAB_CHECK(tier == Tier::kHost || tier == Tier::kStorage, "expert copies: host or storage");
  return tier == Tier::kHost ? behind_host_ : behind_storage_;
}

bool ExpertCopies::host_copy_usable(size_t index, std::int64_t version) const {
  const std::int64_t when = host_iteration_.at(index);
  return when >= 0 && when <= version;
}

ExpertCopies::Restore ExpertCopies::restore(std::int64_t version, const ExpertMask& from_host) {
  CKPTLAB_CHECK(0 <= version && version <= reference_,
                fmt::format("restore version {} with reference {}", version, reference_));
  CKPTLAB_CHECK(from_host.size() == behind_host_.size(), "mask size");
  // What was routed between the version and the reference is not in the live state after the
  // rollback: it is recomputed as lost work, not lost tokens.
  scratch_.assign(behind_host_.size(), 0.0);
  routing_->accumulate(version, reference_, scratch_);
  Restore out;
  out.lost_per_layer.assign(lost_per_layer_.size(), 0.0);
  const auto experts = static_cast<size_t>(routing_->experts());
  for (size_t i = 0; i < behind_host_.size(); ++i) {
    CKPTLAB_CHECK(storage_iteration_[i] <= version, "a storage copy is newer than the version");
    const double storage = non_negative(behind_storage_[i] - scratch_[i], behind_storage_[i]);
    double lost = storage;
    if (from_host[i]) {
      CKPTLAB_CHECK(host_copy_usable(i, static_cast<std::int64_t>(version)),
                    "restoring an expert from a host copy that is missing or newer");
      const double host = non_negative(behind_host_[i] - scratch_[i], behind_host_[i]);
      lost = host;
      // The storage copy is older than the host one: it still lacks what the host copy held.
      behind_storage_[i] = non_negative(storage - host, storage);
      ++out.from_host;
    } else {
      behind_storage_[i] = 0;
    }
    behind_host_[i] = 0;
    host_iteration_[i] = version;
    out.lost_per_layer[i / experts] += lost;
    out.lost += lost;
  }
  for (size_t l = 0; l < lost_per_layer_.size(); ++l) lost_per_layer_[l] += out.lost_per_layer[l];
  reference_ = version;
  return out;
}

double ExpertCopies::lost_fraction(std::int64_t progress) const {
  if (progress <= 0) return 0;
  double sum = 0;
  for (size_t l = 0; l < lost_per_layer_.size(); ++l) {
    const double all = routing_->layer_assignments(static_cast<std::int64_t>(l), 0, progress);
    if (all > 0) sum += lost_per_layer_[l] / all;
  }
  return sum / static_cast<double>(lost_per_layer_.size());
}

}  // namespace ckptlab
