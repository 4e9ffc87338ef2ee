// Rules about replication between the servers: replicates_from_master,
// replication_threads, replication_lag, semi_sync, slave_net_timeout.

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

#include <cstdlib>

namespace mha::checks_detail {

namespace {

// A replica whose opinion arrives later than this during failure detection
// is of little use: detection asks every 100 ms and decides within seconds.
constexpr int k_max_net_timeout_s = 10;

}  // namespace

void Evaluation::replicates_from_master() {
  const Server* m = master_server();
  if (!m) return;
  for (const auto& s : m_servers) {
    if (&s == m || !s.reachable || !s.flavor) continue;
    if (!s.replica) {
      add("replicates_from_master", &s, CheckResult::fail, "replicates from no server",
          fmt::format("on '{}': {}", s.config->name, s.flavor->repoint_hint_sql(m->config->host, m->config->port, m_repl_user)));
      continue;
    }
    const auto& r = *s.obs().replica;
    if (s.source && *s.source == *m_master) {
      ok("replicates_from_master", &s, fmt::format("replicates from '{}' ({}:{})", m->config->name,
                                                   r.master_host, r.master_port));
      continue;
    }
    std::string from = s.source ? fmt::format("'{}' ({}:{})", m_servers[*s.source].config->name, r.master_host,
                                              r.master_port)
                                : fmt::format("{}:{}, which is not in the configuration", r.master_host,
                                              r.master_port);
    if (s.source && m_cluster.multi_tier_slave) {
      ok("replicates_from_master", &s, fmt::format("replicates from {} (multi_tier_slave = true)", from));
      continue;
    }
    add("replicates_from_master", &s, CheckResult::fail,
        fmt::format("replicates from {}, the master is '{}' ({})", from, m->config->name,
                    endpoint_text(*m->config)),
        fmt::format("on '{}': {}", s.config->name, s.flavor->repoint_hint_sql(m->config->host, m->config->port, m_repl_user)));
  }
}

void Evaluation::replication_threads() {
  for (const auto& s : m_servers) {
    if (!s.replica || !s.flavor) continue;
    const auto& r = *s.obs().replica;
    const Flavor& f = *s.flavor;
    auto yes_no = [](ReplicaStatus::ThreadState t) {
      return t == ReplicaStatus::ThreadState::yes ? "yes" : t == ReplicaStatus::ThreadState::no ? "no" : "connecting";
    };
    if (r.last_io_errno != 0 || r.last_sql_errno != 0) {
      std::vector<std::string> errors;
      if (r.last_io_errno != 0) errors.push_back(fmt::format("Last_IO_Error {}: {}", r.last_io_errno, r.last_io_error));
      if (r.last_sql_errno != 0)
        errors.push_back(fmt::format("Last_SQL_Error {}: {}", r.last_sql_errno, r.last_sql_error));
      std::string fix;
      if (r.last_sql_errno != 0)
        fix = fmt::format("fix the error (compare the failing row with the master), then {} on '{}'",
                          f.start_replica_sql(), s.config->name);
      else
        fix = fmt::format("fix the cause (repl_user's password and grants, the network to {}:{}), then {} on '{}'",
                          r.master_host, r.master_port, f.start_replica_sql(), s.config->name);
      add("replication_threads", &s, CheckResult::fail,
          fmt::format("IO thread {}, SQL thread {}; {}", yes_no(r.io_running), r.sql_running ? "yes" : "no",
                      join(errors, "; ")),
          std::move(fix));
    } else if (!r.sql_running || r.io_running == ReplicaStatus::ThreadState::no) {
      add("replication_threads", &s, CheckResult::fail,
          fmt::format("replication stopped: IO thread {}, SQL thread {}", yes_no(r.io_running),
                      r.sql_running ? "yes" : "no"),
          fmt::format("{} on '{}'", f.start_replica_sql(), s.config->name));
    } else if (r.io_running == ReplicaStatus::ThreadState::connecting) {
      add("replication_threads", &s, CheckResult::fail,
          fmt::format("IO thread is connecting to {}:{}", r.master_host, r.master_port),
          fmt::format("check that '{}' reaches {}:{} and that repl_user '{}' can log in there", s.config->name,
                      r.master_host, r.master_port, r.master_user.empty() ? m_repl_user : r.master_user));
    } else {
      ok("replication_threads", &s, "IO and SQL threads running");
    }
  }
}

void Evaluation::replication_lag() {
  const auto limit_s = std::chrono::duration_cast<std::chrono::seconds>(m_cluster.seconds_behind_master).count();
  for (const auto& s : m_servers) {
    if (!s.replica) continue;
    const auto& r = *s.obs().replica;
    if (!r.replicating()) continue;  // replication_threads says why
    if (r.seconds_behind && *r.seconds_behind > limit_s) {
      add("replication_lag", &s, CheckResult::warn,
          fmt::format("{}s behind its master, over seconds_behind_master ({}s)", *r.seconds_behind, limit_s),
          fmt::format("find what slows '{}' (long transactions, tables without a primary key, disk); a failover "
                      "waits for it to catch up",
                      s.config->name));
    } else if (r.sql_delay > 0 && is_candidate(s)) {
      add("replication_lag", &s, CheckResult::warn,
          fmt::format("delayed replica (SQL_Delay={}s) that may be chosen as the new master", r.sql_delay),
          fmt::format("set no_master = true for '{}' in the cluster config", s.config->name));
    } else {
      ok("replication_lag", &s,
         r.seconds_behind ? fmt::format("{}s behind its master", *r.seconds_behind) : std::string("lag unknown"));
    }
  }
}

void Evaluation::semi_sync() {
  const Server* m = master_server();
  if (!m || !m->reachable || !m->flavor || !m->has_variables()) return;
  const auto& obs = m->obs();
  auto [enabled_name, enabled] =
      first_variable(obs, {"rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"});
  bool source_names = enabled_name == "rpl_semi_sync_source_enabled";
  const std::string master_var = source_names ? "rpl_semi_sync_source_enabled" : "rpl_semi_sync_master_enabled";
  const std::string replica_var = source_names ? "rpl_semi_sync_replica_enabled" : "rpl_semi_sync_slave_enabled";
  const std::string lost = "acknowledged writes may be lost when the master's host dies";
  bool master_on = !enabled_name.empty() && is_on(enabled);
  if (!master_on) {
    std::string fix =
        m->flavor->is_mariadb()
            ? fmt::format("SET GLOBAL {}=ON on '{}' and {}=ON on the replicas (and in my.cnf)", master_var,
                          m->config->name, replica_var)
            : enabled_name.empty()
                  ? fmt::format("on '{}': INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so' "
                                "(before 8.0.26: rpl_semi_sync_master, semisync_master.so), enable it, and the "
                                "replica plugin on the replicas",
                                m->config->name)
                  : fmt::format("SET GLOBAL {}=ON on '{}' and {}=ON on the replicas (and in my.cnf)", master_var,
                                m->config->name, replica_var);
    add("semi_sync", m, CheckResult::warn,
        fmt::format("semi-synchronous replication is {}: {}", enabled_name.empty() ? "not installed" : "OFF", lost),
        std::move(fix));
    return;  // the replicas' side matters only once the master's is on
  }
  std::string status = first_status(obs, {"Rpl_semi_sync_source_status", "Rpl_semi_sync_master_status"});
  std::string clients_text = first_status(obs, {"Rpl_semi_sync_source_clients", "Rpl_semi_sync_master_clients"});
  long clients = std::strtol(clients_text.c_str(), nullptr, 10);
  std::string restart_io = m->flavor->restart_io_thread_sql();
  if (!is_on(status) || clients < 1) {
    add("semi_sync", m, CheckResult::warn,
        is_on(status) ? fmt::format("semi-sync is enabled but no replica acknowledges (0 clients): {}", lost)
                      : fmt::format("semi-sync is enabled but inactive (status OFF: it fell back to asynchronous "
                                    "replication): {}",
                                    lost),
        fmt::format("set {}=ON on the replicas (and in my.cnf), then restart their IO threads: {}", replica_var,
                    restart_io));
  } else {
    ok("semi_sync", m, fmt::format("active, {} replica{} acknowledge{}", clients, clients == 1 ? "" : "s",
                                   clients == 1 ? "s" : ""));
  }
  for (const auto& s : m_servers) {
    if (&s == m || !s.replica || !s.has_variables() || !s.flavor) continue;
    auto [rname, rvalue] = first_variable(s.obs(), {"rpl_semi_sync_replica_enabled", "rpl_semi_sync_slave_enabled"});
    auto [mname, mvalue] = first_variable(s.obs(), {"rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"});
    std::vector<std::string> problems, fixes;
    std::string r_var = rname.empty() ? replica_var : rname;
    std::string m_var = mname.empty() ? master_var : mname;
    if (rname.empty() || !is_on(rvalue)) {
      problems.push_back(fmt::format("{} is {}: it never acknowledges writes", r_var, rname.empty() ? "missing" : "OFF"));
      fixes.push_back(fmt::format("SET GLOBAL {}=ON, then {}", r_var, s.flavor->restart_io_thread_sql()));
    }
    if (is_candidate(s) && (mname.empty() || !is_on(mvalue))) {
      problems.push_back(fmt::format("{} is {}: as the new master it would replicate asynchronously", m_var,
                                     mname.empty() ? "missing" : "OFF"));
      fixes.push_back(fmt::format("SET GLOBAL {}=ON (it only acts while '{}' is master)", m_var, s.config->name));
    }
    if (problems.empty())
      ok("semi_sync", &s, is_candidate(s) ? "replica and master sides enabled" : "replica side enabled");
    else
      add("semi_sync", &s, CheckResult::warn, join(problems, "; "),
          fmt::format("on '{}': {} (and in my.cnf)", s.config->name, join(fixes, "; ")));
  }
}

void Evaluation::net_timeout() {
  for (const auto& s : m_servers) {
    if (!s.replica || !s.has_variables() || !s.flavor) continue;
    auto [name, value] = first_variable(s.obs(), {"replica_net_timeout", "slave_net_timeout"});
    if (name.empty()) continue;
    long seconds = std::strtol(value.c_str(), nullptr, 10);
    if (seconds <= k_max_net_timeout_s) {
      ok("slave_net_timeout", &s, fmt::format("{} {}s", name, seconds));
      continue;
    }
    const Flavor& f = *s.flavor;
    std::string heartbeat = f.heartbeat_period_sql(2);
    add("slave_net_timeout", &s, CheckResult::warn,
        fmt::format("{} is {}s: '{}' notices a dead or frozen master only after {}s, so its opinion comes late "
                    "when mhad asks whether the master is dead",
                    name, seconds, s.config->name, seconds),
        fmt::format("on '{}': SET GLOBAL {}=4 (and in my.cnf); {}; {}; {}", s.config->name, name,
                    f.stop_replica_sql(), heartbeat, f.start_replica_sql()));
  }
}

}  // namespace mha::checks_detail
