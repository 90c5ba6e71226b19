// The one place that maps a policy name in a scenario to its implementation.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <vector>

#include "policies/async_two_level.hpp"
#include "policies/in_memory.hpp"
#include "policies/moc_pec.hpp"
#include "policies/moetion.hpp"
#include "policies/sync_full.hpp"
#include "policy/policy.hpp"

namespace ckptlab {

namespace {
using Factory = std::function<std::unique_ptr<Policy>(const ConfigNode&, const PolicyContext&)>;

template <class P>
Factory factory() {
  return [](const ConfigNode& n, const PolicyContext& c) { return std::make_unique<P>(n, c); };
}

const std::vector<std::pair<std::string, Factory>>& registry() {
  static const std::vector<std::pair<std::string, Factory>> policies = {
      {"sync_full", factory<SyncFullPolicy>()},
      {"async_two_level", factory<AsyncTwoLevelPolicy>()},
      {"in_memory", factory<InMemoryPolicy>()},
      {"moetion", factory<MoetionPolicy>()},
      {"moc_pec", factory<MocPecPolicy>()},
  };
  return policies;
}
}  // namespace

std::unique_ptr<Policy> make_policy(const ConfigNode& node, const PolicyContext& context) {
  const ConfigNode name_node = node["name"];
  const std::string name = name_node.as_string();
  std::vector<std::string> names;
  for (const auto& [n, make] : registry()) {
    if (n == name) return make(node, context);
    names.push_back(n);
  }
  const std::string hint = closest_match(name, names);
  name_node.fail(fmt::format("unknown policy \"{}\"{}; known: {}", name,
                             hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                             fmt::join(names, ", ")));
}

}  // namespace ckptlab
