// The median of a few timings or figures: the harness's statistic of choice, since on a shared
// machine one descheduled sample would dominate a mean.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ckptlab::hw {

// The middle value, or the mean of the two middle ones for an even count; 0 for none.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

}  // namespace ckptlab::hw
