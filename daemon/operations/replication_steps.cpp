#include "daemon/operations/replication_steps.h"

#include "common/gtid.h"
#include "common/replica_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace mha {

using std::chrono::milliseconds;

namespace {
std::chrono::seconds whole_seconds_up(milliseconds value) {
  return std::chrono::seconds((std::max<milliseconds::rep>(value.count(), 0) + 999) / 1000);
}
}  // namespace

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

Result<std::string> read_gtid_position(SqlSession& session, const Flavor& flavor) {
  auto rows = session.query(flavor.gtid_executed_sql());
  if (!rows) return rows.error();
  if (rows->rows.empty() || rows->rows[0].empty())
    return make_error(Errc::parse, "reading the GTID position: the server returned no row");
  return rows->rows[0][0].value_or("");
}

Result<void> wait_for_gtids(SqlSession& session, const Flavor& flavor, const std::string& gtids,
                            milliseconds timeout) {
  if (gtids.empty()) return {};
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

ReplicationSource replication_source(const ClusterConfig& cluster, const ServerConfig& source,
                                     const ServerConfig& replica, const ServerObservation& replica_last_seen) {
  ReplicationSource out;
  out.host = source.host;
  out.port = source.port;
  out.user = cluster.repl_user;
  if (out.user.empty() && replica_last_seen.replica) out.user = replica_last_seen.replica->master_user;
  out.password = cluster.repl_password.reveal();
  // caching_sha2_password (MySQL 8 default) without TLS needs the source's
  // RSA key; harmless otherwise, ignored by MariaDB and MySQL 5.7.
  out.get_public_key = true;
  out.tls = replica.tls();
  return out;
}

Result<void> wait_replicating(SqlSession& session, const Flavor& flavor, const RepointTimeouts& timeouts,
                              OperationClock& clock) {
  const auto deadline = clock.now() + timeouts.threads;
  for (;;) {
    auto rows = session.query(flavor.replica_status_sql());
    if (!rows) return rows.error().with_context("reading replica status");
    if (rows->rows.empty()) return make_error(Errc::sql, "no replication configured after START");
    auto status = parse_replica_status(rows->row_map(0));
    if (!status) return status.error();
    if (status->replicating()) return {};
    if (!status->sql_running && status->last_sql_errno != 0)
      return make_error(Errc::sql, "SQL thread stopped: Last_SQL_Error {}: {}", status->last_sql_errno,
                        status->last_sql_error);
    if (clock.now() >= deadline)
      return make_error(Errc::timeout, "replication threads not running after {}ms{}", timeouts.threads.count(),
                        status->last_io_errno ? fmt::format("; Last_IO_Error {}: {}", status->last_io_errno,
                                                            status->last_io_error)
                                              : std::string());
    clock.sleep_for(timeouts.poll);
  }
}

Result<void> repoint(SqlSession& session, const Flavor& flavor, const ReplicationSource& source,
                     const std::string& source_gtids, const RepointTimeouts& timeouts, OperationClock& clock) {
  const auto started = clock.now();
  if (auto r = session.execute(flavor.stop_replica_sql()); !r) return r.error().with_context("STOP failed");
  if (auto r = session.execute(flavor.change_master_sql(source)); !r)
    return r.error().with_context("CHANGE MASTER failed");
  if (auto r = session.execute(flavor.start_replica_sql()); !r) return r.error().with_context("START failed");
  if (auto r = wait_replicating(session, flavor, timeouts, clock); !r) return r;
  const auto left = std::chrono::duration_cast<milliseconds>(timeouts.threads - (clock.now() - started));
  if (auto r = wait_for_gtids(session, flavor, source_gtids, std::max(left, milliseconds(1000))); !r)
    return r.error().with_context("waiting for the new master's GTIDs");
  return {};
}

bool replicates_from(const ServerObservation& obs, const ServerConfig& source) {
  if (!obs.replica) return false;
  const auto& host = obs.replica->master_host;
  return (host == source.host || (!source.ip.empty() && host == source.ip)) && obs.replica->master_port == source.port;
}

Result<void> forget_master(SqlSession& session, const Flavor& flavor) {
  return session.execute(flavor.reset_replica_all_sql());
}

Result<void> make_writable(SqlSession& session, const Flavor& flavor) {
  return session.execute(flavor.unfence_writes_sql());
}

Result<void> make_read_only(SqlSession& session, const Flavor& flavor) {
  return session.execute(flavor.fence_writes_sql());
}

Result<void> end_io_thread(SqlSession& session, const Flavor& flavor, std::chrono::milliseconds exit_wait,
                           std::chrono::milliseconds poll, OperationClock& clock, const ChangeBudget& budget) {
  auto io_threads = [&] {
    std::vector<std::uint64_t> ids;
    if (auto rows = session.query(flavor.io_thread_ids_sql()))
      for (const auto& row : rows->rows)
        if (!row.empty() && row[0])
          if (std::uint64_t id = std::strtoull(row[0]->c_str(), nullptr, 10); id != 0) ids.push_back(id);
    return ids;
  };
  auto ids = io_threads();
  auto wait = budget(exit_wait, "stopping the IO thread");
  if (!wait) return wait.error();
  for (auto id : ids) (void)session.execute(Flavor::kill_connection_sql(id));
  const auto until = clock.now() + *wait;
  while (!ids.empty() && clock.now() < until) {
    clock.sleep_for(poll);
    ids = io_threads();
  }
  if (auto now = budget(std::chrono::milliseconds(0), "stopping the IO thread"); !now) return now.error();
  return session.execute(flavor.stop_io_thread_sql());
}

}  // namespace mha
