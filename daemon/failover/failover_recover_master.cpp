// Failover phase 3, recover the master: salvage the dead master's binlog,
// catch the new master up, apply what was salvaged, promote.
#include "daemon/failover/failover_run.h"

#include "common/gtid.h"
#include "common/units.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/operations/parallel.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/operations/vip_check.h"
#include "daemon/server_read.h"

#include <mutex>
#include <set>
#include <thread>

namespace mha::failover_detail {

// --- phase 3 ---------------------------------------------------------------
bool FailoverRun::recover_master() {
  read_servers(m_alive, false);
  if (!choose(assess(false), true)) return false;
  const std::size_t n = *m_new;
  const std::size_t latest = *m_latest;
  const std::string received = received_gtids(m_obs[latest]);
  step(fmt::format("The most advanced replica {} received {}.", address(server(latest)),
                   received.empty() ? "(no GTIDs)" : received));

  salvage(received);
  if (!data_loss_gate()) return false;

  // From here on every change starts only under the lease (coordination =
  // "etcd"), and every wait is sliced within it.
  // A SQL thread stopped without an error is started (MHA does the same).
  for (std::size_t i : std::set<std::size_t>{n, latest})
    if (m_obs[i].replica && !m_obs[i].replica->sql_running) {
      if (!under_lease(fmt::format("starting the SQL thread on '{}'", name(i)))) return false;
      if (auto r = execute(i, flavor(i).start_sql_thread_sql()); !r)
        return stop(FailoverResult::failed, fmt::format("cannot start the SQL thread on '{}': {}; nothing was promoted",
                                                        name(i), r.error().message));
    }

  if (n != latest) {
    if (auto r = wait_applied(latest, received); !r)
      return stop(FailoverResult::failed,
                  fmt::format("the most advanced replica '{}' did not apply its relay log: {}; nothing was promoted",
                              name(latest), r.error().message));
    const Flavor& f = flavor(n);
    if (!under_lease(fmt::format("catching '{}' up from '{}'", name(n), name(latest)))) return false;
    auto caught_up = [&]() -> Result<void> {
      if (auto r = execute(n, f.stop_replica_sql()); !r) return r.error().with_context("STOP");
      if (auto r = execute(n, f.change_master_sql(source_for(n, latest))); !r)
        return r.error().with_context("CHANGE MASTER to '{}'", name(latest));
      if (auto r = execute(n, f.start_replica_sql()); !r) return r.error().with_context("START");
      if (auto r = wait_applied(n, received); !r) return r;
      if (auto b = m_env.lease.budget(milliseconds(0), m_clock.now(), "STOP after the catch-up"); !b) return b.error();
      if (auto r = execute(n, f.stop_replica_sql()); !r) return r.error().with_context("STOP");
      return {};
    }();
    if (!caught_up)
      return stop(FailoverResult::failed,
                  fmt::format("catching '{}' up from '{}' failed: {}; nothing was promoted ('{}' may now replicate "
                              "from '{}')",
                              name(n), name(latest), caught_up.error().message, name(n), name(latest)));
    step(fmt::format("{}: caught up from the most advanced replica {}.", address(server(n)), address(server(latest))));
  } else {
    if (auto r = wait_applied(n, received); !r)
      return stop(FailoverResult::failed, fmt::format("'{}' did not apply its relay log: {}; nothing was promoted",
                                                      name(n), r.error().message));
    if (!under_lease(fmt::format("stopping replication on '{}'", name(n)))) return false;
    if (auto r = execute(n, flavor(n).stop_replica_sql()); !r)
      return stop(FailoverResult::failed,
                  fmt::format("cannot stop replication on '{}': {}; nothing was promoted", name(n), r.error().message));
  }
  step(fmt::format("{}: OK: Applying all logs succeeded.", address(server(n))));

  if (!m_salvaged_sql.empty()) {
    if (!m_env.apply_salvaged) {
      note("salvaged events cannot be applied: no apply function configured");
      m_report.lost_writes_risk = fmt::format("possible: {} transactions salvaged from '{}' were not applied",
                                              m_report.salvaged_transactions, name(m_dead));
    } else {
      // MySQL's super_read_only stops even the SUPER user the events are
      // applied as; MHA lowers it to plain read_only around the apply.
      auto apply_budget = under_lease(fmt::format("applying the salvaged events to '{}'", name(n)), m_env.wait_timeout);
      if (!apply_budget) return false;
      if (const std::string relax = flavor(n).admin_writes_sql(); !relax.empty())
        if (auto r = execute(n, relax); !r)
          return stop(FailoverResult::needs_operator,
                      fmt::format("cannot lower super_read_only on '{}' to apply the salvaged events: {}; it is "
                                  "caught up but not writable",
                                  name(n), r.error().message));
      const ServerConfig& s = server(n);
      auto r = m_env.apply_salvaged(m_salvaged_sql, s.ip.empty() ? s.host : s.ip, s.port, m_config.user,
                                    m_config.password.reveal(), *apply_budget);
      if (!r)
        return stop(FailoverResult::needs_operator,
                    fmt::format("applying the {} transactions salvaged from '{}' to '{}' failed: {}. '{}' is caught "
                                "up with the replicas but not writable: apply them by hand (or accept losing "
                                "them), then make it writable and point the replicas at it",
                                m_report.salvaged_transactions, name(m_dead), name(n), r.error().message, name(n),
                                name(n)));
      step(fmt::format("{}: applied {} transactions salvaged from the dead master's binlog.", address(s),
                       m_report.salvaged_transactions));
    }
  }

  // Promote. Forget the dead master before taking writes: a writable
  // server that still has a replication config would start replicating
  // from the old master after a restart.
  if (!under_lease(fmt::format("promoting '{}'", name(n)))) return false;
  if (server(n).skip_reset_slave) {
    note(fmt::format("skip_reset_slave is set on '{}': its replication config is kept", name(n)));
  } else if (auto r = execute(n, flavor(n).reset_replica_all_sql()); !r) {
    return stop(FailoverResult::failed,
                fmt::format("cannot reset replication on '{}': {}; it is caught up but not writable", name(n),
                            r.error().message));
  } else {
    step(fmt::format("{}: Resetting slave info succeeded.", address(server(n))));
  }
  if (!fence_old_master_if_back()) return false;
  // The one step that makes a second writer possible: never on a lease
  // that is not surely held.
  if (!under_lease(fmt::format("making '{}' writable", name(n)))) return false;
  if (auto r = execute(n, flavor(n).unfence_writes_sql()); !r)
    return stop(FailoverResult::failed, fmt::format("cannot make '{}' writable: {}; it is caught up but read-only",
                                                    name(n), r.error().message));
  m_report.promoted = true;
  step(fmt::format("{}: read_only=0, taking writes.", address(server(n))));

  // What the replicas must reach. MariaDB: @@gtid_binlog_pos (what the new
  // master can send; MASTER_GTID_WAIT on a replica compares it with that
  // replica's @@gtid_slave_pos). MySQL: @@gtid_executed.
  if (auto s = session(n)) {
    auto rows = (*s)->query(flavor(n).gtid_executed_sql());
    if (rows && !rows->rows.empty()) m_new_master_gtids = m_report.promoted_at_gtids = rows->rows[0][0].value_or("");
    else note(fmt::format("cannot read the GTIDs of '{}': replicas will not be waited for", name(n)));
  }

  if (m_env.vip && !under_lease(fmt::format("moving the VIP to '{}'", name(n)))) return false;
  move_vip();
  m_phase_detail = fmt::format("'{}' promoted{}", name(n),
                               m_new_master_gtids.empty() ? "" : " at " + m_new_master_gtids);
  return true;
}

void FailoverRun::move_vip() {
  if (!m_env.vip) return;
  const std::size_t n = *m_new;
  const ServerConfig& old = server(m_dead);
  // Each call within what is left of the lease at its start (coordination =
  // "etcd"; unbounded without), whatever the seam's own timeouts.
  auto limit = [&](const char* what) { return m_env.lease.budget(k_vip_no_limit, m_clock.now(), what); };
  auto release = [&] {
    auto left = limit("taking the VIP off the old master");
    if (!left) return note(left.error().message + "; the VIP was not taken off '" + old.name + "'");
    VipOutcome v = m_env.vip->release(old, m_ssh_reachable, *left);
    if (!v.ok && !v.warning)
      note(fmt::format("VIP not taken off '{}': {}; its mysqld is gone, so clients there are refused; mhad "
                       "removes it when it sees it (fence of the old master)",
                       old.name, v.detail));
    else if (v.warning)
      note(fmt::format("VIP release on '{}' warned: {}", old.name, v.detail));
    else
      step(fmt::format("Invalidated master IP address on {} ({}).", address(old), v.detail));
  };
  auto acquire = [&] {
    auto left = limit("moving the VIP");
    if (!left) {
      m_vip_failed = true;
      return note(left.error().message + "; the VIP was not moved to '" + name(n) + "'");
    }
    VipOutcome v = m_env.vip->acquire(old, server(n), *left);
    if (!v.ok && !v.warning) {
      m_vip_failed = true;
      note(fmt::format("VIP not moved to '{}': {}", name(n), v.detail));
    } else {
      if (v.warning) note(fmt::format("VIP move to '{}' warned: {}", name(n), v.detail));
      step(fmt::format("{}: OK: Activated master IP address ({}).", address(server(n)), v.detail));
    }
  };
  if (!m_vip_release_deferred) return acquire();
  // One step: on the new host first (with its gratuitous ARP) where each
  // side acts on its own host only, so the address is never unheld.
  if (m_env.vip->acquire_before_release()) {
    acquire();
    release();
  } else {
    release();
    acquire();
  }
}

// Just before the new master takes writes. A crashed mysqld restarted by
// its service manager (Debian's mariadb.service restarts on abort) may be
// back by now, writable, taking direct connections: it must be read-only
// before anyone else is writable. Only where the host answered SSH: a
// vanished host would only cost a connect timeout here.
bool FailoverRun::fence_old_master_if_back() {
  if (!m_ssh_reachable || m_powered_off || !m_env.make_sql) return true;
  auto sql = m_env.make_sql();
  if (!sql) return true;
  SqlEndpoint endpoint = endpoint_of(m_config, server(m_dead), k_dead_master_look);
  endpoint.connect_timeout = std::min(endpoint.connect_timeout, k_dead_master_look);
  if (!sql->connect(endpoint)) return true;  // still down
  const Flavor& f = m_obs[m_dead].flavor ? *m_obs[m_dead].flavor : flavor(*m_new);
  auto fenced = sql->execute(f.fence_writes_sql());
  sql->close();
  if (!fenced)
    return stop(FailoverResult::needs_operator,
                fmt::format("the old master '{}' came back during the failover and could not be made read-only "
                            "({}): '{}' was NOT made writable, so that only one server takes writes. Make '{}' "
                            "read-only or stop it, then mhactl failover --force",
                            name(m_dead), fenced.error().message, name(*m_new), name(m_dead)));
  note(fmt::format("the old master '{}' came back during the failover: set read-only before '{}' took writes "
                   "(any write it took meanwhile is not on '{}'; rejoin it with mhactl rejoin)",
                   name(m_dead), name(*m_new), name(*m_new)));
  return true;
}

Result<void> FailoverRun::wait_applied(std::size_t i, const std::string& gtids) {
  return wait_gtids_under_lease(i, gtids, m_env.wait_timeout);
}

// Reads what the dead master has past `received` from its binlog, or
// records why it could not and what that risks (m_report.lost_writes_risk,
// m_loss_possible).
void FailoverRun::salvage(const std::string& received) {
  const ServerObservation& master = m_obs[m_dead];
  if (m_request.master_last_seen && !m_request.master_last_seen->gtid_executed.empty())
    m_report.last_master_gtid = m_request.master_last_seen->gtid_executed;
  auto not_read = [&](const std::string& why) {
    // With semi-sync on, a commit is acknowledged only after a replica has
    // it in its relay log, so the most advanced replica holds every
    // acknowledged write, unless semi-sync fell back to async within the
    // last ping_interval (the monitor reads it once per cycle).
    std::string semi_sync = semi_sync_status(master);
    if (semi_sync.empty() && m_request.master_last_seen) semi_sync = semi_sync_status(*m_request.master_last_seen);
    if (semi_sync == "ON") {
      m_report.lost_writes_risk = fmt::format(
          "low: {}, but semi-sync was ON on the master when last seen: every acknowledged commit reached a "
          "replica (unless semi-sync fell back to async within the last {})",
          why, format_duration(m_config.ping_interval));
      return;
    }
    m_loss_possible = true;
    m_report.lost_writes_risk = fmt::format(
        "possible: {} and semi-sync was {} on the master when last seen: commits acknowledged to clients may "
        "not have reached any replica{}",
        why, semi_sync.empty() ? "not known to be on" : semi_sync,
        m_report.last_master_gtid.empty() ? "" : "; last GTID seen on the master: " + m_report.last_master_gtid);
    note("Transactions that were not sent to the latest slave may be lost: " + why);
  };
  if (!m_ssh_reachable)
    return not_read(m_powered_off ? "the dead master's host was powered off by shutdown_script, its binlog was "
                                    "not read"
                                  : "the dead master's host did not answer SSH, its binlog was not read");
  if (!m_env.salvage) return not_read("binlog salvage is not available");
  std::shared_ptr<RemoteShell> shell = master_shell();
  if (!shell) return not_read("no SSH session to the dead master's host");
  const Flavor master_flavor = master.flavor ? *master.flavor : flavor(*m_latest);
  SalvageRequest req{master_flavor, {}, {}, {}, {}, m_env.wait_timeout};
  req.binlog_dirs = server(m_dead).master_binlog_dir;
  req.binlog_basename = master.variable("log_bin_basename");
  req.start_position = received;
  req.client_bindir = server(m_dead).client_bindir;
  const auto salvage_started = m_clock.now();
  SalvageResult s = m_env.salvage(*shell, req);
  log_debug({{"CLUSTER", m_config.name}, {"PHASE", "recover_master"}}, "binlog salvage on '{}' took {} ms ({})",
            name(m_dead),
            std::chrono::duration_cast<milliseconds>(m_clock.now() - salvage_started).count(),
            m_request.master_shell ? "the monitor's kept SSH session" : "a new SSH login");
  if (!s.ok) {
    note(fmt::format("binlog salvage on '{}' failed ({}), continuing without it", name(m_dead), s.error));
    return not_read("reading the dead master's binlog failed: " + s.error);
  }
  for (const auto& w : s.warnings) note(fmt::format("binlog salvage on '{}': {}", name(m_dead), w));
  m_report.lost_writes_risk = "none known";
  m_report.salvaged_transactions = s.transactions;
  // The binlog itself says what the master had last: the salvaged events'
  // last GTID, or, with nothing past it, what the most advanced replica
  // received (the monitor's last look may be a ping interval old).
  m_report.last_master_gtid = s.last_gtid.empty() ? received : s.last_gtid;
  m_salvaged_sql = s.sql;
  if (s.transactions == 0 || s.sql.empty())
    step(fmt::format("{}: no binlog events past {} (nothing lost).", address(server(m_dead)), received));
  else
    step(fmt::format("Saved {} transactions from the dead master's binlog, up to {}.", s.transactions, s.last_gtid));
}

// The kept session the monitor lent, else a fresh login.
std::shared_ptr<RemoteShell> FailoverRun::master_shell() {
  if (m_request.master_shell) return m_request.master_shell;
  if (!m_env.make_shell) return nullptr;
  return m_env.make_shell(server(m_dead));
}

std::string FailoverRun::semi_sync_status(const ServerObservation& obs) {
  std::string value = obs.status_value("Rpl_semi_sync_master_status");
  if (value.empty()) value = obs.status_value("Rpl_semi_sync_source_status");
  return value;
}

// on_possible_data_loss = "abort": stop before anything is promoted.
// --force accepts the risk.
bool FailoverRun::data_loss_gate() {
  if (!m_loss_possible || m_config.on_possible_data_loss != DataLossPolicy::abort || m_request.force) return true;
  return stop(FailoverResult::needs_operator,
              fmt::format("acknowledged writes may be lost ({}) and on_possible_data_loss = \"abort\": nothing was "
                          "promoted; the replicas' IO threads are stopped. Bring the master's host back and run "
                          "mhactl failover (its binlog is then read), or accept the loss: mhactl failover --force",
                          m_report.lost_writes_risk));
}

}  // namespace mha::failover_detail
