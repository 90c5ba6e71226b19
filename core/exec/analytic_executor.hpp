// AnalyticExecutor: plan timings from closed-form bandwidth formulas (DESIGN.md §5 "analytic").
//
// An op moves each rank's bytes along the tiers between its source and destination, one hop at
// a time (store-and-forward: GPU -PCIe- host -NIC- peer host, host - local disk, host - shared
// storage), and takes the sum of its hops' times:
//   PCIe hop:    max over GPUs of bytes / pcie_d2h (or pcie_h2d); every GPU has its own link.
//   NIC hop:     max over nodes of node bytes / (nics_per_node * nic_bandwidth).
//   local disk:  max over nodes of node bytes / local_disk_write (or _read).
//   storage hop: max-min fair share of storage_write (or _read) among the nodes that move data,
//                each node capped at min(its NICs, storage_per_client) (fair_share_makespan).
// Ops of one plan do not contend with each other here (the sim backend models that); an op
// starts when the ops it waits on end. Timings are memoized by plan signature. Every hop but the
// storage one runs at the node's own capacity, so it is full_rate_duration (node_capacity.hpp)
// with the storage hop replaced by its fair share.
#pragma once

#include <map>

#include "cluster/cluster_spec.hpp"
#include "cluster/hardware_profile.hpp"
#include "exec/executor.hpp"
#include "exec/node_capacity.hpp"

namespace ckptlab {

class AnalyticExecutor final : public Executor {
 public:
  AnalyticExecutor(const ClusterSpec& cluster, const HardwareProfile& hardware);

  PlanTiming execute(const Plan& plan) override;
  std::string backend_name() const override { return "analytic"; }
  std::string method() const override;

  // Duration of one op on an idle platform (exposed for tests and --explain).
  Seconds op_duration(const Op& op) const;

 private:
  ClusterSpec cluster_;
  HardwareProfile hardware_;
  NodeCapacity capacity_;
  std::map<std::string, PlanTiming> memo_;
};

}  // namespace ckptlab
