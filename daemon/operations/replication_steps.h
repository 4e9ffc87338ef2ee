// The replication steps every operation is built from: read what a server
// received, wait until it executed a GTID position, point it at a new
// source and wait until it replicates, make it writable or read-only.
// Failover, switchover and rejoin call these; SQL text comes from Flavor.
// Blocking (operation threads); every wait is bounded and takes its time
// from the OperationClock.
#pragma once

#include "common/config.h"
#include "common/flavor.h"
#include "common/result.h"
#include "common/topology.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace mha {

// What a replica has received from its master, as the text its flavor's
// wait function takes. MariaDB: Gtid_IO_Pos merged per domain with
// @@gtid_slave_pos, the higher seq winning (after a restart without GTID
// positioning the IO position is empty or stale; what was applied is in
// gtid_slave_pos), as candidate.cpp compares them. MySQL: Retrieved_Gtid_Set
// ∪ Executed_Gtid_Set. A server that replicates from nobody: what it
// executed. Unparsable text is passed through as the server printed it.
std::string received_gtids(const ServerObservation& obs);

// The server's executed GTIDs in the form its replicas wait for: MariaDB
// @@gtid_binlog_pos (what it can send; MASTER_GTID_WAIT on a replica
// compares it with @@gtid_slave_pos), MySQL @@gtid_executed.
Result<std::string> read_gtid_position(SqlSession& session, const Flavor& flavor);

// Blocks until the server executed `gtids`, at most `timeout` (rounded up
// to whole seconds: the server functions take seconds). Errc::timeout when
// it did not. Empty `gtids`: nothing to wait for.
Result<void> wait_for_gtids(SqlSession& session, const Flavor& flavor, const std::string& gtids,
                            std::chrono::milliseconds timeout);

// Where `replica` should replicate from when its source becomes `source`:
// the cluster's repl_user (else the user it replicates with today, from its
// last observation), repl_password (empty: the clause is left out and the
// replica keeps the password it has), and the replica's own ssl_* settings
// (it makes the connection; the paths are on its host).
ReplicationSource replication_source(const ClusterConfig& cluster, const ServerConfig& source,
                                     const ServerConfig& replica, const ServerObservation& replica_last_seen);

struct RepointTimeouts {
  std::chrono::milliseconds threads{30000};  // both threads running
  std::chrono::milliseconds poll{100};
};

// STOP, CHANGE MASTER to `source` by GTID, START, then waits until both
// threads run and (unless `source_gtids` is empty) the replica executed
// `source_gtids`. The error says which step failed, never with the password.
Result<void> repoint(SqlSession& session, const Flavor& flavor, const ReplicationSource& source,
                     const std::string& source_gtids, const RepointTimeouts& timeouts, OperationClock& clock);

// Waits until both replication threads run; an SQL thread stopped with an
// error ends the wait at once with that error.
Result<void> wait_replicating(SqlSession& session, const Flavor& flavor, const RepointTimeouts& timeouts,
                              OperationClock& clock);

// Whether the observation shows replication from `source` (by host or ip,
// and port), whatever the threads do.
bool replicates_from(const ServerObservation& obs, const ServerConfig& source);

// Promotion's last two statements: forget the old master (unless
// skip_reset_slave), then read_only off. Split so that a caller can fence
// the old master in between.
Result<void> forget_master(SqlSession& session, const Flavor& flavor);
Result<void> make_writable(SqlSession& session, const Flavor& flavor);
// read_only on (MySQL: super_read_only, which stops SUPER users too).
Result<void> make_read_only(SqlSession& session, const Flavor& flavor);

// How long a change may take now (coordination = "etcd": what the lease has
// left of `wanted`), or Errc::not_active naming `step` when it must not start.
using ChangeBudget = std::function<Result<std::chrono::milliseconds>(std::chrono::milliseconds wanted,
                                                                     std::string_view step)>;

// Ends a replica's IO thread so that it receives nothing more and does not
// reconnect. KILL on each IO (receiver) thread first: STOP ... IO_THREAD
// alone kicks a thread blocked on a vanished master's socket, misses, and
// kicks again after 2 s (measured: 2.0 s per STOP with the link cut, 20 ms
// for KILL). Then, once they are gone (at most `exit_wait`, polled every
// `poll`), the STOP, immediate now, which keeps it stopped; a STOP issued
// while a killed thread is still exiting can miss its wake-up and wait the
// 2 s again. `budget` is asked before the KILLs and before the STOP.
Result<void> end_io_thread(SqlSession& session, const Flavor& flavor, std::chrono::milliseconds exit_wait,
                           std::chrono::milliseconds poll, OperationClock& clock, const ChangeBudget& budget);

}  // namespace mha
