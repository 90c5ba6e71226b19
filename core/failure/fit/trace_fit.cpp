#include "failure/fit/trace_fit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "util/input_error.hpp"

namespace ckptlab {

namespace {

constexpr double kNodeDay = 86400.0;

void check_records(const std::vector<TraceRecord>& records, double period_s) {
  CKPTLAB_CHECK(period_s > 0, fmt::format("observation period {} s", period_s));
  for (size_t i = 0; i < records.size(); ++i) {
    CKPTLAB_CHECK(records[i].time_s >= 0 && records[i].time_s <= period_s,
                  fmt::format("record at {} s outside [0, {}]", records[i].time_s, period_s));
    CKPTLAB_CHECK(i == 0 || records[i - 1].time_s <= records[i].time_s, "records out of order");
  }
}

// Incidents: runs of events whose consecutive gaps are all <= window. Each is [first, last].
std::vector<std::pair<size_t, size_t>> incidents_of(const std::vector<TraceRecord>& records,
                                                    double window_s) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!out.empty() && records[i].time_s - records[i - 1].time_s <= window_s)
      out.back().second = i;
    else
      out.emplace_back(i, i);
  }
  return out;
}

}  // namespace

double trace_resolution_s(const std::vector<TraceRecord>& records) {
  double best = 0;
  for (size_t i = 1; i < records.size(); ++i) {
    const double gap = records[i].time_s - records[i - 1].time_s;
    if (gap > 0 && (best == 0 || gap < best)) best = gap;
  }
  return best > 0 ? best : 1.0;
}

LifetimeSample cluster_gap_sample(const std::vector<TraceRecord>& records, double period_s,
                                  double resolution_s) {
  check_records(records, period_s);
  LifetimeSample s;
  s.resolution_s = resolution_s;
  for (size_t i = 1; i < records.size(); ++i) s.observe(records[i].time_s - records[i - 1].time_s);
  if (!records.empty()) s.censor(period_s - records.back().time_s);
  return s;
}

LifetimeSample node_lifetime_sample(const std::vector<TraceRecord>& records, std::int64_t nodes,
                                    double period_s, double resolution_s) {
  check_records(records, period_s);
  std::map<std::int64_t, double> last;  // node -> time of its latest failure (ordered: stable)
  LifetimeSample s;
  s.resolution_s = resolution_s;
  for (const TraceRecord& r : records) {
    CKPTLAB_CHECK(nodes == 0 || r.node < nodes,
                  fmt::format("node {} (line {}) of a {}-node cluster", r.node, r.line, nodes));
    const auto [it, first] = last.emplace(r.node, 0.0);
    s.observe(r.time_s - it->second);
    it->second = r.time_s;
    (void)first;
  }
  for (const auto& [node, t] : last) s.censor(period_s - t);
  const std::int64_t silent = nodes > 0 ? nodes - static_cast<std::int64_t>(last.size()) : 0;
  for (std::int64_t i = 0; i < silent; ++i) s.censor(period_s);
  return s;
}

double chance_of_shared_rack(const std::map<std::int64_t, std::int64_t>& rack_nodes,
                             std::size_t m) {
  if (m < 2) return 0;
  if (m > rack_nodes.size()) return 1;
  double n = 0;
  for (const auto& [rack, size] : rack_nodes) n += static_cast<double>(size);
  if (static_cast<double>(m) > n) return 1;
  // e[j] = j! * (elementary symmetric polynomial of degree j in the rack shares p_r): the
  // probability that j draws with replacement land in j distinct racks. It stays in [0, 1],
  // so large incidents cannot overflow, unlike counting subsets.
  std::vector<double> e(m + 1, 0.0);
  e[0] = 1;
  for (const auto& [rack, size] : rack_nodes) {
    const double p = static_cast<double>(size) / n;
    for (size_t j = m; j >= 1; --j) e[j] += static_cast<double>(j) * p * e[j - 1];
  }
  // Without replacement: divide by P(j draws with replacement hit j distinct nodes).
  double distinct_nodes = 1;
  for (size_t i = 1; i < m; ++i) distinct_nodes *= 1 - static_cast<double>(i) / n;
  return std::clamp(1 - e[m] / distinct_nodes, 0.0, 1.0);
}

TraceFit fit_trace(const std::vector<TraceRecord>& records, const TraceFitOptions& options,
                   const TraceRacks* racks) {
  CKPTLAB_CHECK(!records.empty(), "fit_trace of no records");
  check_records(records, options.period_s);
  CKPTLAB_CHECK(!racks || racks->rack.size() == records.size(), "racks sized unlike records");
  TraceFit fit;
  fit.events = records.size();
  fit.period_s = options.period_s;
  fit.burst_window_s = options.burst_window_s;
  fit.resolution_s = options.resolution_s > 0 ? options.resolution_s : trace_resolution_s(records);
  std::set<std::int64_t> seen;
  std::map<std::string, std::size_t> per_kind;
  for (const TraceRecord& r : records) {
    seen.insert(r.node);
    ++per_kind[r.kind];
  }
  fit.failing_nodes = seen.size();
  fit.nodes_given = options.nodes > 0;
  fit.nodes = fit.nodes_given ? options.nodes : static_cast<std::int64_t>(seen.size());
  const double node_days = static_cast<double>(fit.nodes) * options.period_s / kNodeDay;
  for (const auto& [kind, count] : per_kind)
    fit.kinds.push_back({kind, count, 1000.0 * static_cast<double>(count) / node_days});
  std::stable_sort(fit.kinds.begin(), fit.kinds.end(),
                   [](const KindRate& a, const KindRate& b) { return a.events > b.events; });
  fit.per_1000_node_days = 1000.0 * static_cast<double>(records.size()) / node_days;

  const LifetimeSample gaps = cluster_gap_sample(records, options.period_s, fit.resolution_s);
  const LifetimeSample lives =
      node_lifetime_sample(records, options.nodes, options.period_s, fit.resolution_s);
  for (size_t m = 0; m < kLifetimeModels.size(); ++m) {
    fit.cluster[m] = fit_lifetime(kLifetimeModels[m], gaps);
    fit.per_node[m] = fit_lifetime(kLifetimeModels[m], lives);
  }

  for (size_t i = 0; i < records.size(); ++i) {
    const bool near_prev =
        i > 0 && records[i].time_s - records[i - 1].time_s <= options.burst_window_s;
    const bool near_next = i + 1 < records.size() &&
                           records[i + 1].time_s - records[i].time_s <= options.burst_window_s;
    fit.bursts.events_in_bursts += near_prev || near_next;
  }
  fit.bursts.share =
      static_cast<double>(fit.bursts.events_in_bursts) / static_cast<double>(records.size());
  RackCorrelation rc;
  if (racks) rc.racks = racks->rack_nodes.size();
  for (const auto& [first, last] : incidents_of(records, options.burst_window_s)) {
    ++fit.bursts.incidents;
    std::map<std::int64_t, std::int64_t> node_rack;  // distinct nodes -> rack
    for (size_t i = first; i <= last; ++i)
      node_rack.emplace(records[i].node, racks ? racks->rack[i] : 0);
    fit.bursts.largest_incident_nodes =
        std::max(fit.bursts.largest_incident_nodes, node_rack.size());
    if (node_rack.size() < 2) continue;
    ++fit.bursts.multi_node_incidents;
    if (!racks) continue;
    ++rc.multi_node_incidents;
    std::set<std::int64_t> distinct;
    for (const auto& [node, rack] : node_rack) distinct.insert(rack);
    rc.sharing_rack += distinct.size() < node_rack.size();
    rc.expected_sharing_rack += chance_of_shared_rack(racks->rack_nodes, node_rack.size());
  }
  if (racks) fit.racks = rc;
  return fit;
}

}  // namespace ckptlab
