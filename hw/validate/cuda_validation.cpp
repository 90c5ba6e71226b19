#include "hw/validate/cuda_validation.hpp"

#ifdef CKPTLAB_HAVE_CUDA

#include "hw/cuda/cuda_backend.hpp"

namespace ckptlab::hw {

HarnessTarget cuda_target(const ValidationOptions& o, int device) {
  HarnessTarget t;
  t.name = "cuda";
  t.compute = o.compute;
  const std::uint64_t seed = o.seed;
  const int tokens = o.harness.router_tokens_per_expert;
  const Seconds compute = o.compute;
  t.make = [seed, tokens, device, compute](const HarnessLayout& layout,
                                           const std::filesystem::path& dir) {
    CudaExecutorOptions options;
    options.storage_dir = dir / "storage";
    options.local_disk_dir = dir / "local_disk";
    return std::make_unique<CudaBackend>(layout, seed, tokens, device, options, compute);
  };
  t.cannot_run = cuda_cannot_run;
  return t;
}

}  // namespace ckptlab::hw

#endif  // CKPTLAB_HAVE_CUDA
