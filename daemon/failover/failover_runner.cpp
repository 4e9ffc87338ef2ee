#include "daemon/failover/failover_runner.h"

#include "daemon/failover/binlog_salvage.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/failover/vip.h"
#include "daemon/failpoints.h"

#include <fmt/format.h>

#include <memory>

namespace mha {

namespace {

// A kept session the monitor lent, as the unique shell the VIP seam takes.
class BorrowedShell final : public RemoteShell {
 public:
  explicit BorrowedShell(std::shared_ptr<RemoteShell> shell) : m_shell(std::move(shell)) {}
  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) override {
    return m_shell->run(command, timeout);
  }
  Result<CommandResult> run_large(std::string_view command, std::chrono::milliseconds timeout,
                                  std::size_t max_output) override {
    return m_shell->run_large(command, timeout, max_output);
  }
  void close() override { m_shell->close(); }

 private:
  std::shared_ptr<RemoteShell> m_shell;
};

// The monitor's kept sessions first (by server name), a new login otherwise.
ShellFactory kept_or_new_shells(ShellFactory fresh, const FailoverRequest& request,
                                const std::string& dead_master) {
  auto kept = request.replica_shells;
  if (request.master_shell) kept[dead_master] = request.master_shell;
  if (kept.empty()) return fresh;
  return [fresh = std::move(fresh), kept = std::move(kept)](const ServerConfig& server) -> std::unique_ptr<RemoteShell> {
    if (auto it = kept.find(server.name); it != kept.end() && it->second)
      return std::make_unique<BorrowedShell>(it->second);
    return fresh(server);
  };
}

}  // namespace

ShellFactory operation_shells(const Seams& seams, const ClusterConfig& cluster) {
  return [seams, cluster](const ServerConfig& server) {
    return seams.make_shell(
        ssh_endpoint_of(cluster, server, std::min(server.ssh_connection_timeout, std::chrono::milliseconds(3000))));
  };
}

bool start_failover_operation(OperationRunner& runner, const Seams& seams, const ClusterConfig& cluster,
                              std::size_t dead_master, FailoverRequest request, FailoverCallbacks callbacks) {
  EventLoop& loop = runner.loop();
  return runner.start(cluster.name, "failover", [&loop, seams, cluster, dead_master, request, callbacks] {
    auto shell_for = kept_or_new_shells(operation_shells(seams, cluster), request, cluster.servers[dead_master].name);
    std::unique_ptr<Vip> vip = make_vip(cluster, shell_for);
    FailoverEnv env;
    env.make_sql = seams.make_sql;
    env.tcp_probe = seams.tcp_probe;
    env.lease = callbacks.lease;
    env.make_shell = shell_for;
    env.vip = vip.get();
    env.salvage = [](RemoteShell& shell, const SalvageRequest& r) { return salvage_binlog(shell, r); };
    env.apply_salvaged = apply_salvaged;
    if (!cluster.shutdown_script.empty())
      env.shutdown = [cluster](const ServerConfig& dead, bool reachable, std::chrono::milliseconds limit) {
        return run_shutdown_script(cluster, dead, reachable, limit);
      };
    env.progress = [&loop, progress = callbacks.progress](FailoverPhase phase, const std::string& event,
                                                          const nlohmann::json& detail) {
      loop.post([progress, phase, event, detail] { progress(phase, event, detail); });
    };
    env.before_phase = [&loop, persist = callbacks.persist_phase](FailoverPhase phase, const std::string& new_master) {
      if (!run_on_loop_and_wait(loop, [persist, phase, new_master] { return persist(phase, new_master); }))
        return false;
      failpoint_before_phase("failover", phase_name(phase));
      return true;
    };
    auto report = std::make_shared<FailoverReport>();
    try {
      *report = run_failover(cluster, dead_master, request, env);
    } catch (const std::exception& e) {
      // Out of memory, no thread: stop where it is and let an operator look.
      report->cluster = cluster.name;
      report->old_master = cluster.servers[dead_master].name;
      report->result = FailoverResult::needs_operator;
      report->refusal = fmt::format("the failover stopped on an internal error ({}); check the servers (mhactl "
                                    "status), then mhactl failover --force",
                                    e.what());
    }
    return std::function<void()>([report, done = callbacks.done] { done(*report); });
  });
}

}  // namespace mha
