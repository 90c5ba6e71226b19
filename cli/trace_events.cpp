#include "trace_events.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <vector>

namespace ckptlab {

namespace {

using json = nlohmann::ordered_json;

struct Row {
  double time_s = 0;
  std::string policy, event, iteration, detail;
};

// One RFC 4180 record starting at `pos` (quoted fields may hold commas and doubled quotes).
std::vector<std::string> csv_record(const std::string& text, std::size_t& pos) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"' && pos + 1 < text.size() && text[pos + 1] == '"') {
        fields.back() += '"';
        ++pos;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++pos;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::vector<Row> parse_timeline(const std::string& csv) {
  std::size_t pos = 0;
  const auto header = csv_record(csv, pos);
  if (header != std::vector<std::string>{"time_s", "policy", "event", "iteration", "detail"}) {
    throw std::invalid_argument("not a ckptlab timeline (header time_s,policy,event,...)");
  }
  std::vector<Row> rows;
  while (pos < csv.size()) {
    const auto f = csv_record(csv, pos);
    if (f.size() == 1 && f[0].empty()) continue;
    if (f.size() != 5) throw std::invalid_argument("timeline row without 5 fields");
    // A timeline_truncated row has no time: it marks where the recording of checkpoints stopped.
    rows.push_back({f[0].empty() ? -1.0 : std::stod(f[0]), f[1], f[2], f[3], f[4]});
  }
  return rows;
}

constexpr int kTraining = 1, kCheckpoints = 2, kFailures = 3;
// Stalls shorter than this are invisible at any useful zoom; leaving them out keeps a policy
// that snapshots every iteration from doubling the trace.
constexpr double kMinStallS = 1e-3;

double us(double seconds) { return seconds * 1e6; }

// Emits one policy's tracks from its timeline rows (in time order).
class PolicyTrack {
 public:
  PolicyTrack(json& events, int pid, double mean_stall_s)
      : events_(events), pid_(pid), mean_stall_s_(mean_stall_s) {}

  void slice(int tid, const std::string& name, double from_s, double to_s, json args) {
    json e = {{"name", name}, {"ph", "X"},        {"pid", pid_},
              {"tid", tid},   {"ts", us(from_s)}, {"dur", us(std::max(0.0, to_s - from_s))}};
    if (!args.empty()) e["args"] = std::move(args);
    events_.push_back(std::move(e));
  }
  void instant(int tid, const std::string& name, double at_s, json args) {
    events_.push_back({{"name", name},
                       {"ph", "i"},
                       {"s", "t"},
                       {"pid", pid_},
                       {"tid", tid},
                       {"ts", us(at_s)},
                       {"args", std::move(args)}});
  }

  void on(const Row& r) {
    if (r.event == "checkpoint_start") {
      open_ = r;
      has_open_ = true;
    } else if ((r.event == "checkpoint_done" || r.event == "checkpoint_aborted") && has_open_) {
      close_checkpoint(r.time_s, r.event == "checkpoint_done" ? "checkpoint" : "checkpoint aborted",
                       r.detail);
    } else if (r.event == "failure") {
      if (has_open_) close_checkpoint(r.time_s, "checkpoint interrupted", "by a failure");
      const std::string kind = r.detail.substr(0, r.detail.find(' '));
      instant(kFailures, "failure: " + kind, r.time_s,
              {{"iteration", r.iteration}, {"detail", r.detail}});
      if (!recovering_) {
        slice(kTraining, "training", training_since_, r.time_s,
              {{"from_iteration", training_from_}, {"to_iteration", r.iteration}});
        recovering_ = true;
        recovery_since_ = r.time_s;
        failures_in_recovery_ = 0;
      }
      ++failures_in_recovery_;
    } else if (r.event == "recovery_done" && recovering_) {
      slice(kFailures, "recovery", recovery_since_, r.time_s,
            {{"failures", failures_in_recovery_}, {"detail", r.detail}});
      recovering_ = false;
      training_since_ = r.time_s;
      training_from_ = r.iteration;
    }
    if (r.event.rfind("checkpoint_", 0) == 0) last_checkpoint_s_ = r.time_s;
  }

  // The timeline stopped recording checkpoints (it keeps every failure and recovery): marked at
  // the last checkpoint event it holds.
  void truncated(const Row& r) {
    instant(kCheckpoints, "timeline truncated: later checkpoints not recorded", last_checkpoint_s_,
            {{"detail", r.detail}});
  }

  void finish(double horizon_s) {
    if (recovering_) {
      slice(kFailures, "recovery (unfinished at the horizon)", recovery_since_, horizon_s,
            {{"failures", failures_in_recovery_}});
    } else {
      slice(kTraining, "training", training_since_, horizon_s,
            {{"from_iteration", training_from_}});
    }
  }

 private:
  void close_checkpoint(double end_s, const std::string& name, const std::string& detail) {
    has_open_ = false;
    const double stall = std::min(mean_stall_s_, end_s - open_.time_s);
    slice(kCheckpoints, name, open_.time_s, end_s,
          {{"iteration", open_.iteration}, {"start", open_.detail}, {"end", detail}});
    if (stall >= kMinStallS) {
      slice(kTraining, "checkpoint stall", open_.time_s, open_.time_s + stall,
            {{"stall_s", stall}});
    }
  }

  json& events_;
  int pid_;
  double mean_stall_s_;
  Row open_;
  bool has_open_ = false;
  double last_checkpoint_s_ = 0;
  bool recovering_ = false;
  double training_since_ = 0, recovery_since_ = 0;
  std::string training_from_ = "0";
  int failures_in_recovery_ = 0;
};

}  // namespace

std::string make_trace_json(const json& summary, const std::string& timeline_csv) {
  const std::vector<Row> rows = parse_timeline(timeline_csv);
  std::map<std::string, std::vector<Row>> by_policy;
  for (const Row& r : rows) by_policy[r.policy].push_back(r);
  const double horizon_s = summary.value("horizon_s", 0.0);

  json events = json::array();
  int pid = 0;
  for (const json& p : summary.at("policies")) {
    ++pid;
    const std::string label = p.at("policy");
    events.push_back(
        {{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", label}}}});
    events.push_back({{"name", "process_sort_index"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"args", {{"sort_index", pid}}}});
    for (const auto& [tid, name] :
         std::vector<std::pair<int, std::string>>{{kTraining, "training"},
                                                  {kCheckpoints, "checkpoints"},
                                                  {kFailures, "failures and recovery"}}) {
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", pid},
                        {"tid", tid},
                        {"args", {{"name", name}}}});
      events.push_back({{"name", "thread_sort_index"},
                        {"ph", "M"},
                        {"pid", pid},
                        {"tid", tid},
                        {"args", {{"sort_index", tid}}}});
    }
    std::vector<Row> timed, untimed;
    for (const Row& r : by_policy[label]) (r.time_s < 0 ? untimed : timed).push_back(r);
    std::stable_sort(timed.begin(), timed.end(),
                     [](const Row& a, const Row& b) { return a.time_s < b.time_s; });
    PolicyTrack track(events, pid, p.value("mean_checkpoint_stall_s", 0.0));
    for (const Row& r : timed) track.on(r);
    for (const Row& r : untimed) track.truncated(r);
    track.finish(horizon_s);
  }
  json trace = {{"traceEvents", std::move(events)},
                {"displayTimeUnit", "ms"},
                {"otherData",
                 {{"scenario", summary.value("scenario", "")},
                  {"scenario_hash", summary.value("scenario_hash", "")},
                  {"horizon_s", horizon_s},
                  {"time", "simulated time since the start of the run (replication 0)"},
                  {"stall",
                   "each checkpoint's stall is the policy's mean stall per checkpoint "
                   "(summary.json mean_checkpoint_stall_s); the timeline does not time each"}}}};
  return trace.dump() + "\n";
}

}  // namespace ckptlab
