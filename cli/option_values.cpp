#include "option_values.hpp"

#include <exception>

namespace ckptlab {

std::optional<double> parse_number_or_percent(const std::string& text) {
  const bool percent = !text.empty() && text.back() == '%';
  const std::string number = text.substr(0, text.size() - (percent ? 1 : 0));
  double v = 0;
  size_t used = 0;
  try {
    v = std::stod(number, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used == 0 || used != number.size()) return std::nullopt;
  return percent ? v / 100 : v;
}

}  // namespace ckptlab
