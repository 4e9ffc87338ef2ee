// Failover of a dead master: see failover.h for the phases and invariants.
#include "daemon/failover/failover.h"

#include "common/gtid.h"
#include "common/log.h"
#include "common/units.h"
#include "daemon/server_read.h"
#include "daemon/failover/candidate.h"
#include "daemon/failover/hook_scripts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>

namespace mha {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Servers read at once in the check phase (2 cores, but the work is waiting
// on the network, so more threads than cores is fine; bounded all the same).
constexpr std::size_t k_parallel_checks = 8;

// Room left on a session's read timeout beyond the longest server-side wait
// it runs (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET), so that the client
// never gives up before the server answers "timed out".
constexpr milliseconds k_read_timeout_margin{10000};
// The check phase's look at the dead master (see read_servers).
constexpr milliseconds k_dead_master_look{1000};

std::int64_t ms_since(SteadyClock::time_point start) {
  return duration_cast<milliseconds>(SteadyClock::now() - start).count();
}

std::chrono::seconds whole_seconds_up(milliseconds value) {
  return std::chrono::seconds((std::max<milliseconds::rep>(value.count(), 0) + 999) / 1000);
}

bool variable_off(const ServerObservation& obs, std::string_view name) {
  std::string value = obs.variable(name);
  std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
  return value == "OFF" || value == "0";
}

std::string address(const ServerConfig& server) {
  return fmt::format("{}({}:{})", server.name, server.ip.empty() ? server.host : server.ip, server.port);
}

SqlEndpoint endpoint_of(const ClusterConfig& cluster, const ServerConfig& server, milliseconds read_timeout) {
  SqlEndpoint e;
  e.host = server.ip.empty() ? server.host : server.ip;
  e.port = server.port;
  e.user = cluster.user;
  e.password = cluster.password.reveal();
  e.connect_timeout = cluster.connect_timeout;
  e.read_timeout = read_timeout;
  return e;
}

// What a replica has received from its master, as the text its flavor's
// wait function takes. MariaDB: Gtid_IO_Pos merged per domain with
// @@gtid_slave_pos, the higher seq winning (after a restart without GTID
// positioning the IO position is empty or stale; what was applied is in
// gtid_slave_pos), as candidate.cpp compares them. MySQL: Retrieved_Gtid_Set
// ∪ Executed_Gtid_Set. Unparsable text is passed through as the server
// printed it (the server will say what is wrong with it).
std::string received_gtids(const ServerObservation& obs) {
  if (!obs.replica) return obs.gtid_executed;
  const ReplicaStatus& r = *obs.replica;
  if (r.is_mariadb_row) {
    auto io = GtidPosition::parse(r.gtid_io_pos);
    auto applied = GtidPosition::parse(obs.gtid_slave_pos);
    if (!io || !applied) return r.gtid_io_pos;
    GtidPosition merged = *io;
    for (const MariadbGtid& gtid : applied->gtids()) {
      auto mine = merged.get(gtid.domain);
      if (!mine || gtid.seq > mine->seq) merged.set(gtid);
    }
    return merged.to_string();
  }
  auto retrieved = GtidSet::parse(r.retrieved_gtid_set);
  auto executed = GtidSet::parse(r.executed_gtid_set.empty() ? obs.gtid_executed : r.executed_gtid_set);
  if (!retrieved || !executed) return r.retrieved_gtid_set;
  return retrieved->union_with(*executed).to_string();
}

// Blocks until the server executed `gtids`, at most `timeout`.
Result<void> wait_for_gtids(SqlSession& session, const Flavor& flavor, const std::string& gtids,
                            milliseconds timeout) {
  if (gtids.empty()) return {};  // nothing to wait for
  const auto seconds = whole_seconds_up(timeout);
  auto rows = session.query(flavor.wait_for_gtids_sql(gtids, seconds));
  if (!rows) return rows.error();
  auto value = rows->scalar();
  if (!value) return make_error(Errc::sql, "waiting for {} returned NULL", gtids);
  std::int64_t result = 0;
  try {
    result = std::stoll(*value);
  } catch (...) {
    return make_error(Errc::parse, "waiting for {} returned '{}'", gtids, *value);
  }
  if (flavor.wait_timed_out(result))
    return make_error(Errc::timeout, "{} not executed within {}s", gtids, std::max<std::int64_t>(seconds.count(), 1));
  if (result != 0) return make_error(Errc::sql, "waiting for {} returned {}", gtids, result);
  return {};
}

// CHANGE MASTER for `flavor` towards `source`. An empty repl_password is
// MHA's "[, MASTER_PASSWORD]": the clause is left out, so the replica keeps
// the password it replicates with today (CHANGE MASTER keeps every option it
// is not given, on both flavors, even when the host changes). Flavor always
// writes the clause, so it is removed here from the exact text Flavor builds
// for an empty password.
std::string change_master(const Flavor& flavor, const ReplicationSource& source) {
  std::string sql = flavor.change_master_sql(source);
  if (!source.password.empty()) return sql;
  for (std::string_view clause : {", MASTER_PASSWORD=''", ", SOURCE_PASSWORD=''"})
    if (auto at = sql.find(clause); at != std::string::npos) {
      sql.erase(at, clause.size());
      break;
    }
  return sql;
}

class Run {
 public:
  Run(const ClusterConfig& config, std::size_t dead, const FailoverRequest& request, FailoverEnv& env)
      : m_config(config), m_dead(dead), m_request(request), m_env(env), m_sessions(config.servers.size()) {
    m_report.cluster = config.name;
    m_ssh_reachable = request.master_ssh_reachable;
  }

  FailoverReport run() {
    const auto started = SteadyClock::now();
    bool ok = phase(FailoverPhase::check, [&] { return check(); }) &&
              phase(FailoverPhase::fence, [&] { return fence(); }) &&
              phase(FailoverPhase::recover_master, [&] { return recover_master(); }) &&
              phase(FailoverPhase::recover_replicas, [&] { return recover_replicas(); }) &&
              phase(FailoverPhase::finish, [&] { return finish(); });
    (void)ok;
    for (auto& session : m_sessions)
      if (session) session->close();
    m_report.duration_ms = ms_since(started);
    log_notice({{"CLUSTER", m_config.name}, {"OLD_MASTER", m_report.old_master}, {"NEW_MASTER", m_report.new_master},
                {"DURATION_MS", std::to_string(m_report.duration_ms)}},
               "failover of cluster '{}' ('{}' -> '{}'): {}{}", m_config.name, m_report.old_master,
               m_report.new_master.empty() ? "?" : m_report.new_master, failover_result_name(m_report.result),
               m_report.refusal.empty() ? "" : ": " + m_report.refusal);
    return std::move(m_report);
  }

 private:
  const ServerConfig& server(std::size_t i) const { return m_config.servers[i]; }
  const std::string& name(std::size_t i) const { return m_config.servers[i].name; }

  template <typename Body>
  bool phase(FailoverPhase p, Body&& body) {
    m_phase = p;
    if (m_env.before_phase && !m_env.before_phase(p)) {
      m_report.result = FailoverResult::needs_operator;
      m_report.refusal = fmt::format("stopped before phase {}{}", phase_name(p), stop_advice(p));
      m_report.phases.push_back(PhaseRecord{p, 0, false, "not started: stopped before it"});
      return false;
    }
    if (m_env.progress) m_env.progress(p, "started", nlohmann::json::object());
    m_phase_detail.clear();
    const auto started = SteadyClock::now();
    const bool ok = body();
    PhaseRecord record{p, ms_since(started), ok, m_phase_detail};
    m_report.phases.push_back(record);
    if (m_env.progress)
      m_env.progress(p, "finished", {{"duration_ms", record.duration_ms}, {"ok", ok}, {"detail", record.detail}});
    return ok;
  }

  // What state a stop before phase `p` leaves the cluster in.
  std::string stop_advice(FailoverPhase p) const {
    switch (p) {
      case FailoverPhase::check: return ": nothing was changed";
      case FailoverPhase::fence: return ": nothing was changed; run mhactl failover to start again";
      case FailoverPhase::recover_master:
        return ": the replicas' IO threads are stopped and the VIP is released, no server was made writable; run "
               "mhactl failover to continue";
      case FailoverPhase::recover_replicas:
        return fmt::format(": '{}' is the new master and writable; point the other replicas at it (mhactl rejoin)",
                           m_report.new_master);
      case FailoverPhase::finish: return fmt::format(": '{}' is the new master, the replicas follow it; only the report is missing", m_report.new_master);
    }
    return "";
  }

  // Server error texts can quote a statement (MariaDB's "near '...'"), and
  // CHANGE MASTER carries the replication password: scrub both secrets from
  // everything that reaches the log, the report and the state file.
  std::string clean(std::string text) const {
    return scrub(scrub(std::move(text), m_config.repl_password), m_config.password);
  }

  bool stop(FailoverResult result, std::string why) {
    why = clean(std::move(why));
    m_report.result = result;
    m_report.refusal = why;
    m_phase_detail = std::move(why);
    log_warning({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "failover: {}",
                m_report.refusal);
    return false;
  }

  void step(std::string text) {
    text = clean(std::move(text));
    log_notice({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "{}", text);
    if (m_env.progress) m_env.progress(m_phase, "note", {{"text", text}});
    m_report.steps.push_back(std::move(text));
  }

  void note(std::string text) {
    text = clean(std::move(text));
    log_warning({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "{}", text);
    if (m_env.progress) m_env.progress(m_phase, "note", {{"text", text}, {"warning", true}});
    m_report.notes.push_back(std::move(text));
  }

  // A session for changing server i, with a read timeout above the longest
  // wait it will run. Opened once and kept for the rest of the failover.
  Result<SqlSession*> session(std::size_t i) {
    if (m_sessions[i] && m_sessions[i]->connected()) return m_sessions[i].get();
    if (!m_sessions[i]) m_sessions[i] = m_env.make_sql();
    if (!m_sessions[i]) return make_error(Errc::internal, "no SQL session available");
    const milliseconds longest = std::max(m_env.wait_timeout, m_env.replica_timeout) + k_read_timeout_margin;
    if (auto r = m_sessions[i]->connect(endpoint_of(m_config, server(i), std::max(m_config.read_timeout, longest))); !r)
      return r.error();
    return m_sessions[i].get();
  }

  Result<void> execute(std::size_t i, const std::string& sql) {
    auto s = session(i);
    if (!s) return s.error();
    return (*s)->execute(sql);
  }

  const Flavor& flavor(std::size_t i) const { return *m_obs[i].flavor; }

  ReplicationSource source_for(std::size_t replica, std::size_t source) const {
    ReplicationSource out;
    out.host = server(source).host;
    out.port = server(source).port;
    out.user = m_config.repl_user;
    if (out.user.empty() && m_obs[replica].replica) out.user = m_obs[replica].replica->master_user;
    out.password = m_config.repl_password.reveal();
    // caching_sha2_password (MySQL 8 default) without TLS needs the source's
    // RSA key; harmless otherwise, ignored by MariaDB and MySQL 5.7.
    out.get_public_key = true;
    return out;
  }

  // Reads servers `which` in parallel (at most k_parallel_checks at once),
  // each on a fresh connection with the monitoring timeouts.
  void read_servers(const std::vector<std::size_t>& which, bool fresh_sessions) {
    std::mutex mutex;
    for (std::size_t from = 0; from < which.size(); from += k_parallel_checks) {
      std::vector<std::thread> threads;
      for (std::size_t k = from; k < std::min(which.size(), from + k_parallel_checks); ++k) {
        const std::size_t i = which[k];
        threads.emplace_back([&, i] {
          ServerObservation previous;
          {
            std::lock_guard lock(mutex);
            previous = m_obs[i];
          }
          ServerObservation obs;
          if (fresh_sessions) {
            auto sql = m_env.make_sql();
            if (!sql) {
              obs = previous;
              obs.checked = true;
              obs.reachable = false;
              obs.error = make_error(Errc::internal, "no SQL session available");
            } else {
              SqlEndpoint endpoint = endpoint_of(m_config, server(i), m_config.read_timeout);
              if (i == m_dead) {
                // Already judged dead by the detector: this look only has to
                // catch a master that answers after all. A vanished host must
                // not cost a full connect timeout again.
                endpoint.connect_timeout = std::min(endpoint.connect_timeout, k_dead_master_look);
                endpoint.read_timeout = std::min(endpoint.read_timeout, k_dead_master_look);
              }
              obs = check_server(*sql, endpoint, MonoClock::now(), previous, true);
              sql->close();
            }
          } else {
            auto s = session(i);
            if (!s) {
              obs = previous;
              obs.checked = true;
              obs.reachable = false;
              obs.error = s.error();
            } else {
              obs = check_server(**s, endpoint_of(m_config, server(i), m_config.read_timeout), MonoClock::now(),
                                 previous, false);
            }
          }
          std::lock_guard lock(mutex);
          m_obs[i] = std::move(obs);
        });
      }
      for (auto& t : threads) t.join();
    }
  }

  std::optional<Exclusion> exclusion_of(const Readiness& r, std::size_t i) const {
    for (const auto& e : r.excluded)
      if (e.server == i) return e;
    return std::nullopt;
  }

  static bool takes_part(const std::optional<Exclusion>& e) {
    return !e || !(e->reason == "unreachable" || e->reason == "not_replicating" ||
                   e->reason == "replicates_elsewhere" || e->reason == "sql_thread_error");
  }

  // assess_failover with the request's overrides: force lifts the interval
  // guard and auto_failover; manual lifts auto_failover.
  Readiness assess(bool with_interval_guard) const {
    ClusterConfig effective = m_config;
    if (m_request.manual || m_request.force) effective.auto_failover = true;
    FailoverGuards guards;
    guards.now = std::chrono::system_clock::now();
    if (with_interval_guard && !m_request.force) guards.last_failover = m_request.last_failover;
    return assess_failover(effective, m_obs, m_dead, guards);
  }

  // Picks the new master and the most advanced replica from `r`, or stops.
  bool choose(const Readiness& r, bool after_fence) {
    const std::string when =
        after_fence ? " (after fencing: nothing was promoted; the replicas' IO threads are stopped and the VIP is "
                      "released; fix this, then run mhactl failover)"
                    : "";
    const FailoverResult fail_as = after_fence ? FailoverResult::failed : FailoverResult::refused;
    if (m_to) {
      if (auto e = exclusion_of(r, *m_to))
        return stop(fail_as, fmt::format("'{}' cannot be promoted: {} ({}){}", name(*m_to), e->reason, e->detail, when));
    }
    if (!r.blockers.empty()) {
      std::string list;
      for (const auto& b : r.blockers) list += (list.empty() ? "" : "; ") + b;
      return stop(fail_as, fmt::format("{}{}", list, when));
    }
    if (!r.most_advanced)
      return stop(fail_as, fmt::format("cannot tell which replica is most advanced (no GTIDs, no binlog "
                                       "coordinates): mhad fails over GTID replication only{}",
                                       when));
    const std::size_t chosen = m_to ? *m_to : *r.candidate;
    const std::size_t latest = *r.most_advanced;
    // Without GTIDs there is nothing to wait for: a replica would be promoted
    // (and its relay log thrown away by RESET) before it applied everything.
    if (received_gtids(m_obs[latest]).empty())
      return stop(fail_as, fmt::format("the most advanced replica '{}' reports no GTIDs: mhad fails over GTID "
                                       "replication only (MariaDB: gtid_slave_pos; MySQL: gtid_mode=ON){}",
                                       name(latest), when));
    if (chosen != latest &&
        (variable_off(m_obs[latest], "log_slave_updates") || variable_off(m_obs[latest], "log_replica_updates")))
      return stop(fail_as,
                  fmt::format("'{}' would have to be caught up from the most advanced replica '{}', whose "
                              "log_slave_updates is off: its binlog lacks the replicated transactions. Promote '{}' "
                              "(mhactl failover --to {}) or enable log_slave_updates on it{}",
                              name(chosen), name(latest), name(latest), name(latest), when));
    if (m_new && *m_new != chosen) note(fmt::format("new master changed after fencing: '{}' instead of '{}'", name(chosen), name(*m_new)));
    m_new = chosen;
    m_latest = latest;
    m_rule = m_to ? "requested with --to" : r.rule;
    m_report.new_master = name(chosen);
    m_alive.clear();
    for (std::size_t i = 0; i < m_config.servers.size(); ++i)
      if (i != m_dead && takes_part(exclusion_of(r, i))) m_alive.push_back(i);
    return true;
  }

  // --- phase 1 ---------------------------------------------------------------
  bool check() {
    if (m_dead >= m_config.servers.size())
      return stop(FailoverResult::refused, fmt::format("the dead master is not a server of cluster '{}'", m_config.name));
    m_report.old_master = name(m_dead);
    step(fmt::format("Master {} is down!{}", address(server(m_dead)),
                     m_request.evidence.empty() ? "" : " (" + m_request.evidence + ")"));
    step(m_request.manual ? "Started manual failover." : "Started automated(non-interactive) failover.");
    if (!m_request.to.empty()) {
      for (std::size_t i = 0; i < m_config.servers.size(); ++i)
        if (name(i) == m_request.to) m_to = i;
      if (!m_to)
        return stop(FailoverResult::refused,
                    fmt::format("no server '{}' in cluster '{}'", m_request.to, m_config.name));
      if (*m_to == m_dead)
        return stop(FailoverResult::refused, fmt::format("'{}' is the dead master: it cannot be promoted", m_request.to));
    }

    m_obs.assign(m_config.servers.size(), ServerObservation{});
    if (m_request.master_last_seen) m_obs[m_dead] = *m_request.master_last_seen;
    std::vector<std::size_t> all(m_config.servers.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    read_servers(all, true);

    if (m_obs[m_dead].reachable)
      return stop(FailoverResult::refused,
                  fmt::format("master '{}' answers: it is not dead; use mhactl switchover", name(m_dead)));
    // MHA's ALIVE_ERROR_CODES: a server that refuses us by name or for lack
    // of connections is running, not dead.
    if (const auto& e = m_obs[m_dead].error; e && (e->code == Errc::auth || e->code == Errc::too_many_connections))
      return stop(FailoverResult::refused,
                  fmt::format("master '{}' answers ({}): it is not dead; fix the access or use mhactl switchover",
                              name(m_dead), e->message));
    if (!m_obs[m_dead].flavor && m_request.master_last_seen) m_obs[m_dead].flavor = m_request.master_last_seen->flavor;
    // An operator's failover of a master that only mhad cannot reach would
    // make two writable masters. The detector weighs this for automatic
    // failovers; a manual one asks the replicas once more.
    if (m_request.manual && !m_request.force)
      for (std::size_t i = 0; i < m_obs.size(); ++i) {
        const auto& replica = m_obs[i].replica;
        if (i == m_dead || !m_obs[i].reachable || !replica) continue;
        const ServerConfig& dead = server(m_dead);
        const bool from_dead = (replica->master_host == dead.host || replica->master_host == dead.ip) &&
                               replica->master_port == dead.port;
        if (from_dead && replica->io_running == ReplicaStatus::ThreadState::yes)
          return stop(FailoverResult::refused,
                      fmt::format("replica '{}' is still connected to master '{}' (Slave_IO_Running=Yes): the master "
                                  "may be alive and cut off from mhad only. If its host is really gone (a replica "
                                  "notices only after slave_net_timeout), run mhactl failover --force",
                                  name(i), name(m_dead)));
      }

    Readiness r = assess(true);
    if (!choose(r, false)) return false;
    for (const auto& e : r.excluded)
      if (!takes_part(e)) note(fmt::format("'{}' is left out: {} ({})", name(e.server), e.reason, e.detail));
    step(fmt::format("The latest slave {} has all relay logs for recovery.", address(server(*m_latest))));
    step(fmt::format("Selected {} as a new master ({}).", address(server(*m_new)), m_rule));
    m_phase_detail = fmt::format("new master '{}' ({}), most advanced '{}'", name(*m_new), m_rule, name(*m_latest));
    return true;
  }

  // --- phase 2 ---------------------------------------------------------------
  bool fence() {
    // No replica may reconnect to a master that comes back.
    // In parallel: an IO thread stuck connecting to a vanished host delays
    // its STOP until its connect times out (slave_net_timeout), so one wait
    // for all, not one per replica.
    std::vector<Result<void>> stopped(m_alive.size(), Result<void>{});
    {
      std::vector<std::thread> threads;
      for (std::size_t k = 0; k < m_alive.size(); ++k)
        threads.emplace_back([&, k] { stopped[k] = execute(m_alive[k], flavor(m_alive[k]).stop_io_thread_sql()); });
      for (auto& t : threads) t.join();
    }
    std::vector<std::size_t> kept;
    for (std::size_t k = 0; k < m_alive.size(); ++k) {
      const std::size_t i = m_alive[k];
      const auto& r = stopped[k];
      if (r) {
        kept.push_back(i);
        continue;
      }
      std::string what = fmt::format("cannot stop the IO thread on '{}': {}", name(i), r.error().message);
      if (server(i).ignore_fail && i != *m_new) {
        note(what + " (ignore_fail: left out)");
        continue;
      }
      return stop(FailoverResult::failed, what + "; nothing was promoted");
    }
    m_alive = kept;
    step(fmt::format("Stopped the IO thread on {} replica{}.", m_alive.size(), m_alive.size() == 1 ? "" : "s"));

    const ServerConfig& old = server(m_dead);
    if (m_env.vip) {
      VipOutcome v = m_env.vip->release(old, m_ssh_reachable);
      if (!v.ok && !v.warning)
        return stop(FailoverResult::failed,
                    fmt::format("cannot take the VIP off '{}': {}; nothing was promoted (clients may still reach "
                                "the old master: take it off by hand, then mhactl failover)",
                                old.name, v.detail));
      if (v.warning) note(fmt::format("VIP release on '{}' warned: {}", old.name, v.detail));
      step(fmt::format("Invalidated master IP address on {} ({}).", address(old), v.detail));
    } else {
      note("no VIP configured: clients must find the new master by themselves");
    }

    if (m_env.shutdown) {
      ScriptResult s = m_env.shutdown(old, m_ssh_reachable);
      if (s.started && !s.timed_out && s.signal == 0 && s.exit_code == 0) {
        m_powered_off = true;
        m_ssh_reachable = false;  // MHA: powered off, its binlog cannot be read any more
        step(fmt::format("Power off {} done.", address(old)));
      } else if (s.started && !s.timed_out && s.signal == 0 && s.exit_code == 10) {
        m_killed = true;
        step(fmt::format("{}: SSH reachable. Shutting down mysqld done.", address(old)));
      } else {
        std::string why = !s.started  ? s.error
                          : s.timed_out ? "timed out"
                          : s.signal    ? fmt::format("killed by signal {}", s.signal)
                                        : fmt::format("exit {}", s.exit_code);
        return stop(FailoverResult::failed, fmt::format("shutdown_script failed on '{}': {}{}; nothing was promoted",
                                                        old.name, why, s.output.empty() ? "" : ": " + s.output));
      }
    }

    if (m_request.master_frozen && !m_powered_off && !m_killed) {
      if (!m_ssh_reachable)
        return stop(FailoverResult::needs_operator,
                    fmt::format("cannot fence the frozen master: '{}' does not answer SSH and may wake up — kill "
                                "it or power it off, then mhactl failover",
                                old.name));
      if (m_request.master_pids.empty())
        return stop(FailoverResult::needs_operator,
                    fmt::format("cannot fence the frozen master: no mysqld pid known on '{}' — kill it or power it "
                                "off, then mhactl failover",
                                old.name));
      if (auto why = kill_frozen(old); !why.empty())
        return stop(FailoverResult::needs_operator,
                    fmt::format("cannot fence the frozen master: {} — kill it or power it off, then mhactl failover",
                                why));
    }
    return true;
  }

  // "" when every pid is gone, else why not.
  std::string kill_frozen(const ServerConfig& old) {
    std::shared_ptr<RemoteShell> shell = master_shell();
    if (!shell) return fmt::format("no SSH session to '{}'", old.name);
    for (int pid : m_request.master_pids) {
      // mysqld runs as another user: a non-root ssh_user needs sudo (as for the VIP).
      const std::string sudo = old.ssh_user.empty() || old.ssh_user == "root" ? "" : "sudo -n ";
      auto r = shell->run(fmt::format("{}kill -9 {}", sudo, pid), m_env.kill_timeout);
      if (!r) return fmt::format("kill -9 {} on '{}': {}", pid, old.name, r.error().message);
    }
    const auto deadline = SteadyClock::now() + m_env.kill_timeout;
    for (int pid : m_request.master_pids) {
      for (;;) {
        auto r = shell->run(fmt::format("kill -0 {}", pid), m_env.kill_timeout);
        if (!r) return fmt::format("kill -0 {} on '{}': {}", pid, old.name, r.error().message);
        // kill -0 fails for a pid that is gone ("No such process"), but also
        // when not permitted: that one proves nothing.
        if (r->exit_status != 0 && r->err.find("not permitted") == std::string::npos) break;
        if (SteadyClock::now() >= deadline)
          return fmt::format("process {} on '{}' still exists {}ms after kill -9{}", pid, old.name,
                             m_env.kill_timeout.count(), r->err.empty() ? "" : " (" + r->err + ")");
        std::this_thread::sleep_for(m_env.poll_interval);
      }
    }
    step(fmt::format("Killed the frozen mysqld on {} (pid {}).", address(old),
                     fmt::join(m_request.master_pids, ", ")));
    return "";
  }

  // --- phase 3 ---------------------------------------------------------------
  bool recover_master() {
    read_servers(m_alive, false);
    if (!choose(assess(false), true)) return false;
    const std::size_t n = *m_new;
    const std::size_t latest = *m_latest;
    const std::string received = received_gtids(m_obs[latest]);
    step(fmt::format("The most advanced replica {} received {}.", address(server(latest)),
                     received.empty() ? "(no GTIDs)" : received));

    salvage(received);
    if (!data_loss_gate()) return false;

    // A SQL thread stopped without an error is started (MHA does the same).
    for (std::size_t i : std::set<std::size_t>{n, latest})
      if (m_obs[i].replica && !m_obs[i].replica->sql_running)
        if (auto r = execute(i, flavor(i).start_sql_thread_sql()); !r)
          return stop(FailoverResult::failed, fmt::format("cannot start the SQL thread on '{}': {}; nothing was promoted",
                                                          name(i), r.error().message));

    if (n != latest) {
      if (auto r = wait_applied(latest, received); !r)
        return stop(FailoverResult::failed,
                    fmt::format("the most advanced replica '{}' did not apply its relay log: {}; nothing was promoted",
                                name(latest), r.error().message));
      const Flavor& f = flavor(n);
      auto caught_up = [&]() -> Result<void> {
        if (auto r = execute(n, f.stop_replica_sql()); !r) return r.error().with_context("STOP");
        if (auto r = execute(n, change_master(f, source_for(n, latest))); !r)
          return r.error().with_context("CHANGE MASTER to '{}'", name(latest));
        if (auto r = execute(n, f.start_replica_sql()); !r) return r.error().with_context("START");
        if (auto r = wait_applied(n, received); !r) return r;
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
        if (const std::string relax = flavor(n).admin_writes_sql(); !relax.empty())
          if (auto r = execute(n, relax); !r)
            return stop(FailoverResult::needs_operator,
                        fmt::format("cannot lower super_read_only on '{}' to apply the salvaged events: {}; it is "
                                    "caught up but not writable",
                                    name(n), r.error().message));
        const ServerConfig& s = server(n);
        auto r = m_env.apply_salvaged(m_salvaged_sql, s.ip.empty() ? s.host : s.ip, s.port, m_config.user,
                                      m_config.password.reveal(), m_env.wait_timeout);
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
      if (rows && !rows->rows.empty()) m_new_master_gtids = rows->rows[0][0].value_or("");
      else note(fmt::format("cannot read the GTIDs of '{}': replicas will not be waited for", name(n)));
    }

    if (m_env.vip) {
      VipOutcome v = m_env.vip->acquire(server(m_dead), server(n));
      if (!v.ok && !v.warning) {
        m_vip_failed = true;
        note(fmt::format("VIP not moved to '{}': {}", name(n), v.detail));
      } else {
        if (v.warning) note(fmt::format("VIP move to '{}' warned: {}", name(n), v.detail));
        step(fmt::format("{}: OK: Activated master IP address ({}).", address(server(n)), v.detail));
      }
    }
    m_phase_detail = fmt::format("'{}' promoted{}", name(n),
                                 m_new_master_gtids.empty() ? "" : " at " + m_new_master_gtids);
    return true;
  }

  // Just before the new master takes writes. A crashed mysqld restarted by
  // its service manager (Debian's mariadb.service restarts on abort) may be
  // back by now, writable, taking direct connections: it must be read-only
  // before anyone else is writable. Only where the host answered SSH: a
  // vanished host would only cost a connect timeout here.
  bool fence_old_master_if_back() {
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

  Result<void> wait_applied(std::size_t i, const std::string& gtids) {
    auto s = session(i);
    if (!s) return s.error();
    return wait_for_gtids(**s, flavor(i), gtids, m_env.wait_timeout);
  }

  // Reads what the dead master has past `received` from its binlog, or
  // records why it could not and what that risks (m_report.lost_writes_risk,
  // m_loss_possible).
  void salvage(const std::string& received) {
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
    SalvageResult s = m_env.salvage(*shell, req);
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
  std::shared_ptr<RemoteShell> master_shell() {
    if (m_request.master_shell) return m_request.master_shell;
    if (!m_env.make_shell) return nullptr;
    return m_env.make_shell(server(m_dead));
  }

  static std::string semi_sync_status(const ServerObservation& obs) {
    std::string value = obs.status_value("Rpl_semi_sync_master_status");
    if (value.empty()) value = obs.status_value("Rpl_semi_sync_source_status");
    return value;
  }

  // on_possible_data_loss = "abort": stop before anything is promoted.
  // --force accepts the risk.
  bool data_loss_gate() {
    if (!m_loss_possible || m_config.on_possible_data_loss != DataLossPolicy::abort || m_request.force) return true;
    return stop(FailoverResult::needs_operator,
                fmt::format("acknowledged writes may be lost ({}) and on_possible_data_loss = \"abort\": nothing was "
                            "promoted; the replicas' IO threads are stopped. Bring the master's host back and run "
                            "mhactl failover (its binlog is then read), or accept the loss: mhactl failover --force",
                            m_report.lost_writes_risk));
  }

  // --- phase 4 ---------------------------------------------------------------
  struct Outcome {
    std::size_t server = 0;
    std::string error;  // "" = recovered
  };

  bool recover_replicas() {
    std::vector<std::size_t> others;
    for (std::size_t i : m_alive)
      if (i != *m_new) others.push_back(i);
    std::vector<Outcome> outcomes(others.size());
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < others.size(); ++k)
      threads.emplace_back([&, k] { outcomes[k] = Outcome{others[k], recover_replica(others[k])}; });
    for (auto& t : threads) t.join();

    for (const Outcome& o : outcomes) {
      if (o.error.empty()) {
        m_report.recovered_replicas.push_back(name(o.server));
        step(fmt::format("{}: OK: Slave started, replicating from {}.", address(server(o.server)),
                         address(server(*m_new))));
      } else if (server(o.server).ignore_fail) {
        note(fmt::format("'{}' not recovered (ignore_fail): {}", name(o.server), o.error));
      } else {
        m_report.failed_replicas.push_back(fmt::format("{}: {}", name(o.server), o.error));
        note(fmt::format("{}: ERROR: {}", address(server(o.server)), o.error));
      }
    }
    note(fmt::format("old master '{}' was not repointed (it is dead): mhactl rejoin {} when it is back", name(m_dead),
                     name(m_dead)));
    m_phase_detail = fmt::format("{} recovered, {} failed", m_report.recovered_replicas.size(),
                                 m_report.failed_replicas.size());
    return true;
  }

  // Runs on its own thread: touches only m_sessions[i] and reads shared
  // state that no other thread writes during this phase.
  std::string recover_replica(std::size_t i) {
    auto s = session(i);
    if (!s) return s.error().message;
    SqlSession& sql = **s;
    const Flavor& f = flavor(i);
    if (auto r = sql.execute(f.stop_replica_sql()); !r) return "STOP failed: " + r.error().message;
    if (auto r = sql.execute(change_master(f, source_for(i, *m_new))); !r)
      return "CHANGE MASTER failed: " + r.error().message;
    if (auto r = sql.execute(f.start_replica_sql()); !r) return "START failed: " + r.error().message;
    const auto deadline = SteadyClock::now() + m_env.replica_timeout;
    std::string last;
    for (;;) {
      auto rows = sql.query(f.replica_status_sql());
      if (!rows) return "reading replica status failed: " + rows.error().message;
      if (rows->rows.empty()) return "no replication configured after START";
      auto status = parse_replica_status(rows->row_map(0));
      if (!status) return status.error().message;
      if (status->replicating()) break;
      if (!status->sql_running && status->last_sql_errno != 0)
        return fmt::format("SQL thread stopped: Last_SQL_Error {}: {}", status->last_sql_errno, status->last_sql_error);
      last = status->last_io_errno ? fmt::format("; Last_IO_Error {}: {}", status->last_io_errno, status->last_io_error)
                                   : "";
      if (SteadyClock::now() >= deadline)
        return fmt::format("replication threads not running after {}ms{}", m_env.replica_timeout.count(), last);
      std::this_thread::sleep_for(m_env.poll_interval);
    }
    auto left = duration_cast<milliseconds>(deadline - SteadyClock::now());
    if (auto r = wait_for_gtids(sql, f, m_new_master_gtids, std::max(left, milliseconds(1000))); !r)
      return "waiting for the new master's GTIDs: " + r.error().message;
    return "";
  }

  // --- phase 5 ---------------------------------------------------------------
  bool finish() {
    if (m_env.vip && !m_vip_failed) verify_vip();
    m_report.result = m_report.failed_replicas.empty() && !m_vip_failed ? FailoverResult::completed
                                                                        : FailoverResult::completed_with_errors;
    if (m_report.lost_writes_risk.empty()) m_report.lost_writes_risk = "none known";
    m_phase_detail = std::string(failover_result_name(m_report.result));
    return true;
  }

  // Connects through the VIP and checks that it lands on the new master (by
  // server_id): the failover is complete only when clients reach it. ARP
  // caches may still point at the old host for a moment, hence the retries.
  void verify_vip() {
    if (!m_config.vip || m_config.vip->address.empty()) {
      note("VIP not verified: no [vip] address in the configuration");
      return;
    }
    const std::string vip = m_config.vip->address.substr(0, m_config.vip->address.find('/'));
    const ServerConfig& n = server(*m_new);
    SqlEndpoint through_vip = endpoint_of(m_config, n, m_env.vip_verify_timeout);
    through_vip.host = vip;
    through_vip.connect_timeout = m_env.vip_verify_timeout;
    const std::uint32_t expected = m_obs[*m_new].server_id;
    const auto deadline = SteadyClock::now() + m_env.vip_verify_timeout;
    std::string last;
    for (;;) {
      auto sql = m_env.make_sql();
      if (!sql) break;
      if (auto c = sql->connect(through_vip); !c) {
        last = c.error().message;
      } else if (auto rows = sql->query(Flavor::server_id_sql()); !rows || rows->rows.empty()) {
        last = rows ? "no answer to SELECT @@server_id" : rows.error().message;
      } else {
        const std::string id = rows->rows[0][0].value_or("");
        sql->close();
        if (id == std::to_string(expected)) {
          step(fmt::format("{}: connected through the VIP {}: server_id {}, the new master.", address(n), vip, id));
          return;
        }
        last = fmt::format("it leads to server_id {}, not {} ('{}')", id, expected, n.name);
      }
      if (SteadyClock::now() >= deadline) break;
      std::this_thread::sleep_for(m_env.poll_interval * 2);
    }
    m_vip_failed = true;
    note(fmt::format("VIP check failed: a connection to {}:{} does not reach the new master '{}' within {}ms: {}", vip,
                     n.port, n.name, m_env.vip_verify_timeout.count(), last));
  }

  const ClusterConfig& m_config;
  const std::size_t m_dead;
  const FailoverRequest& m_request;
  FailoverEnv& m_env;
  FailoverReport m_report;
  std::vector<ServerObservation> m_obs;
  std::vector<std::unique_ptr<SqlSession>> m_sessions;
  std::vector<std::size_t> m_alive;  // replicas taking part, config order
  std::optional<std::size_t> m_to, m_new, m_latest;
  std::string m_rule;
  FailoverPhase m_phase = FailoverPhase::check;
  std::string m_phase_detail;
  bool m_ssh_reachable = false;
  bool m_powered_off = false;
  bool m_killed = false;
  bool m_vip_failed = false;
  bool m_loss_possible = false;
  std::string m_salvaged_sql;
  std::string m_new_master_gtids;
};

}  // namespace

std::string_view phase_name(FailoverPhase phase) {
  switch (phase) {
    case FailoverPhase::check: return "check";
    case FailoverPhase::fence: return "fence";
    case FailoverPhase::recover_master: return "recover_master";
    case FailoverPhase::recover_replicas: return "recover_replicas";
    case FailoverPhase::finish: return "finish";
  }
  return "unknown";
}

std::string_view failover_result_name(FailoverResult result) {
  switch (result) {
    case FailoverResult::completed: return "completed";
    case FailoverResult::completed_with_errors: return "completed_with_errors";
    case FailoverResult::refused: return "refused";
    case FailoverResult::failed: return "failed";
    case FailoverResult::needs_operator: return "needs_operator";
  }
  return "unknown";
}

nlohmann::json FailoverReport::to_json() const {
  nlohmann::json phases_json = nlohmann::json::array();
  for (const auto& p : phases)
    phases_json.push_back(
        {{"phase", phase_name(p.phase)}, {"duration_ms", p.duration_ms}, {"ok", p.ok}, {"detail", p.detail}});
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"cluster", cluster},
          {"result", failover_result_name(result)},
          {"old_master", or_null(old_master)},
          {"new_master", or_null(new_master)},
          {"refusal", or_null(refusal)},
          {"promoted", promoted},
          {"phases", phases_json},
          {"steps", steps},
          {"recovered_replicas", recovered_replicas},
          {"failed_replicas", failed_replicas},
          {"notes", notes},
          {"lost_writes_risk", lost_writes_risk},
          {"last_master_gtid", or_null(last_master_gtid)},
          {"salvaged_transactions", salvaged_transactions},
          {"duration_ms", duration_ms}};
}

std::string FailoverReport::text() const {
  std::string out = "----- Failover Report -----\n\n";
  const bool done = result == FailoverResult::completed || result == FailoverResult::completed_with_errors;
  out += fmt::format("{}: Master failover {}{} {}\n\n", cluster, old_master.empty() ? "(unknown)" : old_master,
                     new_master.empty() ? "" : " to " + new_master,
                     done ? "succeeded" : std::string(failover_result_name(result)));
  for (const auto& s : steps) out += s + "\n";
  if (!phases.empty()) {
    out += "\nPhases:";
    for (const auto& p : phases)
      out += fmt::format(" {} {}ms{}", phase_name(p.phase), p.duration_ms, p.ok ? "" : " (stopped)");
    out += fmt::format(", total {}ms\n", duration_ms);
  }
  if (!lost_writes_risk.empty()) out += "Lost writes risk: " + lost_writes_risk + "\n";
  if (salvaged_transactions)
    out += fmt::format("Salvaged transactions: {} (last {})\n", salvaged_transactions, last_master_gtid);
  else if (!last_master_gtid.empty())
    out += fmt::format("Last GTID known on the old master: {}\n", last_master_gtid);
  if (!recovered_replicas.empty()) out += fmt::format("Recovered replicas: {}\n", fmt::join(recovered_replicas, ", "));
  for (const auto& f : failed_replicas) out += "Failed replica: " + f + "\n";
  for (const auto& n : notes) out += "Note: " + n + "\n";
  switch (result) {
    case FailoverResult::completed:
      out += fmt::format("Master failover to {} completed successfully.\n", new_master);
      break;
    case FailoverResult::completed_with_errors:
      out += fmt::format("Master failover to {} done with errors (see the failed replicas and notes above).\n",
                         new_master);
      break;
    case FailoverResult::refused: out += "Failover refused: " + refusal + "\n"; break;
    case FailoverResult::failed: out += "Failover failed: " + refusal + "\n"; break;
    case FailoverResult::needs_operator: out += "Failover needs an operator: " + refusal + "\n"; break;
  }
  return out;
}

FailoverReport run_failover(const ClusterConfig& config, std::size_t dead_master, const FailoverRequest& request,
                            FailoverEnv& env) {
  return Run(config, dead_master, request, env).run();
}

}  // namespace mha
