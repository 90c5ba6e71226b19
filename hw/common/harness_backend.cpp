#include "hw/common/harness_backend.hpp"

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

}  // namespace ckptlab::hw
