// The executor half of HarnessBackend, forwarded to an executor with the hardware executors'
// interface (HostExecutor, CudaExecutor): what both backends' adapters share.
#pragma once

#include "hw/common/harness_backend.hpp"

namespace ckptlab::hw {

template <class HardwareExecutor>
class ExecutorForwarding : public HarnessBackend {
 public:
  // `executor` may be a member of the derived class not built yet: it is only stored here.
  explicit ExecutorForwarding(HardwareExecutor& executor) : exec_(executor) {}

  bool in_flight() const override { return exec_.in_flight(); }
  bool running() const override { return exec_.running(); }
  bool gpu_reads_in_flight() const override { return exec_.gpu_reads_in_flight(); }
  void wait_gpu_reads() override { exec_.wait_gpu_reads(); }
  PlanReport finish() override { return exec_.finish(); }
  void cancel() override { exec_.cancel(); }
  void set_failure_hook(FailureHook hook) override { exec_.set_failure_hook(std::move(hook)); }
  void set_load_version(std::optional<std::int64_t> v) override { exec_.set_load_version(v); }
  void lose_host_memory(int rank) override { exec_.lose_host_memory(rank); }

 protected:
  HardwareExecutor& exec_;
};

}  // namespace ckptlab::hw
