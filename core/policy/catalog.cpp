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
  CKPTLAB_CHECK(done.empty() || done.back() <= iteration, "versions must complete in order");
  if (!done.empty() && done.back() == iteration) return;
  done.push_back(iteration);
  if (done.size() > kKeptVersions) done.erase(done.begin());
}

void Catalog::discard_after(std::int64_t iteration) {
  for (auto& done : complete_) {
    while (!done.empty() && done.back() > iteration) done.pop_back();
  }
}

void Catalog::abort_in_flight() {
  for (auto& v : in_flight_) v.reset();
}

void Catalog::seed(std::int64_t iteration, Tier tier) {
  auto& done = complete_[static_cast<size_t>(tier)];
  done.clear();
  done.push_back(iteration);
}

std::optional<std::int64_t> Catalog::newest_complete(Tier tier) const {
  const auto& done = complete_[static_cast<size_t>(tier)];
  if (done.empty()) return std::nullopt;
  return done.back();
}

std::optional<std::int64_t> Catalog::in_flight(Tier tier) const {
  return in_flight_[static_cast<size_t>(tier)];
}

}  // namespace ckptlab
