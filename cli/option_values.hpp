#pragma once
// Values of command-line options that are not plain numbers.

#include <optional>
#include <string>

namespace ckptlab {

// "0.5%" -> 0.005, "0.005" -> 0.005; nullopt when the text (without a trailing %) is not
// entirely a number (std::stod). Ranges are the caller's to check, with its own message.
std::optional<double> parse_number_or_percent(const std::string& text);

}  // namespace ckptlab
