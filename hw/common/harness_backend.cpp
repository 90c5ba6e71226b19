#include "hw/common/harness_backend.hpp"

#include <stdexcept>

#include "util/input_error.hpp"

namespace ckptlab::hw {

std::int64_t HarnessBackend::iteration() const {
  const std::optional<std::int64_t> first = iteration(0);
  for (int r = 0; r < world(); ++r) {
    CKPTLAB_CHECK(iteration(r).has_value() && iteration(r) == first,
                  "every rank must hold the same iteration");
  }
  return *first;
}

namespace {

[[noreturn]] void whole_states_only(const HarnessBackend& b) {
  throw std::logic_error("the " + b.name() +
                         " backend restores whole states only: it has no lossy recovery");
}

}  // namespace

std::optional<std::int64_t> HarnessBackend::shard_iteration(int, std::size_t) const {
  whole_states_only(*this);
}
std::uint64_t HarnessBackend::shard_checksum(int, std::size_t) const { whole_states_only(*this); }
void HarnessBackend::read_shard(int, std::size_t, std::span<std::byte>) const {
  whole_states_only(*this);
}
void HarnessBackend::mark_restored(int, std::int64_t) { whole_states_only(*this); }

}  // namespace ckptlab::hw
