#include "hw/cuda/cuda_executor_impl.hpp"

namespace ckptlab::hw {

CudaExecutor::CudaExecutor(CudaTrainer& trainer, CudaExecutorOptions options, NcclComm* comm)
    : impl_(std::make_unique<Impl>(trainer, std::move(options), comm)) {
  Impl& m = *impl_;
  if (m.options.storage_dir.empty())
    throw std::invalid_argument("CudaExecutor needs a storage_dir");
  if (m.options.local_disk_dir.empty())
    m.options.local_disk_dir = m.options.storage_dir.string() + "-local";
  if (comm && comm->size() != trainer.world()) {
    throw std::invalid_argument(
        "CudaExecutor: the communicator must have one rank per trainer rank");
  }
  m.storage = std::make_unique<CheckpointStore>(m.options.storage_dir);
  m.local_disk = std::make_unique<CheckpointStore>(m.options.local_disk_dir);
  CKPTLAB_CUDA(cudaSetDevice(trainer.device()));
  const auto w = static_cast<size_t>(trainer.world());
  m.own.resize(w);
  m.replica.resize(w);
  m.streams.resize(w);
  m.ev_start.resize(w);
  m.ev_stop.resize(w);
  m.device_seconds.assign(w, 0);
  m.staging.assign(w, nullptr);
  for (size_t r = 0; r < w; ++r) {
    const std::size_t bytes = trainer.rank_bytes(static_cast<int>(r));
    for (auto* slots : {&m.own[r], &m.replica[r]}) {
      for (PinnedSlot& s : *slots) {
        CKPTLAB_CUDA(cudaHostAlloc(reinterpret_cast<void**>(&s.data), bytes, cudaHostAllocDefault));
        s.bytes = bytes;
      }
    }
    CKPTLAB_CUDA(
        cudaMalloc(reinterpret_cast<void**>(&m.staging[r]), std::max<std::size_t>(bytes, 64)));
    // Copies run on their own non-blocking streams, beside the trainer's compute stream.
    CKPTLAB_CUDA(cudaStreamCreateWithFlags(&m.streams[r], cudaStreamNonBlocking));
    CKPTLAB_CUDA(cudaEventCreate(&m.ev_start[r]));
    CKPTLAB_CUDA(cudaEventCreate(&m.ev_stop[r]));
  }
}

CudaExecutor::~CudaExecutor() {
  if (!impl_) return;
  Impl& m = *impl_;
  if (m.runner) m.runner->wait_all();
  cudaSetDevice(m.trainer.device());
  for (size_t r = 0; r < m.own.size(); ++r) {  // destructors cannot throw: errors ignored here
    for (auto* slots : {&m.own[r], &m.replica[r]}) {
      for (PinnedSlot& s : *slots) cudaFreeHost(s.data);
    }
    cudaFree(m.staging[r]);
    cudaStreamDestroy(m.streams[r]);
    cudaEventDestroy(m.ev_start[r]);
    cudaEventDestroy(m.ev_stop[r]);
  }
}

std::string CudaExecutor::method() const {
  return "measured on the GPU: cudaMemcpyAsync into pinned host slots on per-rank streams "
         "(snapshot, load), NCCL send/recv (replicate), XXH3 shard files with temp + fsync + "
         "rename (persist); steady-clock op times, event-timed copies";
}

void CudaExecutor::start(const Plan& plan) {
  Impl& m = *impl_;
  if (m.runner) throw std::logic_error("CudaExecutor::start: finish() the previous plan first");
  const auto w = static_cast<size_t>(m.world());
  for (const Op& op : plan.ops) {
    if (!op.rank_bytes.empty() && op.rank_bytes.size() != w) {
      throw std::invalid_argument(cuda_detail::str("op '", op.label, "' has ", op.rank_bytes.size(),
                                                   " ranks, the trainer has ", w));
    }
  }
  m.version.reset();
  bool in_step = m.trainer.iteration(0).has_value();
  for (int r = 0; r < m.world(); ++r)
    in_step = in_step && m.trainer.iteration(r) == m.trainer.iteration(0);
  if (in_step) m.version = m.trainer.iteration(0);
  m.snapshot_slot.assign(w, 0);
  for (const Op& op : plan.ops) {
    if (op.kind != OpKind::kSnapshot) continue;
    if (!m.version)
      throw std::logic_error("a snapshot needs every rank alive and at one iteration");
    for (size_t r = 0; r < w; ++r) {
      m.snapshot_slot[r] = pick_slot(m.own[r]);
      m.own[r][static_cast<size_t>(m.snapshot_slot[r])].version.reset();
    }
  }
  m.plan = plan;
  m.notes.clear();
  m.rounds.clear();
  m.rounds.resize(plan.ops.size());
  m.runner = std::make_unique<PlanRunner>(
      m.plan, [&m](std::size_t i, int r) { m.task(i, r); }, [&m](std::size_t i) { m.setup(i); });
  m.runner->start();
  m.runner->wait_blocking();
}

bool CudaExecutor::in_flight() const { return impl_->runner != nullptr; }

bool CudaExecutor::running() const { return impl_->runner && !impl_->runner->finished(); }

bool CudaExecutor::gpu_reads_in_flight() const {
  return impl_->runner && impl_->runner->gpu_reads_in_flight();
}

void CudaExecutor::wait_gpu_reads() {
  if (impl_->runner) impl_->runner->wait_gpu_reads();
}

void CudaExecutor::lose_host_memory(int rank) {
  Impl& m = *impl_;
  CKPTLAB_CHECK(!m.runner, "host memory is lost between plans (finish the plan first)");
  for (PinnedSlot& s : m.own.at(static_cast<size_t>(rank))) s.version.reset();
  for (PinnedSlot& s : m.replica.at(static_cast<size_t>(rank))) s.version.reset();
}

void CudaExecutor::cancel() {
  if (impl_->runner) impl_->runner->cancel();
}

PlanReport CudaExecutor::finish() {
  Impl& m = *impl_;
  CKPTLAB_CHECK(m.runner != nullptr, "finish() needs a started plan");
  m.runner->wait_all();
  PlanReport report;
  report.timing = m.runner->timing();
  report.ok = m.runner->ok();
  report.version = m.version;
  std::optional<std::int64_t> loaded;
  for (std::size_t i = 0; i < m.plan.ops.size(); ++i) {
    const Op& op = m.plan.ops[i];
    const auto& r = m.runner->results()[i];
    for (const auto& e : r.errors)
      report.errors.push_back(cuda_detail::str("op ", i, " (", op.label, "): ", e));
    if (r.skipped)
      report.errors.push_back(cuda_detail::str("op ", i, " (", op.label, "): skipped"));
    const bool writes = op.kind == OpKind::kSnapshot || op.kind == OpKind::kReplicate ||
                        op.kind == OpKind::kPersist;
    if (writes && op.completes_version && r.ok && !r.skipped && m.version) {
      report.tiers_completed.push_back({op.to, r.end});
      if (op.kind == OpKind::kPersist) m.store(op.to).prune(m.all(), m.options.keep_versions);
    }
    if (op.kind == OpKind::kLoad && m.rounds[i] && m.rounds[i]->chosen >= 0 && r.ok)
      loaded = m.rounds[i]->chosen.load();
  }
  report.loaded_version = loaded;
  report.notes = m.notes;
  m.runner.reset();
  return report;
}

PlanTiming CudaExecutor::execute(const Plan& plan) {
  start(plan);
  const PlanReport r = finish();
  if (!r.ok) {
    std::string what = "cuda executor: plan failed:";
    for (const auto& e : r.errors) what += "\n  " + e;
    throw std::runtime_error(what);
  }
  return r.timing;
}

void CudaExecutor::set_failure_hook(FailureHook hook) { impl_->hook = std::move(hook); }
void CudaExecutor::set_load_version(std::optional<std::int64_t> v) { impl_->load_version = v; }

std::optional<std::int64_t> CudaExecutor::newest_complete(Tier tier) const {
  const auto v = impl_->complete(tier, impl_->all());
  return v.empty() ? std::nullopt : std::optional(v.front());
}

double CudaExecutor::last_copy_device_seconds(int rank) const {
  return impl_->device_seconds.at(static_cast<size_t>(rank));
}

}  // namespace ckptlab::hw
