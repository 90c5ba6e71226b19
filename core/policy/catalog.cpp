#include "policy/catalog.hpp"

#include "util/input_error.hpp"

namespace ckptlab {

void Catalog::begin(std::int64_t iteration, Tier tier) {
  in_flight_[static_cast<size_t>(tier)] = iteration;
}

void Catalog::complete(std::int64_t iteration, Tier tier) {
  auto& pending = in_flight_[static_cast<size_t>(tier)];
  CKPTLAB_CHECK(pending && *pending == iteration, "completing a version that is not in flight");
  pending.reset();
  auto& done = complete_[static_cast<size_t>(tier)];
  CKPTLAB_CHECK(!done || *done <= iteration, "versions must complete in order");
  done = iteration;
}

void Catalog::abort_in_flight() {
  for (auto& v : in_flight_) v.reset();
}

void Catalog::seed(std::int64_t iteration, Tier tier) { complete_[static_cast<size_t>(tier)] = iteration; }

std::optional<std::int64_t> Catalog::newest_complete(Tier tier) const {
  return complete_[static_cast<size_t>(tier)];
}

std::optional<std::int64_t> Catalog::in_flight(Tier tier) const {
  return in_flight_[static_cast<size_t>(tier)];
}

}  // namespace ckptlab
