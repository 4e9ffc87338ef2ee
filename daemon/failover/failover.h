// Failover of a dead master, phase by phase: check, fence, recover master,
// recover replicas, finish (DESIGN.md "Automatic failover", MHA's
// do_master_failover, mha.md §3.1-3.10). Blocking: run_failover() runs on a
// dedicated thread and talks to the servers only through the seams in
// FailoverEnv (SqlSession, RemoteShell, Vip, salvage/apply functions), so
// unit tests drive every step with fakes. SQL text comes from Flavor.
//
// Phases and what makes each one stop (the result when it does):
//   check            fresh look at every server, then assess_failover()
//                    (daemon/failover/candidate.h) picks the new master.
//                    The dead master answers SQL, a blocker, a bad `to`,
//                    a catch-up source without log_slave_updates -> refused.
//                    Nothing has been changed on any server.
//   fence            IO thread stopped on every alive replica (none can
//                    reconnect to a master that comes back), VIP released,
//                    shutdown hook, a frozen master's mysqld killed over SSH.
//                    A step failing -> failed; a frozen master that cannot
//                    be killed -> needs_operator. Still nothing promoted.
//   recover_master   re-read the replicas, salvage the dead master's binlog
//                    (SSH reachable), catch the new master up from the most
//                    advanced replica, apply the salvaged events, promote:
//                    STOP, RESET ALL, read_only=0, VIP on.
//   recover_replicas every other alive replica, in parallel: STOP, CHANGE
//                    MASTER to the new master (GTID), START, wait for both
//                    threads and the new master's GTIDs. Failures are
//                    reported (completed_with_errors), never fatal.
//   finish           a connection through the VIP must reach the new master
//                    (else completed_with_errors), then the report.
// Each phase calls env.before_phase(phase, new_master) first (the daemon
// persists the phase there, and from recover_replicas on the server that was
// made writable); false stops the failover before that phase (needs_operator).
//
// Resumed (request.resume_from, coordination = "etcd"): another instance ran
// this failover up to a phase after the promotion and died. The new active
// instance runs only what is left, recover_replicas and/or finish, after a
// fresh look at every server shows what the promotion left behind: the named
// new master writable and replicating from nobody, every other live server
// read-only (resume_blocker in failover_resume.h). Anything else stops it
// before any change (needs_operator).
//
// Invariant: only the chosen new master is ever made writable, and only in
// recover_master, after fence succeeded.
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "common/topology.h"
#include "daemon/failover/binlog_salvage.h"
#include "daemon/failover/vip.h"
#include "daemon/operations/lease_deadline.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/remote_shell.h"
#include "daemon/tcp_probe.h"
#include "daemon/script_runner.h"
#include "daemon/sql_session.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

enum class FailoverPhase { check, fence, recover_master, recover_replicas, finish };
std::string_view phase_name(FailoverPhase phase);

enum class FailoverResult { completed, completed_with_errors, refused, failed, needs_operator };
std::string_view failover_result_name(FailoverResult result);

struct FailoverRequest {
  bool manual = false;  // mhactl failover: auto_failover = false does not block
  bool force = false;   // --force: overrides min_failover_interval and auto_failover only
  std::string to;       // --to SERVER: promote this one (must be eligible)
  bool master_ssh_reachable = false;
  bool master_frozen = false;     // detector's "frozen" verdict: the process may wake up
  // SSH showed nothing listening on the master's port: its mysqld is gone,
  // the VIP on its host only answers "connection refused".
  bool master_process_gone = false;
  std::vector<int> master_pids;   // mysqld pids seen over SSH, killed when frozen
  // The monitor's kept SSH session to the dead master's host, if it could
  // be lent: salvage and the frozen-master kill use it instead of a login.
  std::shared_ptr<RemoteShell> master_shell;
  // The same for the other hosts, by server name: the VIP moves to the new
  // master's host over one of them instead of a login (360 ms measured).
  std::map<std::string, std::shared_ptr<RemoteShell>> replica_shells;
  std::optional<std::chrono::system_clock::time_point> last_failover;
  std::string evidence;           // the detector's evidence, for the report
  // The monitor's last observation of the master (flavor, GTIDs, settings,
  // semi-sync status). Optional: without it the master is only "unreachable".
  std::optional<ServerObservation> master_last_seen;
  // Resuming (see above): the phase the last holder persisted, recover_replicas
  // or finish, and the server it made writable.
  std::optional<FailoverPhase> resume_from;
  std::string resume_new_master;
};

struct FailoverEnv {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  // A bare TCP connect (daemon/tcp_probe.h). Set: an automatic failover's
  // look at the dead master is this connect (200 ms), and SQL only if the
  // port accepts; unset: an SQL connect (Connector/C: at least 1 s).
  std::function<TcpState(const std::string&, std::uint16_t, std::chrono::milliseconds)> tcp_probe;
  // Waits and polls take time from here (a fake in unit tests).
  OperationClock* clock = &real_operation_clock();
  // coordination = "etcd": every changing step starts only while the lease
  // is surely held and waits no later than that (lease_deadline.h); a long
  // wait runs in slices. Default: no lease, no cap.
  LeaseDeadline lease;
  std::function<std::unique_ptr<RemoteShell>(const ServerConfig&)> make_shell;
  Vip* vip = nullptr;  // null: no VIP configured
  std::function<SalvageResult(RemoteShell&, const SalvageRequest&)> salvage;
  std::function<Result<void>(const std::string& sql, const std::string& host, std::uint16_t port,
                             const std::string& user, const std::string& password,
                             std::chrono::milliseconds timeout)>
      apply_salvaged;
  // shutdown_script (MHA --command=stop|stopssh): exit 0 = host powered off,
  // 10 = mysqld killed, other = failure. Unset: no shutdown hook.
  // `limit`: the longest it may run (kShutdownScriptTimeout, or less when
  // the lease has less left).
  std::function<ScriptResult(const ServerConfig&, bool ssh_reachable, std::chrono::milliseconds limit)> shutdown;
  // event: "started", "finished" (detail: duration_ms, ok, detail), "note".
  std::function<void(FailoverPhase, const std::string& event, const nlohmann::json& detail)> progress;
  // Persists the phase BEFORE it starts; false stops there (needs_operator).
  // new_master: the server made writable, "" until the promotion.
  std::function<bool(FailoverPhase, const std::string& new_master)> before_phase;
  // Catch-up and relay-log waits on the new master and the most advanced
  // replica (never unbounded, unlike MHA).
  std::chrono::milliseconds wait_timeout{60000};
  // Per replica in recover_replicas: both threads running and the new
  // master's GTIDs executed.
  std::chrono::milliseconds replica_timeout{30000};
  // How long connections through the VIP may fail or land elsewhere (stale
  // ARP caches) before the failover is reported completed_with_errors.
  std::chrono::milliseconds vip_verify_timeout{3000};
  // How long a killed frozen mysqld may take to disappear.
  std::chrono::milliseconds kill_timeout{5000};
  // Poll interval for replica threads and kill checks.
  std::chrono::milliseconds poll_interval{100};
};

struct PhaseRecord {
  FailoverPhase phase = FailoverPhase::check;
  std::int64_t duration_ms = 0;
  bool ok = false;
  std::string detail;
};

struct FailoverReport {
  FailoverResult result = FailoverResult::failed;
  std::string cluster;
  std::string old_master, new_master;
  std::string refusal;  // why not, and what the operator can do (refused/failed/needs_operator)
  // new_master was made writable (whatever the result): the old master must
  // stay fenced and the monitor must follow the new one.
  bool promoted = false;
  std::vector<PhaseRecord> phases;
  std::vector<std::string> steps;  // what was done, in order, one line each (MHA's report body)
  std::vector<std::string> recovered_replicas, failed_replicas, notes;
  std::string lost_writes_risk;
  // The last GTID salvaged from the dead master's binlog, else the master's
  // GTID position when the monitor last saw it.
  std::string last_master_gtid;
  std::size_t salvaged_transactions = 0;
  // The new master's GTIDs right after promotion: what the old master may
  // have when it rejoins (anything beyond is errant).
  std::string promoted_at_gtids;
  std::int64_t duration_ms = 0;

  nlohmann::json to_json() const;
  // Reads like MHA's "----- Failover Report -----".
  std::string text() const;
};

// Blocking; runs on a dedicated thread. `dead_master` indexes config.servers.
FailoverReport run_failover(const ClusterConfig& config, std::size_t dead_master, const FailoverRequest& request,
                            FailoverEnv& env);

}  // namespace mha
