#include "failure/random_draws.hpp"

#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <cmath>
#include <string>

#include "util/input_error.hpp"

namespace ckptlab {

std::uint64_t stream_seed(std::uint64_t seed, RandomStream stream) {
  // SplitMix64 (Steele, Lea, Flood 2014) of seed + stream * golden gamma: a bijection per stream,
  // so distinct seeds never collide within one stream.
  std::uint64_t z = seed + static_cast<std::uint64_t>(stream) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double draw_exponential(std::mt19937_64& engine, double mean) {
  CKPTLAB_CHECK(mean > 0, "exponential mean " + std::to_string(mean));
  return -mean * std::log1p(-uniform01(engine));
}

double draw_weibull(std::mt19937_64& engine, double shape, double scale) {
  CKPTLAB_CHECK(shape > 0 && scale > 0,
                "weibull shape " + std::to_string(shape) + " scale " + std::to_string(scale));
  return scale * std::pow(-std::log1p(-uniform01(engine)), 1.0 / shape);
}

double draw_lognormal(std::mt19937_64& engine, double median, double sigma) {
  CKPTLAB_CHECK(median > 0 && sigma >= 0,
                "lognormal median " + std::to_string(median) + " sigma " + std::to_string(sigma));
  const double u = (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53;
  // Phi^-1(u) = -sqrt(2) * erfc_inv(2u).
  const double z = -boost::math::constants::root_two<double>() * boost::math::erfc_inv(2 * u);
  return median * std::exp(sigma * z);
}

std::uint64_t draw_below(std::mt19937_64& engine, std::uint64_t n) {
  CKPTLAB_CHECK(n >= 1, "draw_below(0)");
  // 2^64 mod n, computed in 64 bits as (2^64 - n) mod n. Draws at or above it fall into whole
  // copies of [0, n), so their remainder is uniform.
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t x = engine();
    if (x >= threshold) return x % n;
  }
}

}  // namespace ckptlab
