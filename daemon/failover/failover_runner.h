// Starts a failover on the daemon's OperationRunner, wired to the real
// seams: SSH with a short connect bound, the VIP, binlog salvage, the
// shutdown hook. Phases are persisted before they start through
// `persist_phase` (run on the loop, which owns the state); progress and the
// final report come back to the loop.
#pragma once

#include "common/config.h"
#include "daemon/failover/failover.h"
#include "daemon/operations/operation_runner.h"
#include "daemon/seams.h"

#include <functional>
#include <string>

namespace mha {

struct FailoverCallbacks {
  // On the loop. new_master: the server made writable, "" before promotion.
  std::function<bool(FailoverPhase, const std::string& new_master)> persist_phase;
  std::function<void(FailoverPhase, const std::string& event, const nlohmann::json& detail)> progress;  // on the loop
  std::function<void(const FailoverReport&)> done;  // on the loop
  LeaseDeadline lease;  // coordination = "etcd": the lease this failover runs under
};

// False when an operation of the cluster is already running.
bool start_failover_operation(OperationRunner& runner, const Seams& seams, const ClusterConfig& cluster,
                              std::size_t dead_master, FailoverRequest request, FailoverCallbacks callbacks);

// The SSH factory the operations use: at most 3 s to connect (a dead host
// must not cost tens of seconds, as it did MHA in the field log).
ShellFactory operation_shells(const Seams& seams, const ClusterConfig& cluster);

}  // namespace mha
