// Starts a switchover on the daemon's OperationRunner, wired to the real
// seams: SQL, the VIP (master_ip_online_change_script when configured, else
// the built-in [vip] or master_ip_failover_script), phase persistence and
// progress through the loop.
#pragma once

#include "common/config.h"
#include "daemon/operations/operation_runner.h"
#include "daemon/seams.h"
#include "daemon/switchover/switchover.h"

#include <functional>
#include <string>

namespace mha {

struct OperationCallbacks {
  std::function<bool(const std::string& phase)> persist_phase;  // on the loop
  OperationRecorder::Progress progress;                          // on the loop
  std::function<void(const OperationReport&)> done;             // on the loop
  LeaseDeadline lease;  // coordination = "etcd": the changing steps' bound
};

bool start_switchover_operation(OperationRunner& runner, const Seams& seams, const ClusterConfig& cluster,
                                SwitchoverRequest request, OperationCallbacks callbacks);

// Wraps the callbacks for an operation thread: progress posted to the loop,
// the phase persisted on the loop (and waited for), then the failpoint.
OperationRecorder::Progress progress_on_loop(EventLoop& loop, OperationRecorder::Progress progress);
OperationRecorder::BeforePhase persist_on_loop(EventLoop& loop, std::string operation,
                                               std::function<bool(const std::string&)> persist);

}  // namespace mha
