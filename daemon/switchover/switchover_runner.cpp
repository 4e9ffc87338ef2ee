#include "daemon/switchover/switchover_runner.h"

#include "daemon/failover/failover_runner.h"
#include "daemon/failover/vip.h"
#include "daemon/failpoints.h"
#include "daemon/switchover/online_change_script.h"

#include <memory>

namespace mha {

using std::chrono::milliseconds;

OperationRecorder::Progress progress_on_loop(EventLoop& loop, OperationRecorder::Progress progress) {
  return [&loop, progress](const std::string& phase, const std::string& event, const nlohmann::json& detail) {
    loop.post([progress, phase, event, detail] {
      if (progress) progress(phase, event, detail);
    });
  };
}

OperationRecorder::BeforePhase persist_on_loop(EventLoop& loop, std::string operation,
                                               std::function<bool(const std::string&)> persist) {
  return [&loop, operation, persist](const std::string& phase) {
    if (persist && !run_on_loop_and_wait(loop, [persist, phase] { return persist(phase); })) return false;
    failpoint_before_phase(operation, phase);
    return true;
  };
}

bool start_switchover_operation(OperationRunner& runner, const Seams& seams, const ClusterConfig& cluster,
                                SwitchoverRequest request, OperationCallbacks callbacks) {
  EventLoop& loop = runner.loop();
  return runner.start(cluster.name, "switchover", [&loop, seams, cluster, request, callbacks] {
    SwitchoverEnv env;
    env.make_sql = seams.make_sql;
    std::shared_ptr<Vip> vip;
    if (!cluster.master_ip_online_change_script.empty()) {
      const bool new_slave = request.orig_master_is_new_slave;
      env.vip_stop = [cluster, new_slave](const ServerConfig& orig, const ServerConfig& next, milliseconds limit) {
        return run_online_change_script(cluster, OnlineChangeCommand::stop, orig, next, new_slave, limit);
      };
      auto shells = operation_shells(seams, cluster);
      env.vip_start = [cluster, new_slave, shells](const ServerConfig& orig, const ServerConfig& next,
                                                   milliseconds limit) {
        VipOutcome v = run_online_change_script(cluster, OnlineChangeCommand::start, orig, next, new_slave, limit);
        if (v.ok) v.detail += announce_vip(cluster, next, shells);
        return v;
      };
    } else if ((vip = make_vip(cluster, operation_shells(seams, cluster)))) {
      env.vip_stop = [vip](const ServerConfig& orig, const ServerConfig&, milliseconds limit) {
        return vip->release(orig, true, limit);
      };
      env.vip_start = [vip](const ServerConfig& orig, const ServerConfig& next, milliseconds limit) {
        return vip->acquire(orig, next, limit);
      };
    }
    env.progress = progress_on_loop(loop, callbacks.progress);
    env.before_phase = persist_on_loop(loop, "switchover", callbacks.persist_phase);
    env.lease = callbacks.lease;
    auto report = std::make_shared<OperationReport>(run_switchover(cluster, request, env));
    return std::function<void()>([report, done = callbacks.done] { done(*report); });
  });
}

}  // namespace mha
