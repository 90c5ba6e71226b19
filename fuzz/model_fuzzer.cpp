// libFuzzer target: the model decoder (core/model/model_spec.hpp), the reader of models/*.yaml,
// and the parameter counts computed from what it accepts. Input: the text of a model file. Any
// input either decodes into a model whose counts are positive (the decoder bounds the shape so
// that they cannot overflow), or throws InputError; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "model/model_spec.hpp"
#include "util/config_node.hpp"
#include "util/input_error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ckptlab::ModelSpec m;
  try {
    m = ckptlab::decode_model(ckptlab::ConfigNode::load_string(text, "fuzz-model.yaml"));
  } catch (const ckptlab::InputError&) {
    return 0;
  }
  // Signed overflow in these sums is caught by UBSan; a non-positive count by this check.
  if (m.total_params() <= 0 || m.active_params() <= 0 || m.active_params() > m.total_params()) {
    std::abort();
  }
  return 0;
}
