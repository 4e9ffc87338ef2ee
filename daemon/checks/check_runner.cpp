#include "daemon/checks/check_runner.h"

#include "daemon/checks/check_probe.h"
#include "daemon/checks/cluster_checks.h"

#include <exception>
#include <memory>
#include <stdexcept>

namespace mha {

namespace {

// Shared by the jobs of one check. Workers only read `cluster` (never
// changed after construction); `probes` and `pending` are touched on the
// loop only.
struct CheckRun {
  ClusterConfig cluster;
  std::function<void(nlohmann::json)> done;
  std::vector<ServerProbe> probes;
  std::size_t pending = 0;
};

void finish(CheckRun& run) {
  nlohmann::json report = check_report_json(evaluate_checks(run.cluster, run.probes));
  report["cluster"] = run.cluster.name;
  auto done = std::move(run.done);
  done(std::move(report));
}

// The master is whoever does not replicate: the probe of one server cannot
// see the others, and a read_only master (fenced, or misconfigured) still
// holds the binlogs a failover needs.
bool looks_like_master(const ServerObservation& obs) {
  return obs.reachable && (!obs.replica || obs.replica->master_host.empty());
}

}  // namespace

void run_cluster_check(EventLoop& loop, WorkerPool& pool, const Seams& seams, const ClusterConfig& cluster,
                       std::function<void(nlohmann::json report)> done) {
  auto run = std::make_shared<CheckRun>();
  run->cluster = cluster;
  run->done = std::move(done);
  run->probes.resize(cluster.servers.size());
  run->pending = cluster.servers.size();
  if (run->pending == 0) {
    loop.post([run] { finish(*run); });
    return;
  }

  for (std::size_t i = 0; i < cluster.servers.size(); ++i) {
    const ServerConfig& server = cluster.servers[i];
    SqlEndpoint sql{server.ip.empty() ? server.host : server.ip, server.port, cluster.user,
                    cluster.password.reveal(), cluster.connect_timeout, cluster.read_timeout, server.tls()};
    std::shared_ptr<SqlSession> session = seams.make_sql();
    std::shared_ptr<RemoteShell> shell;
    if (!server.skip_init_ssh_check)
      shell = seams.make_shell(ssh_endpoint_of(cluster, server));
    EventLoop* loop_ptr = &loop;
    pool.submit([run, i, sql = std::move(sql), session, shell, loop_ptr] {
      auto probe = std::make_shared<ServerProbe>();
      const ServerConfig& config = run->cluster.servers[i];
      // No exception may cross into the pool: a lost job would leave the
      // check (and the mhactl waiting for it) hanging.
      try {
        if (!session) throw std::runtime_error("no SQL session");
        *probe = probe_server(*session, sql, run->cluster, config, MonoClock::now());
        if (shell) {  // none for skip_init_ssh_check: the default HostProbe says "not checked"
          probe->host = probe_host(*shell, config, looks_like_master(probe->obs), probe->obs, probe->master_status);
          shell->close();
        }
      } catch (const std::exception& e) {
        probe->obs.checked = true;
        probe->obs.reachable = false;
        probe->obs.error = make_error(Errc::internal, "check failed: {}", e.what());
      }
      if (session) session->close();
      loop_ptr->post([run, i, probe] {
        run->probes[i] = std::move(*probe);
        if (--run->pending == 0) finish(*run);
      });
    });
  }
}

}  // namespace mha
