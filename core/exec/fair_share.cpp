#include "exec/fair_share.hpp"

#include <algorithm>

namespace ckptlab {

Seconds fair_share_makespan(std::vector<Bytes> flows, BytesPerSecond per_flow,
                            BytesPerSecond shared) {
  std::erase_if(flows, [](Bytes b) { return b.value <= 0; });
  std::sort(flows.begin(), flows.end());
  // Process flows smallest first: while k flows are active they progress at the same rate,
  // so the smallest remaining one finishes first.
  double now = 0, sent_by_each = 0;
  size_t active = flows.size();
  for (size_t i = 0; i < flows.size(); ++i, --active) {
    const double rate = std::min(per_flow.value, shared.value / static_cast<double>(active));
    const double remaining = static_cast<double>(flows[i].value) - sent_by_each;
    if (remaining > 0) {
      now += remaining / rate;
      sent_by_each = static_cast<double>(flows[i].value);
    }
  }
  return {now};
}

}  // namespace ckptlab
