// Failover of a dead master: see failover.h for the phases and invariants.
// This file: the phase sequence (run) and phase 1, check.
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

FailoverReport FailoverRun::run() {
  const auto started = m_clock.now();
  if (m_request.resume_from) {
    // What another instance left after the promotion (failover_resume.cpp).
    // It persisted a phase after recover_master, so it did make the new
    // master writable: the report says so from the start, and every phase
    // persisted from here on names it again.
    m_report.old_master = m_dead < m_config.servers.size() ? name(m_dead) : "";
    m_report.new_master = m_request.resume_new_master;
    m_report.promoted = true;
    if (*m_request.resume_from == FailoverPhase::recover_replicas)
      (void)(phase(FailoverPhase::recover_replicas, [&] { return resume_check() && recover_replicas(); }) &&
             phase(FailoverPhase::finish, [&] { return finish(); }));
    else
      (void)phase(FailoverPhase::finish, [&] { return resume_check() && finish(); });
  } else {
    bool ok = phase(FailoverPhase::check, [&] { return check(); }) &&
              phase(FailoverPhase::fence, [&] { return fence(); }) &&
              phase(FailoverPhase::recover_master, [&] { return recover_master(); }) &&
              phase(FailoverPhase::recover_replicas, [&] { return recover_replicas(); }) &&
              phase(FailoverPhase::finish, [&] { return finish(); });
    (void)ok;
  }
  m_sessions.close_all();
  m_report.duration_ms = ms_since(started);
  log_notice({{"CLUSTER", m_config.name}, {"OLD_MASTER", m_report.old_master}, {"NEW_MASTER", m_report.new_master},
              {"DURATION_MS", std::to_string(m_report.duration_ms)}},
             "failover of cluster '{}' ('{}' -> '{}'): {}{}", m_config.name, m_report.old_master,
             m_report.new_master.empty() ? "?" : m_report.new_master, failover_result_name(m_report.result),
             m_report.refusal.empty() ? "" : ": " + m_report.refusal);
  return std::move(m_report);
}

template <typename Body>
bool FailoverRun::phase(FailoverPhase p, Body&& body) {
  m_phase = p;
  if (m_env.before_phase && !m_env.before_phase(p, m_report.promoted ? m_report.new_master : std::string())) {
    m_report.result = FailoverResult::needs_operator;
    m_report.refusal = fmt::format("stopped before phase {}{}", phase_name(p), stop_advice(p));
    m_report.phases.push_back(PhaseRecord{p, 0, false, "not started: stopped before it"});
    return false;
  }
  if (m_env.progress) m_env.progress(p, "started", nlohmann::json::object());
  m_phase_detail.clear();
  const auto started = m_clock.now();
  const bool ok = body();
  PhaseRecord record{p, ms_since(started), ok, m_phase_detail};
  m_report.phases.push_back(record);
  if (m_env.progress)
    m_env.progress(p, "finished", {{"duration_ms", record.duration_ms}, {"ok", ok}, {"detail", record.detail}});
  return ok;
}

// What state a stop before phase `p` leaves the cluster in.
std::string FailoverRun::stop_advice(FailoverPhase p) const {
  switch (p) {
    case FailoverPhase::check: return ": nothing was changed";
    case FailoverPhase::fence: return ": nothing was changed; run mhactl failover to start again";
    case FailoverPhase::recover_master:
      return ": the replicas' IO threads are stopped and the VIP is released (or, with the old mysqld gone, left "
             "on its host until promotion), no server was made writable; run "
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
std::string FailoverRun::clean(std::string text) const {
  return scrub_secrets(std::move(text), m_config);
}

bool FailoverRun::stop(FailoverResult result, std::string why) {
  why = clean(std::move(why));
  m_report.result = result;
  m_report.refusal = why;
  m_phase_detail = std::move(why);
  log_warning({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "failover: {}",
              m_report.refusal);
  return false;
}

void FailoverRun::step(std::string text) {
  text = clean(std::move(text));
  log_notice({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "{}", text);
  if (m_env.progress) m_env.progress(m_phase, "note", {{"text", text}});
  m_report.steps.push_back(std::move(text));
}

std::optional<milliseconds> FailoverRun::under_lease(std::string_view what, milliseconds wanted) {
  auto budget = m_env.lease.budget(wanted, m_clock.now(), what);
  if (budget) return *budget;
  stop(FailoverResult::needs_operator,
       fmt::format("{}; this instance stopped in phase {}{}", budget.error().message, phase_name(m_phase),
                   m_report.promoted ? fmt::format(" after promoting '{}'", m_report.new_master)
                                     : std::string(", nothing promoted")));
  return std::nullopt;
}

Result<void> FailoverRun::wait_gtids_under_lease(std::size_t i, const std::string& gtids, milliseconds total) {
  auto s = session(i);
  if (!s) return s.error();
  SqlSession& sql = **s;
  const bool sliced = m_env.lease.bounded();
  return m_env.lease.wait(total, k_lease_wait_slice, m_env.poll_interval, m_clock,
                          fmt::format("waiting for '{}' to execute {}", name(i), gtids), [&](milliseconds slice) {
                            // Whole seconds, rounded down: never past the lease.
                            return wait_for_gtids(sql, flavor(i), gtids,
                                                  sliced ? std::chrono::floor<std::chrono::seconds>(slice) : slice);
                          });
}

void FailoverRun::note(std::string text) {
  text = clean(std::move(text));
  log_warning({{"CLUSTER", m_config.name}, {"PHASE", std::string(phase_name(m_phase))}}, "{}", text);
  if (m_env.progress) m_env.progress(m_phase, "note", {{"text", text}, {"warning", true}});
  m_report.notes.push_back(std::move(text));
}

ReplicationSource FailoverRun::source_for(std::size_t replica, std::size_t source) const {
  return replication_source(m_config, server(source), server(replica), m_obs[replica]);
}

// Reads servers `which` in parallel (at most k_parallel_checks at once),
// each on a fresh connection with the monitoring timeouts.
void FailoverRun::read_servers(const std::vector<std::size_t>& which, bool fresh_sessions) {
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
        if (fresh_sessions && i == m_dead && !m_request.manual && m_request.master_frozen) {
          // Frozen: its port accepts and nothing answers; an SQL look would
          // only wait its whole connect timeout. The fence kills it.
          obs = previous;
          obs.checked = true;
          obs.reachable = false;
          obs.error = make_error(Errc::timeout, "frozen (the detector's verdict): the port accepts, the server does not answer");
          std::lock_guard lock(mutex);
          m_obs[i] = std::move(obs);
          return;
        }
        if (fresh_sessions && i == m_dead && !m_request.manual && m_env.tcp_probe) {
          // The detector declared it dead milliseconds ago; this look only
          // has to catch one that answers after all, and a port that does
          // not even accept a TCP connect within 200 ms does not.
          const ServerConfig& s = server(i);
          TcpState tcp = m_env.tcp_probe(s.ip.empty() ? s.host : s.ip, s.port, k_dead_master_tcp_look);
          if (tcp != TcpState::accepts) {
            obs = previous;
            obs.checked = true;
            obs.reachable = false;
            obs.error = make_error(tcp == TcpState::refused ? Errc::refused : Errc::timeout,
                                   "TCP connect to {}:{}: {}", s.ip.empty() ? s.host : s.ip, s.port,
                                   tcp_state_name(tcp));
            std::lock_guard lock(mutex);
            m_obs[i] = std::move(obs);
            return;
          }
        }
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

std::optional<Exclusion> FailoverRun::exclusion_of(const Readiness& r, std::size_t i) const {
  for (const auto& e : r.excluded)
    if (e.server == i) return e;
  return std::nullopt;
}

// assess_failover with the request's overrides: force lifts the interval
// guard and auto_failover; manual lifts auto_failover.
Readiness FailoverRun::assess(bool with_interval_guard) const {
  ClusterConfig effective = m_config;
  if (m_request.manual || m_request.force) effective.auto_failover = true;
  FailoverGuards guards;
  guards.now = std::chrono::system_clock::now();
  if (with_interval_guard && !m_request.force) guards.last_failover = m_request.last_failover;
  return assess_failover(effective, m_obs, m_dead, guards);
}

// Picks the new master and the most advanced replica from `r`, or stops.
bool FailoverRun::choose(const Readiness& r, bool after_fence) {
  const std::string when =
      after_fence ? " (after fencing: nothing was promoted; the replicas' IO threads are stopped and the VIP is "
                    "released; fix this, then run mhactl failover)"
                  : "";
  const FailoverResult fail_as = after_fence ? FailoverResult::failed : FailoverResult::refused;
  if (m_to) {
    if (auto e = exclusion_of(r, *m_to))
      return stop(fail_as, fmt::format("'{}' cannot be promoted: {} ({}){}", name(*m_to),
                                       exclusion_reason_name(e->reason), e->detail, when));
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
bool FailoverRun::check() {
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
  if (const auto& e = m_obs[m_dead].error;
      e && (e->code == Errc::auth || e->code == Errc::too_many_connections || e->code == Errc::tls))
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
    if (!takes_part(e)) note(fmt::format("'{}' is left out: {} ({})", name(e.server), exclusion_reason_name(e.reason), e.detail));
  step(fmt::format("The latest slave {} has all relay logs for recovery.", address(server(*m_latest))));
  step(fmt::format("Selected {} as a new master ({}).", address(server(*m_new)), m_rule));
  m_phase_detail = fmt::format("new master '{}' ({}), most advanced '{}'", name(*m_new), m_rule, name(*m_latest));
  return true;
}

}  // namespace mha::failover_detail

namespace mha {

FailoverReport run_failover(const ClusterConfig& config, std::size_t dead_master, const FailoverRequest& request,
                            FailoverEnv& env) {
  return failover_detail::FailoverRun(config, dead_master, request, env).run();
}

}  // namespace mha
