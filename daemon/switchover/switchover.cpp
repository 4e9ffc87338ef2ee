// Switchover of a live master: see switchover.h for the phases, the checks
// and the rollback rule.
#include "daemon/switchover/switchover.h"

#include "common/flavor.h"
#include "daemon/failover/candidate.h"
#include "daemon/operations/parallel.h"
#include "daemon/operations/read_servers.h"
#include "daemon/operations/server_sessions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace mha {

namespace {

using std::chrono::milliseconds;

std::string upper_prefix(const std::string& text, std::size_t n) {
  std::string out;
  for (char c : text) {
    if (out.empty() && std::isspace(static_cast<unsigned char>(c))) continue;
    if (out.size() == n) break;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_system_thread(const ProcessRow& row) {
  return row.user == "system user" || row.user == "event_scheduler" || row.command == "Daemon";
}

bool is_replication_thread(const ProcessRow& row) {
  return row.command.rfind("Binlog Dump", 0) == 0 || row.command.rfind("Slave_", 0) == 0 ||
         row.command.rfind("Replica_", 0) == 0;
}

class Switchover {
 public:
  Switchover(const ClusterConfig& config, const SwitchoverRequest& request, SwitchoverEnv& env)
      : m_config(config),
        m_request(request),
        m_env(env),
        m_clock(env.clock ? *env.clock : real_operation_clock()),
        m_sessions(config, env.make_sql, std::max(config.running_seconds_limit, env.repoint_timeouts.threads)),
        m_log(config, m_report, env.progress, env.before_phase) {
    m_report.operation = "switchover";
    m_report.forced = request.force;
  }

  OperationReport run() {
    run_phases(m_log, m_report, m_clock,
               {{"check", [&] { return check(); }},
                {"reject_writes", [&] { return reject_writes(); }},
                {"wait_catchup", [&] { return wait_catchup(); }},
                {"promote", [&] { return promote(); }},
                {"repoint", [&] { return repoint_all(); }},
                {"finish", [&] { return finish(); }}});
    m_sessions.close_all();
    return std::move(m_report);
  }

 private:
  const ServerConfig& server(std::size_t i) const { return m_config.servers[i]; }
  const std::string& name(std::size_t i) const { return m_config.servers[i].name; }
  const Flavor& flavor(std::size_t i) const { return *m_obs[i].flavor; }

  bool refuse(Errc code, std::string why) { return m_log.stop(OperationResult::refused, code, std::move(why)); }
  // Each change below starts only while the etcd lease is surely held.
  bool leased(std::string_view step) { return m_log.under_lease(m_env.lease, m_clock.now(), step); }
  // The VIP seam's calls: within what the lease has left, whatever their own timeouts.
  std::optional<std::chrono::milliseconds> vip_limit(std::string_view step) {
    return m_log.lease_budget(m_env.lease, m_clock.now(), step, k_vip_no_limit);
  }

  // --- check -----------------------------------------------------------------
  bool check() {
    const std::size_t master = m_request.master;
    if (master >= m_config.servers.size())
      return refuse(Errc::internal, fmt::format("the master is not a server of cluster '{}'", m_config.name));
    m_report.old_master = name(master);
    m_obs = read_servers(m_config, m_sessions);
    const ServerObservation& m = m_obs[master];
    if (!m.reachable || !m.flavor)
      return refuse(Errc::refused, fmt::format("master '{}' does not answer ({}): a switchover needs a live master; "
                                               "if it is dead, use mhactl failover",
                                               name(master), m.error ? m.error->message : "not checked"));
    if (m.read_only.value_or(false))
      return refuse(Errc::bad_request,
                    fmt::format("master '{}' is read-only: it takes no writes to hand over. Make it writable "
                                "(SET GLOBAL read_only=0) or fail over with mhactl failover",
                                name(master)));

    // Who would be promoted, by the failover's rules on this fresh look
    // (errant GTIDs, no_master, binlog off, versions), without its guards.
    ClusterConfig effective = m_config;
    effective.auto_failover = true;
    for (auto& s : effective.servers) s.check_repl_delay = false;  // lag is checked below, in seconds
    FailoverGuards guards;
    guards.now = std::chrono::system_clock::now();
    const Readiness readiness = assess_failover(effective, m_obs, master, guards);

    for (const auto& e : readiness.excluded)
      if (e.reason == ExclusionReason::errant_gtids)
        return refuse(Errc::errant_gtid,
                      fmt::format("'{}' {}: a switchover would hand these transactions to every server or strand "
                                  "them. Remove them (rebuild '{}' from the master) first",
                                  name(e.server), e.detail, name(e.server)));
    for (std::size_t i = 0; i < m_obs.size(); ++i)
      if (i != master && m_obs[i].reachable && !m_obs[i].read_only.value_or(true) && !m_obs[i].replica)
        return refuse(Errc::bad_request,
                      fmt::format("'{}' is writable and replicates from nobody: two masters already. Make it "
                                  "read-only (SET GLOBAL read_only=1) or rejoin it (mhactl rejoin {})",
                                  name(i), name(i)));

    std::size_t target = 0;
    if (m_request.to) {
      target = *m_request.to;
      if (target == master)
        return refuse(Errc::bad_request, fmt::format("'{}' is the master already", name(master)));
      for (const auto& e : readiness.excluded)
        if (e.server == target)
          return refuse(Errc::no_candidate, fmt::format("'{}' cannot be promoted: {} ({})", name(target),
                                                        exclusion_reason_name(e.reason), e.detail));
    } else {
      if (!readiness.candidate)
        return refuse(Errc::no_candidate,
                      fmt::format("no replica can be promoted{}; see mhactl status (failover_readiness)",
                                  readiness.blockers.empty() ? "" : ": " + readiness.blockers.back()));
      target = *readiness.candidate;
    }
    m_target = target;
    m_report.new_master = name(target);

    const ServerObservation& t = m_obs[target];
    if (!replicates_from(t, server(master)) || !t.replica->replicating())
      return refuse(Errc::bad_request,
                    fmt::format("'{}' must replicate from '{}' with both threads running; it {}. Fix its replication "
                                "(mhactl check shows how) first",
                                name(target), name(master), replication_state(t)));
    const std::int64_t limit_s = std::chrono::duration_cast<std::chrono::seconds>(m_config.running_seconds_limit).count();
    if (!t.replica->seconds_behind || *t.replica->seconds_behind > limit_s)
      return refuse(Errc::target_lagging,
                    fmt::format("'{}' is {} behind the master, over running_seconds_limit ({}s): writes would stop "
                                "until it caught up. Wait until it has, or raise running_seconds_limit",
                                name(target),
                                t.replica->seconds_behind ? fmt::format("{}s", *t.replica->seconds_behind) : "an unknown time",
                                limit_s));

    for (std::size_t i = 0; i < m_obs.size(); ++i) {
      if (i == master || i == target) continue;
      const ServerObservation& o = m_obs[i];
      const bool ok = o.reachable && replicates_from(o, server(master)) && o.replica->replicating();
      if (ok) {
        m_replicas.push_back(i);
        continue;
      }
      const std::string what = fmt::format("'{}' {}", name(i), o.reachable ? replication_state(o) : "does not answer");
      if (m_request.force || server(i).ignore_fail) {
        m_log.note(what + (m_request.force ? " (--force: left out)" : " (ignore_fail: left out)"));
        continue;
      }
      return refuse(Errc::bad_request,
                    fmt::format("{}: it would be left behind by the switch. Fix it first, set ignore_fail on it, or "
                                "mhactl switchover --force to leave it out",
                                what));
    }

    auto rows = m_sessions.session(master);
    if (!rows) return refuse(rows.error().code, "reading the master's processlist: " + rows.error().message);
    auto list = (*rows)->query(Flavor::processlist_sql());
    if (!list) return refuse(list.error().code, "reading the master's processlist: " + list.error().message);
    std::vector<std::string> long_writes;
    for (const auto& p : parse_processlist(*list))
      if (is_long_write(p, m_config.running_updates_limit))
        long_writes.push_back(fmt::format("id {} ({}, {}s): {}", p.id, p.user, p.time, p.info.substr(0, 80)));
    if (!long_writes.empty()) {
      const std::string list_text = fmt::format("{}", fmt::join(long_writes.begin(),
                                                                long_writes.begin() + std::min<std::size_t>(long_writes.size(), 10), "; "));
      if (!m_request.force)
        return refuse(Errc::bad_request,
                      fmt::format("{} write(s) on '{}' running longer than running_updates_limit ({}s): {}. Let them "
                                  "finish, or mhactl switchover --force ends them with their sessions",
                                  long_writes.size(), name(master), m_config.running_updates_limit, list_text));
      m_log.note("--force: long-running writes will be ended: " + list_text);
    }

    m_log.step(fmt::format("Master {} is alive; switching to {} ({}).", server_address(server(master)),
                           server_address(server(target)),
                           m_request.to ? "requested with --to" : "best candidate: " + readiness.rule));
    m_log.set_detail(fmt::format("'{}' -> '{}', {} other replica(s)", name(master), name(target), m_replicas.size()));
    return true;
  }

  static std::string replication_state(const ServerObservation& o) {
    if (!o.replica) return "replicates from nobody";
    return fmt::format("replicates from {}:{} (IO {}, SQL {}{})", o.replica->master_host, o.replica->master_port,
                       o.replica->io_running == ReplicaStatus::ThreadState::yes ? "running"
                       : o.replica->io_running == ReplicaStatus::ThreadState::connecting ? "connecting"
                                                                                          : "stopped",
                       o.replica->sql_running ? "running" : "stopped",
                       o.replica->last_sql_errno ? fmt::format(", Last_SQL_Error {}", o.replica->last_sql_errno) : "");
  }

  // --- reject_writes ---------------------------------------------------------
  bool reject_writes() {
    const std::size_t master = m_request.master;
    if (m_env.vip_stop) {
      auto limit = vip_limit("taking the VIP off the master");
      if (!limit) return false;
      VipOutcome v = m_env.vip_stop(server(master), server(*m_target), *limit);
      m_vip_stopped = true;
      if (!v.ok && !v.warning) return roll_back(fmt::format("taking the VIP off '{}' failed: {}", name(master), v.detail));
      if (v.warning) m_log.note(fmt::format("VIP release on '{}' warned: {}", name(master), v.detail));
      m_log.step(fmt::format("{}: VIP released ({}).", server_address(server(master)), v.detail));
    }
    auto session = m_sessions.session(master);
    if (!session) return roll_back("connecting to the master: " + session.error().message);
    if (!leased("making the master read-only")) return false;
    if (auto r = make_read_only(**session, flavor(master)); !r)
      return roll_back(fmt::format("making '{}' read-only failed: {}", name(master), r.error().message));
    m_master_fenced = true;
    m_log.step(fmt::format("{}: {}.", server_address(server(master)),
                           flavor(master).is_mariadb() ? "read_only=1" : "super_read_only=1"));

    // Sessions still open would wait on a read-only server (or hold
    // transactions it can no longer commit): end them, so that clients
    // reconnect and find the new master through the VIP.
    std::size_t ended = 0;
    if (!leased("ending the client sessions on the master")) return false;
    if (auto list = (*session)->query(Flavor::processlist_sql()); list) {
      for (const auto& p : parse_processlist(*list))
        if (is_client_session(p) && (*session)->execute(Flavor::kill_connection_sql(p.id))) ++ended;
    } else {
      m_log.note(fmt::format("cannot list the sessions on '{}' ({}): clients keep their connections to it",
                             name(master), list.error().message));
    }
    m_log.step(fmt::format("{}: ended {} client session(s).", server_address(server(master)), ended));

    // Read-only and no client left: this position is final.
    auto position = read_gtid_position(**session, flavor(master));
    if (!position) return roll_back("reading the master's final GTID position: " + position.error().message);
    m_final = *position;
    m_log.set_detail(fmt::format("final position {}", m_final));
    return true;
  }

  // --- wait_catchup ----------------------------------------------------------
  bool wait_catchup() {
    const std::size_t target = *m_target;
    auto session = m_sessions.session(target);
    if (!session) return roll_back(fmt::format("connecting to '{}': {}", name(target), session.error().message));
    if (auto r = wait_for_gtids(**session, flavor(target), m_final, m_config.running_seconds_limit); !r)
      return roll_back(fmt::format("'{}' did not execute the old master's final position {} within "
                                   "running_seconds_limit: {}",
                                   name(target), m_final, r.error().message));
    m_log.step(fmt::format("{}: executed {}, the old master's last transaction.", server_address(server(target)),
                           m_final));
    return true;
  }

  // --- promote ---------------------------------------------------------------
  bool promote() {
    const std::size_t target = *m_target;
    auto s = m_sessions.session(target);
    if (!s) return roll_back(fmt::format("connecting to '{}': {}", name(target), s.error().message));
    SqlSession& sql = **s;
    if (!leased(fmt::format("stopping replication on '{}'", name(target)))) return false;
    if (auto r = sql.execute(flavor(target).stop_replica_sql()); !r)
      return roll_back(fmt::format("stopping replication on '{}': {}", name(target), r.error().message));
    m_target_stopped = true;
    if (server(target).skip_reset_slave) {
      m_log.note(fmt::format("skip_reset_slave is set on '{}': its replication config is kept", name(target)));
    } else {
      if (auto r = forget_master(sql, flavor(target)); !r)
        return roll_back(fmt::format("resetting replication on '{}': {}", name(target), r.error().message));
      m_target_reset = true;
    }
    // The one step that makes a second writer possible: never on a lease
    // that may have been granted elsewhere.
    if (!leased(fmt::format("making '{}' writable", name(target)))) return false;
    if (auto r = make_writable(sql, flavor(target)); !r)
      return roll_back(fmt::format("making '{}' writable: {}", name(target), r.error().message));
    m_report.promoted = true;
    m_log.step(fmt::format("{}: read_only=0, taking writes.", server_address(server(target))));

    if (auto g = read_gtid_position(sql, flavor(target)); g) m_new_gtids = *g;
    else m_log.note(fmt::format("cannot read the GTIDs of '{}': replicas will not be waited for", name(target)));

    if (m_env.vip_start) {
      auto limit = vip_limit(fmt::format("moving the VIP to '{}'", name(target)));
      if (!limit) return false;
      VipOutcome v = m_env.vip_start(server(m_request.master), server(target), *limit);
      if (!v.ok && !v.warning) {
        m_vip_failed = true;
        m_log.note(fmt::format("VIP not moved to '{}': {}", name(target), v.detail));
      } else {
        if (v.warning) m_log.note(fmt::format("VIP move to '{}' warned: {}", name(target), v.detail));
        m_log.step(fmt::format("{}: VIP activated ({}).", server_address(server(target)), v.detail));
      }
    }
    m_log.set_detail(fmt::format("'{}' promoted{}", name(target), m_new_gtids.empty() ? "" : " at " + m_new_gtids));
    return true;
  }

  // --- repoint ---------------------------------------------------------------
  bool repoint_all() {
    std::vector<std::size_t> which = m_replicas;
    if (m_request.orig_master_is_new_slave) which.push_back(m_request.master);
    std::vector<std::string> errors(which.size());
    if (!leased("repointing the replicas")) return false;
    run_parallel(which.size(), [&](std::size_t k) {
      const std::size_t i = which[k];
      if (auto held = m_env.lease.budget(std::chrono::milliseconds(0), m_clock.now(), "CHANGE MASTER"); !held) {
        errors[k] = held.error().message;
        return;
      }
      auto s = m_sessions.session(i);
      if (!s) {
        errors[k] = s.error().message;
        return;
      }
      if (i == m_request.master) {
        // It never replicated (or not lately): start after its own writes.
        if (const std::string adopt = flavor(i).adopt_own_position_sql(); !adopt.empty())
          if (auto r = (*s)->execute(adopt); !r) {
            errors[k] = "setting its GTID position: " + r.error().message;
            return;
          }
      }
      auto source = replication_source(m_config, server(*m_target), server(i), m_obs[i]);
      if (auto r = repoint(**s, flavor(i), source, m_new_gtids, m_env.repoint_timeouts, m_clock); !r)
        errors[k] = r.error().message;
    });
    std::size_t failed = 0;
    for (std::size_t k = 0; k < which.size(); ++k) {
      if (errors[k].empty()) {
        m_log.step(fmt::format("{}: replicating from {}.", server_address(server(which[k])),
                               server_address(server(*m_target))));
      } else {
        ++failed;
        m_log.note(fmt::format("{}: ERROR: not repointed to '{}': {}", server_address(server(which[k])),
                               name(*m_target), errors[k]));
      }
    }
    m_failed_replicas = failed;
    if (!m_request.orig_master_is_new_slave)
      m_log.note(fmt::format("the old master '{}' was left read-only and replicates from nobody: mhactl rejoin {}",
                             name(m_request.master), name(m_request.master)));
    m_log.set_detail(fmt::format("{} repointed, {} failed", which.size() - failed, failed));
    return true;
  }

  // --- finish ----------------------------------------------------------------
  bool finish() {
    if (m_env.vip_start && !m_vip_failed && !vip_host(m_config).empty()) {
      auto ok = verify_vip(m_config, server(*m_target), m_obs[*m_target].server_id, m_env.make_sql, m_env.vip_check,
                           m_clock);
      if (ok) {
        m_log.step(*ok);
      } else {
        m_vip_failed = true;
        m_log.note("VIP check failed: " + ok.error().message);
      }
    }
    m_report.result = m_failed_replicas == 0 && !m_vip_failed ? OperationResult::completed
                                                               : OperationResult::completed_with_errors;
    m_log.set_detail(std::string(operation_result_name(m_report.result)));
    return true;
  }

  // --- rollback --------------------------------------------------------------
  // Before the target took writes: put back what was changed, in reverse.
  bool roll_back(std::string why) {
    const std::size_t master = m_request.master;
    if (!m_log.under_lease(m_env.lease, m_clock.now(), "rolling back (" + why + ")")) return false;
    std::vector<std::string> left;
    if (m_target && (m_target_stopped || m_target_reset)) {
      const std::size_t target = *m_target;
      auto s = m_sessions.session(target);
      Result<void> back = s ? Result<void>{} : Result<void>(s.error());
      if (s && m_target_reset)
        back = repoint(**s, flavor(target), replication_source(m_config, server(master), server(target), m_obs[target]), "",
                       m_env.repoint_timeouts, m_clock);
      else if (s)
        back = (*s)->execute(flavor(target).start_replica_sql());
      if (back) m_log.step(fmt::format("rollback: '{}' replicates from '{}' again.", name(target), name(master)));
      else left.push_back(fmt::format("'{}' does not replicate from '{}' ({})", name(target), name(master),
                                      back.error().message));
    }
    if (m_master_fenced) {
      if (!leased(fmt::format("making '{}' writable again", name(master)))) return false;
      auto s = m_sessions.session(master);
      auto back = s ? make_writable(**s, flavor(master)) : Result<void>(s.error());
      if (back) m_log.step(fmt::format("rollback: '{}' is writable again.", name(master)));
      else left.push_back(fmt::format("'{}' is still read-only ({}): SET GLOBAL read_only=0 on it", name(master),
                                      back.error().message));
    }
    if (m_vip_stopped && m_env.vip_start) {
      auto limit = vip_limit(fmt::format("putting the VIP back on '{}'", name(master)));
      if (!limit) return false;
      VipOutcome v = m_env.vip_start(server(master), server(master), *limit);
      if (v.ok) m_log.step(fmt::format("rollback: VIP back on '{}' ({}).", name(master), v.detail));
      else left.push_back(fmt::format("the VIP is not back on '{}' ({})", name(master), v.detail));
    }
    if (!left.empty())
      return m_log.stop(OperationResult::failed, Errc::needs_operator,
                        fmt::format("{}; rolling back did not finish: {}. Nothing was promoted", why,
                                    fmt::join(left, "; ")));
    return m_log.stop(OperationResult::rolled_back, Errc::rolled_back,
                      fmt::format("{}; rolled back: '{}' is the master and takes writes again, nothing was promoted",
                                  why, name(master)));
  }

  const ClusterConfig& m_config;
  const SwitchoverRequest& m_request;
  SwitchoverEnv& m_env;
  OperationClock& m_clock;
  OperationReport m_report;
  ServerSessions m_sessions;
  OperationRecorder m_log;
  std::vector<ServerObservation> m_obs;
  std::optional<std::size_t> m_target;
  std::vector<std::size_t> m_replicas;  // other replicas that follow the switch
  std::string m_final, m_new_gtids;
  std::size_t m_failed_replicas = 0;
  bool m_vip_stopped = false, m_master_fenced = false, m_target_stopped = false, m_target_reset = false;
  bool m_vip_failed = false;
};

}  // namespace

std::vector<ProcessRow> parse_processlist(const Rows& rows) {
  std::vector<ProcessRow> out;
  for (std::size_t i = 0; i < rows.rows.size(); ++i) {
    auto row = rows.row_map(i);
    auto text = [&](const char* key) {
      auto it = row.find(key);
      return it != row.end() && it->second ? *it->second : std::string();
    };
    ProcessRow p;
    p.id = std::strtoull(text("ID").c_str(), nullptr, 10);
    p.user = text("USER");
    p.command = text("COMMAND");
    p.time = std::strtoll(text("TIME").c_str(), nullptr, 10);
    p.info = text("INFO");
    if (p.id != 0) out.push_back(std::move(p));
  }
  return out;
}

bool is_client_session(const ProcessRow& row) { return !is_system_thread(row) && !is_replication_thread(row); }

bool is_long_write(const ProcessRow& row, std::int64_t limit_seconds) {
  if (!is_client_session(row) || row.command == "Sleep" || row.command == "Connect") return false;
  if (row.info.empty() || row.time <= limit_seconds) return false;
  const std::string head = upper_prefix(row.info, 6);
  return head.rfind("SELECT", 0) != 0 && head.rfind("SHOW", 0) != 0;
}

OperationReport run_switchover(const ClusterConfig& config, const SwitchoverRequest& request, SwitchoverEnv& env) {
  return Switchover(config, request, env).run();
}

}  // namespace mha
