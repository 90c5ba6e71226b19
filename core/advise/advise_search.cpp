#include "advise/advise_search.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/input_error.hpp"

namespace ckptlab {

std::vector<std::int64_t> search_interval(
    std::int64_t start, std::int64_t lo, std::int64_t hi,
    const std::function<double(std::int64_t)>& score,
    const std::function<bool(std::int64_t, std::int64_t)>& tied, double ratio) {
  CKPTLAB_CHECK(1 <= lo && lo <= hi, "a non-empty interval range");
  std::vector<std::int64_t> order;
  std::map<std::int64_t, double> seen;
  const auto f = [&](std::int64_t k) {
    auto it = seen.find(k);
    if (it != seen.end()) return it->second;
    order.push_back(k);
    return seen[k] = score(k);
  };
  const auto half = [&](std::int64_t k) { return std::max(lo, k / 2); };
  const auto twice = [&](std::int64_t k) { return k > hi / 2 ? hi : std::max(k * 2, k + 1); };
  std::int64_t mid = std::clamp(start, lo, hi);
  std::int64_t a = half(mid), b = std::min(hi, twice(mid));
  f(mid);
  f(a);
  f(b);
  // Expand until the middle is the best of the three (or the range ends).
  for (int step = 0; step < 64; ++step) {
    if (a < mid && f(a) > f(mid)) {
      b = mid;
      mid = a;
      a = half(a);
      f(a);
    } else if (b > mid && f(b) > f(mid)) {
      a = mid;
      mid = b;
      b = std::min(hi, twice(b));
      f(b);
    } else {
      break;
    }
  }
  // Golden-section steps in log k: probe the larger side of the bracket; none when both ends
  // are tied with the middle (the curve is flat over the whole bracket).
  const bool flat_bracket = (a == mid || tied(a, mid)) && (b == mid || tied(b, mid));
  constexpr double kInner = 0.381966;  // 1 - 1/phi
  for (int step = 0; step < 64 && !flat_bracket; ++step) {
    if (b - a <= 2 || static_cast<double>(b) / static_cast<double>(a) <= ratio) break;
    const double la = std::log(static_cast<double>(a)), lm = std::log(static_cast<double>(mid)),
                 lb = std::log(static_cast<double>(b));
    const bool right = lb - lm >= lm - la;
    std::int64_t x =
        std::llround(std::exp(right ? lm + kInner * (lb - lm) : lm - kInner * (lm - la)));
    x = right ? std::clamp(x, mid + 1, b - 1) : std::clamp(x, a + 1, mid - 1);
    if (x <= a || x >= b || x == mid) break;
    const bool better = f(x) > f(mid);
    const bool flat = tied(x, mid);
    if (better) {
      (right ? a : b) = mid;
      mid = x;
    } else {
      (right ? b : a) = x;
    }
    if (flat) break;
  }
  return order;
}

std::vector<std::size_t> climb_ordinal(std::size_t start, std::size_t count,
                                       const std::function<double(std::size_t)>& score,
                                       double min_gain) {
  CKPTLAB_CHECK(start < count, "the start is one of the values");
  std::vector<std::size_t> order;
  std::map<std::size_t, double> seen;
  const auto f = [&](std::size_t i) {
    auto it = seen.find(i);
    if (it != seen.end()) return it->second;
    order.push_back(i);
    return seen[i] = score(i);
  };
  std::size_t best = start;
  f(best);
  for (int direction : {-1, +1}) {
    std::size_t at = best;
    while ((direction < 0 && at > 0) || (direction > 0 && at + 1 < count)) {
      const std::size_t next = direction < 0 ? at - 1 : at + 1;
      if (!(f(next) > f(at) + min_gain)) break;
      at = next;
    }
    if (at != best) {
      best = at;
      break;  // climbed one way: the other side of the start is already worse
    }
  }
  return order;
}

namespace {

// The interval (iterations) a policy's closed form gives with `s`: Daly for the policies that
// accept `interval: daly`, else the policy's own default rule (the interval keys removed).
std::optional<std::int64_t> closed_form_interval(CandidateEvaluator& ev, std::size_t policy,
                                                 const PolicySpace& space, const Settings& s) {
  if (space.daly) {
    if (auto k = ev.resolved_interval(policy, with_setting(s, "interval", "daly"))) return k;
  }
  if (auto k = ev.resolved_interval(policy, with_setting(s, "interval_iterations", ""))) return k;
  return ev.resolved_interval(policy, s);
}

// `s` at its closed-form interval (unchanged for policies without an interval search).
Settings at_closed_form(CandidateEvaluator& ev, std::size_t policy, const PolicySpace& space,
                        const Settings& s) {
  if (!space.interval) return s;
  const auto k = closed_form_interval(ev, policy, space, s);
  return k ? with_setting(s, "interval_iterations", std::to_string(*k)) : s;
}

}  // namespace

PolicySearch search_policy(CandidateEvaluator& ev, std::size_t policy,
                           const SearchOptions& options) {
  const std::size_t reps = options.replications;
  const Scenario& scenario = ev.scenario();
  PolicySearch out;
  out.policy = policy;
  out.label = scenario.policies.at(policy).label;
  out.kind = ev.kind(policy);
  out.space = policy_space(out.kind, scenario.policies[policy].node.yaml(), scenario.model.experts,
                           scenario.cluster.nodes);
  const auto run = [&](const Settings& s) -> const Evaluation& {
    return ev.evaluate(policy, s, reps);
  };

  Settings chosen;
  for (const TunableParameter& p : out.space.discrete) {
    std::vector<const Evaluation*> tried(p.values.size(), nullptr);
    const auto score = [&](std::size_t i) {
      tried[i] =
          &run(at_closed_form(ev, policy, out.space, with_setting(chosen, p.key, p.text(i))));
      return search_score(*tried[i]);
    };
    if (p.ordinal) {
      climb_ordinal(p.start, p.values.size(), score, options.tolerance);
    } else {
      std::vector<std::string> seen;
      for (std::size_t i = 0; i < p.values.size(); ++i) {
        if (p.skip_same_description) {
          const auto d = ev.description(
              policy,
              at_closed_form(ev, policy, out.space, with_setting(chosen, p.key, p.text(i))));
          if (d && std::find(seen.begin(), seen.end(), *d) != seen.end()) continue;
          if (d) seen.push_back(*d);
        }
        score(i);
      }
    }
    std::vector<const Evaluation*> candidates;
    std::vector<std::size_t> value_of;
    std::optional<std::size_t> prior;
    for (std::size_t i = 0; i < tried.size(); ++i) {
      if (!tried[i]) continue;
      if (i == p.start) prior = candidates.size();
      candidates.push_back(tried[i]);
      value_of.push_back(i);
    }
    const auto best = pick(candidates, prior);
    chosen = with_setting(chosen, p.key, p.text(best ? value_of[*best] : p.start));
  }

  // The candidates of the last step and their settings as this policy wrote them (a cached
  // evaluation keeps the settings of whichever entry asked first).
  std::vector<const Evaluation*> finals;
  std::vector<Settings> final_settings;
  std::optional<std::size_t> prior;
  if (out.space.interval) {
    out.closed_form = closed_form_interval(ev, policy, out.space, chosen);
    out.closed_form_rule = out.space.daly ? "Daly (interval: daly)" : "the policy's default rule";
    const std::optional<std::int64_t> as_written = ev.resolved_interval(policy, chosen);
    const std::int64_t start = out.closed_form.value_or(as_written.value_or(1));
    const auto k_max = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(scenario.horizon.value / scenario.iteration_time.value));
    std::map<std::int64_t, const Evaluation*> by_k;
    const auto at = [&](std::int64_t k) -> const Evaluation& {
      const Evaluation& e = run(with_setting(chosen, "interval_iterations", std::to_string(k)));
      by_k[k] = &e;
      return e;
    };
    search_interval(
        start, 1, std::max(k_max, start), [&](std::int64_t k) { return search_score(at(k)); },
        [&](std::int64_t x, std::int64_t y) {
          return tied(*by_k[x], *by_k[y], options.tolerance);
        });
    if (as_written) at(*as_written);  // the scenario's own interval, for comparison
    for (const auto& [k, e] : by_k) {
      if (k == start) prior = finals.size();
      finals.push_back(e);
      final_settings.push_back(with_setting(chosen, "interval_iterations", std::to_string(k)));
    }
  } else {
    finals.push_back(&run(chosen));
    final_settings.push_back(chosen);
    prior = 0;
  }
  if (const auto best = pick(finals, prior)) {
    out.choice = finals[*best];
    out.chosen = final_settings[*best];
  } else {
    out.chosen = chosen;
  }
  out.evaluations = ev.evaluations_of(policy).size();
  return out;
}

std::string binding_constraint(const std::vector<const Evaluation*>& all,
                               const Evaluation* choice) {
  const Evaluation* best = nullptr;
  for (const Evaluation* e : all) {
    if (!e->valid() || e->runs.empty()) continue;
    if (!best || e->ettr().value > best->ettr().value) best = e;
  }
  if (!best || best->feasible()) return "";
  if (!choice || significantly_better(*best, *choice)) return best->violated;
  return "";
}

std::vector<const Evaluation*> finalists(const std::vector<const Evaluation*>& all,
                                         const Evaluation* choice, std::size_t extra) {
  std::vector<const Evaluation*> others;
  for (const Evaluation* e : all) {
    if (e != choice && e->feasible() && !e->runs.empty()) others.push_back(e);
  }
  std::stable_sort(others.begin(), others.end(), [](const Evaluation* x, const Evaluation* y) {
    return x->ettr().value > y->ettr().value;
  });
  std::vector<const Evaluation*> out;
  if (choice) out.push_back(choice);
  for (std::size_t i = 0; i < others.size() && i < extra; ++i) out.push_back(others[i]);
  return out;
}

}  // namespace ckptlab
