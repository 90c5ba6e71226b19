// The CUDA backend: the GPU-resident state equals the host reference bit for bit, the executor's
// round trips through pinned memory and files are bit-exact (also after a mid-snapshot failure and
// a corrupted file), one-rank NCCL replication works, and the device calibration writes a profile
// decode_hardware accepts. Every test skips on a machine without a GPU.
#include <gtest/gtest.h>

#include "hw_test_util.hpp"

#ifdef CKPTLAB_HAVE_CUDA
#include <fstream>

#include "cluster/hardware_profile.hpp"
#include "hw/calibrate/cuda_calibrate.hpp"
#include "hw/cuda/cuda_backend.hpp"
#include "hw/cuda/cuda_executor.hpp"
#include "hw/cuda/cuda_trainer.hpp"
#include "hw/cuda/device_info.hpp"
#include "hw/cuda/nccl_comm.hpp"
#include "hw/persist/checkpoint_store.hpp"
#include "hw/validate/cuda_validation.hpp"
#include "scenario/scenario.hpp"
#include "util/config_node.hpp"
#endif

namespace ckptlab::hw {
namespace {

#ifdef CKPTLAB_HAVE_CUDA

#define SKIP_WITHOUT_GPU()                                               \
  do {                                                                   \
    if (!query_cuda_device(0)) GTEST_SKIP() << "no CUDA device present"; \
  } while (0)

TEST(CudaBackend, DeviceStateMatchesTheHostReferenceBitForBit) {
  SKIP_WITHOUT_GPU();
  const HarnessLayout layout = make_uniform_layout(2, 8, 4 << 20);
  CudaTrainer gpu(layout, 9, 0);
  const ReferenceChecksums ref(layout, 9, 4, 6);
  for (std::int64_t n = 0; n <= 6; ++n) {
    for (int r = 0; r < 2; ++r)
      EXPECT_EQ(gpu.checksum(r), ref.at(n, r)) << "rank " << r << " iteration " << n;
    if (n < 6) gpu.advance();
  }
}

TEST(CudaBackend, SnapshotPersistLoadRoundTripAndFailuresAreBitExact) {
  SKIP_WITHOUT_GPU();
  testing::TestDir dir;
  const HarnessLayout layout = make_uniform_layout(1, 4, 8 << 20);
  CudaTrainer gpu(layout, 4, 0);
  const ReferenceChecksums ref(layout, 4, 4, 8);
  CudaExecutor exec(gpu, {dir.path() / "storage", {}, 2, true});
  TrainerState shape(layout, 4);  // only to size the test plans
  gpu.advance();
  gpu.advance();
  exec.execute(testing::checkpoint_plan(shape));  // version 2
  EXPECT_EQ(exec.newest_complete(Tier::kStorage), 2);
  EXPECT_GT(exec.last_copy_device_seconds(0), 0);
  while (gpu.iteration() < 5) gpu.advance();
  // A failure in the middle of the snapshot of version 5: version 2 stays the newest.
  exec.set_failure_hook([](const HookPoint& p) {
    if (p.kind == OpKind::kSnapshot && p.shard == p.shards / 2) throw InjectedFailure("injected");
  });
  exec.start(testing::checkpoint_plan(shape));
  EXPECT_FALSE(exec.finish().ok);
  exec.set_failure_hook({});
  EXPECT_EQ(exec.newest_complete(Tier::kStorage), 2);
  gpu.destroy(0);
  exec.start(testing::load_plan(shape, Tier::kStorage));
  const PlanReport r = exec.finish();
  ASSERT_TRUE(r.ok) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.loaded_version, 2);
  EXPECT_EQ(gpu.checksum(0), ref.at(2, 0));
  // A corrupted newest version: the previous one is used.
  while (gpu.iteration() < 7) gpu.advance();
  exec.execute(testing::checkpoint_plan(shape));
  const auto path =
      CheckpointStore(dir.path() / "storage").version_dir(7) / "rank0000" / "dense.optimizer.ckpt";
  ASSERT_TRUE(std::filesystem::exists(path));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-64, std::ios::end);
    f.put('\x5a');
  }
  gpu.destroy(0);
  exec.start(testing::load_plan(shape, Tier::kStorage));
  const PlanReport back = exec.finish();
  ASSERT_TRUE(back.ok);
  EXPECT_EQ(back.loaded_version, 2);
  EXPECT_EQ(gpu.checksum(0), ref.at(2, 0));
}

TEST(CudaBackend, OneRankNcclReplicationSendsToItself) {
  SKIP_WITHOUT_GPU();
  if (!NcclComm::built_with_nccl()) GTEST_SKIP() << "built without NCCL";
  testing::TestDir dir;
  const HarnessLayout layout = make_uniform_layout(1, 2, 1 << 20);
  CudaTrainer gpu(layout, 2, 0);
  auto comm = NcclComm::init_local({0});
  CudaExecutor exec(gpu, {dir.path() / "storage", {}, 2, true}, comm.get());
  TrainerState shape(layout, 2);
  gpu.advance();
  exec.execute(testing::replicate_plan(shape));
  EXPECT_EQ(exec.newest_complete(Tier::kPeerHost), 1);
}

TEST(CudaBackend, ComputePhaseIsSizedToItsTarget) {
  SKIP_WITHOUT_GPU();
  const HarnessLayout layout = make_uniform_layout(1, 1, 1 << 20);
  CudaTrainer gpu(layout, 1, 0);
  CudaComputePhase phase(Seconds{0.02}, 0, gpu.compute_stream(), 2048);
  EXPECT_GE(phase.gemms(), 1);
  EXPECT_GT(phase.run().value, 0);  // no timing assert: docs/hw.md reports the figures
}

TEST(CudaBackend, CalibrationWritesAProfileThatDecodeHardwareAccepts) {
  SKIP_WITHOUT_GPU();
  testing::TestDir dir;
  CalibrationOptions o;
  o.sizes = {1 << 20, 8 << 20};
  o.ranks = 1;
  o.iterations = 2;
  o.dir = dir.path();
  o.compute = Seconds{0.01};
  o.slowdown_repeats = 3;
  const Calibration c = calibrate_cuda(o);
  for (const PathTable& t : c.tables) {
    for (const BenchRow& row : t.rows) EXPECT_EQ(row.wrong, 0) << t.name;
  }
  const HardwareProfile h = decode_hardware(
      ConfigNode::load_string(profile_yaml(c, measured_profile_name("cuda", c.device)), "cuda"));
  EXPECT_NEAR(h.pcie_d2h.value, c.table("cuda_d2h_pinned").largest().algbw,
              0.001 * h.pcie_d2h.value);
}

// Runs without a GPU: what the CUDA backend refuses is decided from the plan alone.
TEST(CudaBackend, CannotRunNamesTheOpsTheCudaExecutorLacks) {
  const HarnessLayout layout = make_uniform_layout(2, 2, 1 << 16);
  TrainerState shape(layout, 1);
  EXPECT_FALSE(cuda_cannot_run({testing::checkpoint_plan(shape), {}}).has_value());
  EXPECT_FALSE(cuda_cannot_run({testing::load_plan(shape, Tier::kStorage), {}}).has_value());
  const auto replicate = cuda_cannot_run({testing::replicate_plan(shape), {}});
  ASSERT_TRUE(replicate.has_value());
  EXPECT_NE(replicate->find("one GPU per harness rank"), std::string::npos) << *replicate;
  Plan fetch;
  fetch.add(testing::make_op(OpKind::kTransfer, Tier::kPeerHost, Tier::kHost,
                             testing::whole_state(shape), true));
  EXPECT_NE(cuda_cannot_run({fetch, {}}).value_or("").find("transfer"), std::string::npos);
  HarnessPlan selected{testing::checkpoint_plan(shape), {}};
  selected.shards.resize(selected.plan.ops.size());
  selected.shards[0] = OpShards{{{0}, {0}}, {}, true};
  EXPECT_NE(cuda_cannot_run(selected).value_or("").find("selection of shards"), std::string::npos);
}

TEST(CudaBackend, ValidateRunsTheStoragePoliciesBitExactAndSkipsThoseThatReplicate) {
  SKIP_WITHOUT_GPU();
  testing::TestDir dir;
  const Scenario s =
      load_scenario(std::string(CKPTLAB_SOURCE_DIR) + "/tests/hw/data/tiny_validate.yaml", {});
  ValidationOptions o;
  o.iterations = 12;
  o.failures = 2;
  o.harness = {4, Bytes{8 << 20}, 8, 4};
  o.compute = Seconds{0.005};
  o.work_dir = dir.path();
  HardwareProfile profile = s.hardware;  // any profile: this test checks the run, not the error
  const Validation v = validate_on_harness(
      s, [profile] { return profile; }, o, cuda_target(o));
  EXPECT_EQ(v.backend, "cuda");
  ASSERT_EQ(v.policies.size(), 4u);
  EXPECT_EQ(v.bit_mismatches(), 0);
  for (const PolicyValidation& p : v.policies) {
    const bool replicates = p.label == "in_memory" || p.label == "moetion";
    EXPECT_EQ(p.skipped.has_value(), replicates) << p.label;
    if (replicates) continue;
    ASSERT_EQ(p.runs.size(), 1u);
    EXPECT_TRUE(p.runs[0].measured.final_bit_exact) << p.label;
    EXPECT_EQ(p.runs[0].measured.recoveries.size(), 2u) << p.label;
    for (const RecoveryRecord& r : p.runs[0].measured.recoveries)
      EXPECT_TRUE(r.bit_exact) << p.label;
  }
}

#else

TEST(CudaBackend, DeviceStateMatchesTheHostReferenceBitForBit) {
  GTEST_SKIP() << "ckptlab_hw was built without CUDA (no working nvcc at configure time)";
}

#endif

}  // namespace
}  // namespace ckptlab::hw
