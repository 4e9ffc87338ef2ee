// Rejoin: put a server back into the topology as a read-only replica of the
// current master (DESIGN.md "Rejoin"): the old master a failover fenced,
// once it is repaired, or a replica that was rebuilt or lost its
// replication. Blocking: run_rejoin() runs on an operation thread; all I/O
// through the seams in RejoinEnv.
//
//   check    the master and the server answer; the server is not the master;
//            its GTIDs against the reference position: transactions the
//            master never had (errant: the usual case for an old master that
//            crashed with writes no replica received, or was written to
//            after it came back) -> refused, listed, with the ways out
//            (rebuild it from a replica, or --force: divergence accepted).
//   repoint  read_only on (MySQL: super_read_only), GTID position adopted
//            from its own binlog (MariaDB: a former master's gtid_slave_pos
//            is stale), CHANGE MASTER to the master by GTID with the repl
//            account, START, wait until both threads run.
//   finish   what it still has to fetch, for the report.
//
// The reference position is the new master's GTIDs right when it was
// promoted (kept with the failover record), when known: a MariaDB position
// keeps only the last GTID per domain, and after the new master has taken
// writes of its own, an old master's extra transaction (0-1-101 against the
// new master's 0-2-150) no longer looks "ahead". Otherwise the master's
// current GTIDs.
#pragma once

#include "common/config.h"
#include "common/flavor.h"
#include "common/result.h"
#include "daemon/operations/lease_deadline.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/operations/operation_report.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/sql_session.h"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mha {

struct RejoinRequest {
  std::size_t server = 0;  // index into config.servers
  std::size_t master = 0;  // the current master
  bool force = false;      // errant transactions accepted (the report says so)
  bool automatic = false;  // auto_rejoin, not an operator
  std::string reference_gtids;  // the new master's GTIDs at promotion; "" unknown
};

struct RejoinEnv {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  OperationRecorder::Progress progress;
  OperationRecorder::BeforePhase before_phase;
  OperationClock* clock = &real_operation_clock();
  RepointTimeouts repoint_timeouts;
  // coordination = "etcd": every change starts only while the lease is
  // surely held (OperationRecorder::under_lease); unbounded without.
  LeaseDeadline lease;
};

// Pure. The server's transactions that `reference` does not have, as text
// ("" when none). MariaDB positions compare per domain (errant: a domain the
// reference lacks, or a higher seq in it); MySQL sets subtract.
Result<std::string> errant_transactions(const Flavor& flavor, const std::string& server_gtids,
                                        const std::string& reference);

// How to get rid of errant transactions by rebuilding `server` from `source`
// (a replica or the master), with the flavor's tool: mariadb-backup for
// MariaDB, CLONE for MySQL 8.0.17+, else a dump.
std::string rebuild_advice(const Flavor& flavor, const ServerConfig& server, const ServerConfig& source);

OperationReport run_rejoin(const ClusterConfig& config, const RejoinRequest& request, RejoinEnv& env);

}  // namespace mha
