// Rejoin of a server as a replica: see rejoin.h for the phases.
#include "daemon/rejoin/rejoin.h"

#include "common/gtid.h"
#include "daemon/operations/server_sessions.h"
#include "daemon/server_read.h"

#include <fmt/format.h>

namespace mha {

Result<std::string> errant_transactions(const Flavor& flavor, const std::string& server_gtids,
                                        const std::string& reference) {
  if (flavor.is_mariadb()) {
    auto mine = GtidPosition::parse(server_gtids);
    if (!mine) return mine.error().with_context("the server's GTID position");
    auto theirs = GtidPosition::parse(reference);
    if (!theirs) return theirs.error().with_context("the master's GTID position");
    return mine->errant_against(*theirs).to_string();
  }
  auto mine = GtidSet::parse(server_gtids);
  if (!mine) return mine.error().with_context("the server's GTID set");
  auto theirs = GtidSet::parse(reference);
  if (!theirs) return theirs.error().with_context("the master's GTID set");
  return mine->subtract(*theirs).to_string();
}

std::string rebuild_advice(const Flavor& flavor, const ServerConfig& server, const ServerConfig& source) {
  if (flavor.is_mariadb())
    return fmt::format(
        "rebuild '{}' from '{}': on {}: mariadb-backup --backup --host={} --port={} --user=<admin> "
        "--password=<...> --target-dir=/var/backup/rejoin && mariadb-backup --prepare "
        "--target-dir=/var/backup/rejoin; stop mariadb on '{}', move its datadir aside, mariadb-backup "
        "--copy-back --target-dir=/var/backup/rejoin, chown -R mysql: the datadir, start it, then mhactl rejoin {}",
        server.name, source.name, server.host, source.host, source.port, server.name, server.name);
  if (flavor.version().at_least(8, 0, 17))
    return fmt::format(
        "rebuild '{}' from '{}' with the clone plugin: on '{}': SET GLOBAL clone_valid_donor_list='{}:{}'; CLONE "
        "INSTANCE FROM '<admin>'@'{}':{} IDENTIFIED BY '<...>'; then mhactl rejoin {}",
        server.name, source.name, server.name, source.host, source.port, source.host, source.port, server.name);
  return fmt::format(
      "rebuild '{}' from '{}': mysqldump --single-transaction --source-data --all-databases from '{}' loaded "
      "into a fresh '{}' (or a copy of its datadir), then mhactl rejoin {}",
      server.name, source.name, source.name, server.name, server.name);
}

namespace {

using std::chrono::milliseconds;

class Rejoin {
 public:
  Rejoin(const ClusterConfig& config, const RejoinRequest& request, RejoinEnv& env)
      : m_config(config),
        m_request(request),
        m_env(env),
        m_clock(env.clock ? *env.clock : real_operation_clock()),
        m_sessions(config, env.make_sql, env.repoint_timeouts.threads),
        m_log(config, m_report, env.progress, env.before_phase) {
    m_report.operation = "rejoin";
    m_report.forced = request.force;
  }

  OperationReport run() {
    run_phases(m_log, m_report, m_clock,
               {{"check", [&] { return check(); }},
                {"repoint", [&] { return repoint_it(); }},
                {"finish", [&] { return finish(); }}});
    m_sessions.close_all();
    return std::move(m_report);
  }

 private:
  const ServerConfig& server(std::size_t i) const { return m_config.servers[i]; }
  const std::string& name(std::size_t i) const { return m_config.servers[i].name; }

  bool refuse(Errc code, std::string why) { return m_log.stop(OperationResult::refused, code, std::move(why)); }

  bool look(std::size_t i, ServerObservation& out) {
    auto s = m_sessions.session(i);
    if (!s) {
      out.reachable = false;
      out.error = s.error();
      return false;
    }
    out = check_server(**s, endpoint_of(m_config, server(i), m_config.read_timeout), MonoClock::now(), {}, true);
    return out.reachable && out.flavor;
  }

  bool check() {
    const std::size_t target = m_request.server, master = m_request.master;
    if (target >= m_config.servers.size() || master >= m_config.servers.size())
      return refuse(Errc::unknown_server, "no such server in the cluster");
    m_report.server = name(target);
    m_report.new_master = name(master);
    if (target == master) return refuse(Errc::bad_request, fmt::format("'{}' is the master: it cannot rejoin itself", name(target)));
    if (!look(master, m_master))
      return refuse(Errc::refused, fmt::format("the master '{}' does not answer ({}): nothing to rejoin to",
                                               name(master), m_master.error ? m_master.error->message : "?"));
    if (!look(target, m_target))
      return refuse(Errc::refused, fmt::format("'{}' does not answer ({}): start it, then mhactl rejoin {}", name(target),
                                               m_target.error ? m_target.error->message : "?", name(target)));
    if (m_target.flavor->kind() != m_master.flavor->kind())
      return refuse(Errc::not_supported, fmt::format("'{}' runs {} and the master {}: they cannot replicate",
                                                     name(target), m_target.flavor->to_string(),
                                                     m_master.flavor->to_string()));
    // Everything it has: its own binlog and what it applied as a replica.
    std::string mine = m_target.gtid_executed;
    if (m_target.flavor->is_mariadb() && !m_target.gtid_slave_pos.empty()) {
      auto binlog = GtidPosition::parse(mine);
      auto applied = GtidPosition::parse(m_target.gtid_slave_pos);
      if (binlog && applied) {
        for (const auto& g : applied->gtids())
          if (auto b = binlog->get(g.domain); !b || b->seq < g.seq) binlog->set(g);
        mine = binlog->to_string();
      }
    }
    const std::string reference = m_request.reference_gtids.empty() ? m_master.gtid_executed : m_request.reference_gtids;
    auto errant = errant_transactions(*m_target.flavor, mine, reference);
    if (!errant) return refuse(Errc::parse, "comparing GTIDs: " + errant.error().message);
    if (!errant->empty()) {
      if (!m_request.force)
        return refuse(Errc::errant_gtid,
                      fmt::format("'{}' has transactions the master '{}' never had: {} ({} {}). Replicating would "
                                  "leave them only on '{}' (divergence). Either {}; or accept the divergence: mhactl "
                                  "rejoin {} --force",
                                  name(target), name(master), *errant, name(target), mine, name(target),
                                  rebuild_advice(*m_target.flavor, server(target), server(master)), name(target)));
      m_log.note(fmt::format("--force: '{}' keeps transactions the master never had ({}); the data of '{}' diverges "
                             "from the master",
                             name(target), *errant, name(target)));
    }
    m_log.step(fmt::format("{}: GTIDs {} {} the master's ({}).", server_address(server(target)),
                           mine.empty() ? "(none)" : mine, errant->empty() ? "are contained in" : "diverge from",
                           reference.empty() ? "(none)" : reference));
    return true;
  }

  bool repoint_it() {
    const std::size_t target = m_request.server;
    auto s = m_sessions.session(target);
    if (!s) return m_log.stop(OperationResult::failed, s.error().code, "connecting: " + s.error().message);
    SqlSession& sql = **s;
    const Flavor& f = *m_target.flavor;
    // Each change starts only while the etcd lease is surely held.
    auto leased = [&](std::string_view step) { return m_log.under_lease(m_env.lease, m_clock.now(), step); };
    if (!leased(fmt::format("making '{}' read-only", name(target)))) return false;
    if (auto r = make_read_only(sql, f); !r)
      return m_log.stop(OperationResult::failed, r.error().code,
                        fmt::format("making '{}' read-only failed: {}; nothing else was changed", name(target),
                                    r.error().message));
    m_log.step(fmt::format("{}: {}.", server_address(server(target)), f.is_mariadb() ? "read_only=1" : "super_read_only=1"));
    if (!leased(fmt::format("pointing '{}' at the master", name(target)))) return false;
    if (m_target.replica) {
      if (auto r = sql.execute(f.stop_replica_sql()); !r)
        return m_log.stop(OperationResult::failed, r.error().code, "STOP failed: " + r.error().message);
    }
    // Its own writes (as a master) are in its binlog, not in gtid_slave_pos.
    if (const std::string adopt = f.adopt_own_position_sql(); !adopt.empty())
      if (auto r = sql.execute(adopt); !r)
        return m_log.stop(OperationResult::failed, r.error().code, "setting its GTID position: " + r.error().message);
    RepointTimeouts timeouts = m_env.repoint_timeouts;
    auto source = replication_source(m_config, server(m_request.master), server(target), m_target);
    if (auto r = sql.execute(f.change_master_sql(source)); !r)
      return m_log.stop(OperationResult::failed, r.error().code, "CHANGE MASTER failed: " + r.error().message);
    if (!leased(fmt::format("starting replication on '{}'", name(target)))) return false;
    if (auto r = sql.execute(f.start_replica_sql()); !r)
      return m_log.stop(OperationResult::failed, r.error().code, "START failed: " + r.error().message);
    if (auto r = wait_replicating(sql, f, timeouts, m_clock); !r)
      return m_log.stop(OperationResult::failed, r.error().code,
                        fmt::format("'{}' does not replicate from '{}': {}", name(target), name(m_request.master),
                                    r.error().message));
    m_log.step(fmt::format("{}: replicating from {} (IO and SQL threads running).", server_address(server(target)),
                           server_address(server(m_request.master))));
    return true;
  }

  bool finish() {
    m_report.result = OperationResult::completed;
    m_log.set_detail(fmt::format("'{}' is a read-only replica of '{}'", name(m_request.server), name(m_request.master)));
    return true;
  }

  const ClusterConfig& m_config;
  const RejoinRequest& m_request;
  RejoinEnv& m_env;
  OperationClock& m_clock;
  OperationReport m_report;
  ServerSessions m_sessions;
  OperationRecorder m_log;
  ServerObservation m_master, m_target;
};

}  // namespace

OperationReport run_rejoin(const ClusterConfig& config, const RejoinRequest& request, RejoinEnv& env) {
  return Rejoin(config, request, env).run();
}

}  // namespace mha
