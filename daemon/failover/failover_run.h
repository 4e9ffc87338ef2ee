// The failover's working state while it runs, shared by the files of its
// phases (failover.cpp: the sequence and the check phase; failover_fence.cpp;
// failover_recover_master.cpp; failover_recover_replicas.cpp). Internal to
// daemon/failover/: other rooms use failover.h.
#pragma once

#include "common/log.h"
#include "daemon/failover/candidate.h"
#include "daemon/failover/failover.h"
#include "daemon/operations/server_sessions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <thread>
#include <string>
#include <vector>

namespace mha::failover_detail {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Servers read at once in the check phase (2 cores, but the work is waiting
// on the network, so more threads than cores is fine; bounded all the same).
constexpr std::size_t k_parallel_checks = 8;

// The check phase's look at the dead master (see read_servers).
constexpr milliseconds k_dead_master_look{1000};
constexpr milliseconds k_dead_master_tcp_look{200};

// After KILL of a replica's IO thread: how long to wait for it to be gone
// (it takes ~20 ms), and how often to look, before its STOP.
constexpr milliseconds k_io_thread_exit_wait{1000};
constexpr milliseconds k_io_thread_exit_poll{10};

// Under an etcd lease a server-side wait runs in slices of whole seconds
// (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET take seconds), each within
// the lease's known-held time.
constexpr milliseconds k_lease_wait_slice{1000};

inline std::string address(const ServerConfig& server) { return server_address(server); }

inline bool variable_off(const ServerObservation& obs, std::string_view name) {
  std::string value = obs.variable(name);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
  return value == "OFF" || value == "0";
}

class FailoverRun {
 public:
  FailoverRun(const ClusterConfig& config, std::size_t dead, const FailoverRequest& request, FailoverEnv& env)
      : m_config(config),
        m_dead(dead),
        m_request(request),
        m_env(env),
        m_clock(env.clock ? *env.clock : real_operation_clock()),
        m_sessions(config, env.make_sql, std::max(env.wait_timeout, env.replica_timeout)) {
    m_report.cluster = config.name;
    m_ssh_reachable = request.master_ssh_reachable;
  }
  ~FailoverRun() {
    if (m_vip_logins.joinable()) m_vip_logins.join();
  }
  FailoverRun(const FailoverRun&) = delete;
  FailoverRun& operator=(const FailoverRun&) = delete;

  FailoverReport run();

 private:
  const ServerConfig& server(std::size_t i) const { return m_config.servers[i]; }
  const std::string& name(std::size_t i) const { return m_config.servers[i].name; }

  template <typename Body>
  bool phase(FailoverPhase p, Body&& body);

  // What state a stop before phase `p` leaves the cluster in.
  std::string stop_advice(FailoverPhase p) const;

  // Server error texts can quote a statement (MariaDB's "near '...'"), and
  // CHANGE MASTER carries the replication password: scrub both secrets from
  // everything that reaches the log, the report and the state file.
  std::string clean(std::string text) const;

  bool stop(FailoverResult result, std::string why);

  void step(std::string text);

  // The time a changing step may take under the lease (`wanted` without
  // coordination), or nullopt after stopping the failover (needs_operator):
  // the lease is not surely held, so the step must not start.
  std::optional<milliseconds> under_lease(std::string_view what, milliseconds wanted = milliseconds(0));
  // A server-side wait for `gtids` on server i, at most `total`, in lease
  // slices (LeaseDeadline::wait).
  Result<void> wait_gtids_under_lease(std::size_t i, const std::string& gtids, milliseconds total);

  void note(std::string text);

  Result<SqlSession*> session(std::size_t i) { return m_sessions.session(i); }
  Result<void> execute(std::size_t i, const std::string& sql) { return m_sessions.execute(i, sql); }
  std::int64_t ms_since(MonoTime start) const { return duration_cast<milliseconds>(m_clock.now() - start).count(); }

  const Flavor& flavor(std::size_t i) const { return *m_obs[i].flavor; }

  ReplicationSource source_for(std::size_t replica, std::size_t source) const;

  // Reads servers `which` in parallel (at most k_parallel_checks at once),
  // each on a fresh connection with the monitoring timeouts.
  void read_servers(const std::vector<std::size_t>& which, bool fresh_sessions);

  std::optional<Exclusion> exclusion_of(const Readiness& r, std::size_t i) const;

  static bool takes_part(const std::optional<Exclusion>& e) { return !e || mha::takes_part(e->reason); }

  // assess_failover with the request's overrides: force lifts the interval
  // guard and auto_failover; manual lifts auto_failover.
  Readiness assess(bool with_interval_guard) const;

  // Picks the new master and the most advanced replica from `r`, or stops.
  bool choose(const Readiness& r, bool after_fence);

  // --- phase 1, check (failover.cpp) ---------------------------------------
  bool check();

  // --- phase 2, fence (failover_fence.cpp) ---------------------------------
  bool fence();

  // "" when every pid is gone, else why not; the kill and its wait take
  // at most `limit` (the lease's budget).
  std::string kill_frozen(const ServerConfig& old, milliseconds limit);

  // --- phase 3, recover_master (failover_recover_master.cpp) --------------
  bool recover_master();

  // Just before the new master takes writes. A crashed mysqld restarted by
  // its service manager (Debian's mariadb.service restarts on abort) may be
  // back by now, writable, taking direct connections: it must be read-only
  // before anyone else is writable. Only where the host answered SSH: a
  // vanished host would only cost a connect timeout here.
  bool fence_old_master_if_back();

  Result<void> wait_applied(std::size_t i, const std::string& gtids);

  // Reads what the dead master has past `received` from its binlog, or
  // records why it could not and what that risks (m_report.lost_writes_risk,
  // m_loss_possible).
  void salvage(const std::string& received);

  // The kept session the monitor lent, else a fresh login.
  std::shared_ptr<RemoteShell> master_shell();

  static std::string semi_sync_status(const ServerObservation& obs);

  // on_possible_data_loss = "abort": stop before anything is promoted.
  // --force accepts the risk.
  bool data_loss_gate();

  // --- resuming after a takeover (failover_resume.cpp) ---------------------
  // A fresh look at every server; the new master named by the request must
  // be the only writable one (resume_blocker), else needs_operator.
  bool resume_check();

  // --- phase 4, recover_replicas (failover_recover_replicas.cpp) ----------
  struct Outcome {
    std::size_t server = 0;
    std::string error;  // "" = recovered
  };

  bool recover_replicas();

  // Runs on its own thread: touches only m_sessions[i] and reads shared
  // state that no other thread writes during this phase.
  std::string recover_replica(std::size_t i);

  // --- phase 5, finish (failover_recover_replicas.cpp) --------------------
  bool finish();

  // VIP onto the new master (and, when deferred, off the old one) right
  // after it became writable.
  void move_vip();

  // The failover is complete only when clients reach the new master.
  void verify_vip();

  const ClusterConfig& m_config;
  const std::size_t m_dead;
  const FailoverRequest& m_request;
  FailoverEnv& m_env;
  FailoverReport m_report;
  std::vector<ServerObservation> m_obs;
  OperationClock& m_clock;
  ServerSessions m_sessions;
  std::vector<std::size_t> m_alive;  // replicas taking part, config order
  std::optional<std::size_t> m_to, m_new, m_latest;
  // The VIP's SSH logins, started in the fence and left running into
  // recover_master: a shell serves one command at a time, so the VIP move
  // simply waits for its login if it is not done yet.
  std::thread m_vip_logins;
  std::string m_rule;
  FailoverPhase m_phase = FailoverPhase::check;
  std::string m_phase_detail;
  bool m_ssh_reachable = false;
  bool m_powered_off = false;
  bool m_killed = false;
  bool m_vip_failed = false;
  // The VIP stays on the old host until the new master is writable: with
  // its mysqld gone (or killed) it only answers "connection refused", which
  // clients retry at once, while an address nobody holds costs each client
  // its whole connect timeout.
  bool m_vip_release_deferred = false;
  bool m_loss_possible = false;
  std::string m_salvaged_sql;
  std::string m_new_master_gtids;
};

}  // namespace mha::failover_detail
