// The CUDA device query: sane answers on a GPU machine, a clean "absent" everywhere else.
#include <gtest/gtest.h>

#ifdef CKPTLAB_HAVE_CUDA
#include "hw/cuda/device_info.hpp"
#endif

namespace ckptlab::hw {
namespace {

#ifdef CKPTLAB_HAVE_CUDA

TEST(CudaDevice, QueryDescribesTheDeviceOrReportsItAbsent) {
  const std::optional<DeviceInfo> info = query_cuda_device();
  if (!info) GTEST_SKIP() << "no CUDA device present";
  EXPECT_EQ(info->index, 0);
  EXPECT_GE(info->device_count, 1);
  EXPECT_FALSE(info->name.empty());
  EXPECT_GT(info->total_memory.value, std::int64_t{1} << 30);  // every datacenter GPU has > 1 GiB
  EXPECT_GE(info->compute_major, 3);
  EXPECT_GE(info->compute_minor, 0);
  EXPECT_GT(info->multiprocessors, 0);
}

TEST(CudaDevice, AnIndexPastTheLastDeviceIsAbsent) {
  EXPECT_FALSE(query_cuda_device(1 << 20).has_value());
  EXPECT_THROW(query_cuda_device(-1), std::invalid_argument);
}

#else

TEST(CudaDevice, QueryDescribesTheDeviceOrReportsItAbsent) {
  GTEST_SKIP() << "ckptlab_hw was built without CUDA (no working nvcc at configure time)";
}

#endif

}  // namespace
}  // namespace ckptlab::hw
