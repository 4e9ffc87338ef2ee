// mhad as a whole: owns the loop, the worker pool, the control socket and one
// ClusterMonitor per configured cluster; handles signals, reloads, sd_notify
// and the watchdog. main.cpp only parses arguments and hands over.
#pragma once

#include "common/config.h"
#include "daemon/app/cluster_monitor.h"
#include "daemon/control_server.h"
#include "daemon/coordination/coordinator.h"
#include "daemon/event_loop.h"
#include "daemon/failover/failover_runner.h"
#include "daemon/metrics/metrics_exporter.h"
#include "daemon/operations/operation_report.h"
#include "daemon/operations/operation_runner.h"
#include "daemon/state_store.h"
#include "daemon/worker_pool.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <string>

namespace mha {

class DaemonApp {
 public:
  DaemonApp(std::filesystem::path config_path, Config config, Seams seams);
  ~DaemonApp();

  // Runs until SIGTERM/SIGINT (or stop()). Returns the process exit code.
  int run();
  // From any thread: stop as SIGTERM would (a running operation finishes
  // first). For embedding and tests; mhad itself stops on signals.
  void stop();
  // coordination = "etcd": how to make an etcd client (main.cpp wires the
  // real one, tests a fake). Before run().
  void set_etcd_factory(std::function<std::unique_ptr<Etcd>()> make_etcd) { m_make_etcd = std::move(make_etcd); }

 private:
  // known_masters: cluster -> the master the previous monitor knew (a
  // reload), which wins over the saved state's.
  void start_monitors(const std::map<std::string, std::string>& known_masters = {});
  // Re-reads the configuration. On any error the old one stays live and the
  // errors are returned (one per line); on success the monitors restart.
  Result<std::size_t> reload(std::string_view why);
  void notify_status();
  // Loads (or starts) each cluster's persisted state; keeps other clusters
  // going when one file is corrupt.
  void load_states();
  void on_verdict(const std::string& cluster, const VerdictEvent& event);
  void persist(const std::string& cluster);
  nlohmann::json history_json(const std::string& cluster) const;
  // Running failover, interrupted one, last failover, old master awaiting rejoin.
  ClusterConfig failover_config(const std::string& cluster, const ClusterConfig& config) const;
  static std::optional<std::chrono::system_clock::time_point> last_completed_failover(const ClusterState& state);
  void add_operation_status(const std::string& cluster, nlohmann::json& out) const;
  // One cluster as `status` shows it, and all of them (what /metrics maps).
  nlohmann::json cluster_status(const std::string& cluster, const ClusterMonitor& monitor, MonoTime now) const;
  nlohmann::json clusters_status() const;
  // What a failover would do right now (daemon/failover/candidate.h).
  nlohmann::json readiness_json_for(const std::string& cluster, const ClusterMonitor& monitor) const;
  void schedule_watchdog(std::chrono::microseconds interval);

  // coordination = "etcd" (daemon_coordination.cpp). With "none" every
  // cluster is acted for and nothing here does anything.
  void start_coordination();
  // Why this instance may not run `command` on `cluster` now (standby, or
  // the lease not surely held), else nullopt.
  std::optional<Error> standby_refusal(const std::string& cluster, const std::string& command) const;
  bool acting(const std::string& cluster) const;
  // On the loop after a coordination round changed something: adopt the
  // state a last holder left, note roles, resume a failover a death asked for.
  void on_coordination_change();
  // Each second: tell the leadership which clusters this instance can see.
  void update_eligibility();
  // The state in etcd under the fencing token; false if it could not be written.
  bool write_state_to_etcd(const std::string& cluster);
  void adopt_state(const std::string& cluster, const std::string& text);
  std::function<std::unique_ptr<Etcd>()> m_make_etcd;
  std::unique_ptr<Coordinator> m_coordinator;  // null: coordination = "none"
  std::map<std::string, std::int64_t> m_adopted;  // cluster -> fencing token whose state was adopted
  std::set<std::string> m_acting_seen;            // clusters acted for at the last look
  struct LoggedProblem {
    std::string text;
    MonoTime at{};
  };
  std::map<std::string, LoggedProblem> m_coordination_problems;  // cluster -> last logged
  void log_coordination_problem(const std::string& cluster, const std::string& problem);
  struct Resume {
    FailoverPhase phase = FailoverPhase::recover_replicas;
    std::string new_master;
  };
  std::map<std::string, Resume> m_resume;  // adopted failovers to finish once acting

  void cmd_status(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  void cmd_reload(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  void cmd_failover(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  // Starts a failover of `cluster` if nothing forbids it; returns why not.
  std::optional<Error> start_failover(const std::string& cluster, bool manual, bool force, const std::string& to,
                                      std::shared_ptr<Responder> requester);
  // Persists `operation` in `phase` before the phase starts (false: not saved).
  // new_master: the server a failover made writable ("" before promotion).
  bool persist_phase(const std::string& cluster, const std::string& operation, const std::string& phase,
                     const std::string& new_master = "");
  // Persisting, progress and report of a failover of `cluster` from `old_master`.
  LeaseDeadline operation_lease(const std::string& cluster);
  FailoverCallbacks failover_callbacks(const std::string& cluster, const std::string& old_master,
                                       std::shared_ptr<Responder> requester, const ClusterConfig& config);
  // Takeover (coordination = "etcd"): finish the failover the last holder
  // left after its promotion (daemon/failover/failover_resume.h), or park it.
  void resume_failover(const std::string& cluster);
  // Switchover, rejoin, maintenance (daemon_operations.cpp).
  void cmd_switchover(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  void cmd_rejoin(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  void cmd_maintenance(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  // Refusal for a changing command from a peer without the right, else
  // nullopt; logs who asked either way.
  std::optional<Error> authorise(const Peer& peer, const std::string& command, const std::string& cluster);
  std::optional<Error> start_rejoin(const std::string& cluster, std::size_t server, bool force, bool automatic,
                                    std::shared_ptr<Responder> requester);
  void on_operation_done(const std::string& cluster, const OperationReport& report,
                         std::shared_ptr<Responder> requester);
  // A fenced old master is back writable or on the VIP: fence it on the pool.
  void on_fence_needed(const std::string& cluster, const std::string& server, bool writes, bool vip);
  std::set<std::string> m_fencing;  // cluster/server with a fence in flight
  // auto_rejoin: a fenced old master answers again.
  void on_fenced_back(const std::string& cluster, const std::string& server);
  // The new master's GTIDs when `server` was failed over (rejoin's reference).
  std::string promoted_at_gtids(const std::string& cluster, const std::string& server) const;
  void request_stop(std::string_view why);
  // ran_with: the cluster's config when the failover started, whose
  // passwords are scrubbed from what is stored, logged and returned.
  void on_failover_done(const std::string& cluster, const FailoverReport& report,
                        std::shared_ptr<Responder> requester, const ClusterConfig& ran_with);
  void cmd_check(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);
  void cmd_version(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out);

  std::filesystem::path m_config_path;
  Config m_config;
  Seams m_seams;
  EventLoop m_loop;
  std::unique_ptr<WorkerPool> m_pool;
  std::unique_ptr<ControlServer> m_server;
  std::map<std::string, std::shared_ptr<ClusterMonitor>> m_monitors;
  std::unique_ptr<StateStore> m_store;
  struct PersistedCluster {
    ClusterState state;
  };
  std::map<std::string, PersistedCluster> m_states;
  CheckDelayStats m_delays;
  std::unique_ptr<OperationRunner> m_operations;
  std::unique_ptr<MetricsExporter> m_metrics;  // null: metrics_listen is off
  // auto_rejoin already tried for these (cluster/server) since they came back:
  // an errant one is reported once, not every cycle.
  std::set<std::string> m_auto_rejoin_tried;
  // Clusters whose failover was interrupted (mhad died mid-way): no automatic
  // failover until an operator looked (mhactl failover --force).
  std::map<std::string, std::string> m_parked;
  bool m_stop_requested = false;  // SIGTERM during a failover: stop when it ends
  MonoTime m_started{};
  std::string m_last_status;
};

}  // namespace mha
