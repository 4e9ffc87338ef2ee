// "What would a failover do right now": which replica would become the new
// master, which replicas cannot, and what would stop the failover. Pure: a
// function of the config, the latest observations and the failover history;
// no I/O, no clock reads (the caller passes `now`). Runs on the main loop:
// the status command shows it every time, and the failover's check phase
// re-runs it on freshly read observations before it commits to anything.
//
// MHA's rules (mha.md §3.5 and §3.10) first, then what mhad adds. In order:
//
// Who takes part. Every configured server except the master:
//  1. unreachable            not checked yet, or the last check failed.
//  2. not_replicating        reachable, but no replication configured (an empty
//                            Master_Host counts as none, as in MHA).
//  3. replicates_elsewhere   replicates from a server other than the master.
//  4. sql_thread_error       SQL thread stopped with an error. An IO thread
//                            that stopped or keeps reconnecting is fine: that
//                            is what replicas do when the master dies. A SQL
//                            thread stopped without an error is fine too: the
//                            failover starts it (MHA does the same).
// The replicas that pass 1-4 are the "alive replicas" (MHA's alive slaves).
//
// Most advanced (MHA's "latest slaves"), among the alive replicas:
//  - by GTIDs when every alive replica has readable ones of one flavor and
//    not all of them are empty (empty everywhere: replication without GTIDs):
//    MariaDB Gtid_IO_Pos merged per domain with @@gtid_slave_pos (the IO
//    position is empty or stale after a restart without GTID positioning),
//    MySQL Retrieved_Gtid_Set ∪ Executed_Gtid_Set. The most advanced are the
//    replicas whose GTIDs include every other replica's.
//  - otherwise, or when no replica includes all others (domains advanced by
//    different replicas), by (Master_Log_File, Read_Master_Log_Pos), as MHA.
//  Ties are kept; `most_advanced` is the tied replica with the highest
//  (Relay_Master_Log_File, Exec_Master_Log_Pos), as MHA's "latest base
//  slave" (it has the least left to apply), then the first in config order.
//
// Excluded from promotion (an alive replica gets the first that applies):
//  5. errant_gtids    GTIDs the master never had. MariaDB: @@gtid_binlog_pos
//                     errant_against the master's, minus what the replica
//                     received (Gtid_IO_Pos merged with @@gtid_slave_pos).
//                     MySQL: Executed_Gtid_Set minus the master's
//                     @@gtid_executed minus Retrieved_Gtid_Set. Received
//                     GTIDs never count as errant because the master's
//                     observation may be older than the replica's, or the
//                     master may be dead with only its last known GTIDs kept.
//                     Skipped when the master's GTIDs are unknown
//                     (unreachable, nothing kept). Errant GTIDs do not make a
//                     replica look most advanced (MySQL; a MariaDB position
//                     cannot tell them apart). Also a blocker (MHA never
//                     checked this: issue #50): promoting such a replica
//                     hands its extra transactions to everyone, promoting
//                     another one strands them.
//  6. no_master       no_master = true in the config.
//  7. binlog_off      log_bin is OFF/0 (an empty `variables` map means "not
//                     read yet" and excludes nobody). MHA: the same.
//  8. log_slave_updates_off
//                     log_slave_updates (log_replica_updates on MySQL 8) is
//                     OFF/0 and at least one other alive replica exists.
//                     Such a server's binlog lacks the replicated
//                     transactions, so the other replicas, re-pointed to it by
//                     GTID, could not fetch what they are missing. With no
//                     other replica it does not matter. MHA did not check it
//                     (it only required log_bin).
//  9. newer_version   MHA: only replicas of the OLDEST major.minor among the
//                     alive replicas may be promoted, because replication
//                     from an older server to a newer one is supported and
//                     the reverse is not: promoting a 10.11 replica over a
//                     10.6 one would leave the 10.6 replica reading a newer
//                     binlog format. So replicas NEWER than the oldest are
//                     excluded. Compared within one flavor only; servers
//                     whose version is unknown are neither compared nor
//                     excluded.
// 10. lagging         only when the replica's own check_repl_delay is true
//                     (MHA reads the latest slave's value; per server is
//                     what an operator setting it on the candidate
//                     expects). MHA's rule against the most advanced replica
//                     L: the SQL thread is on an older binlog file than L's
//                     IO thread (Relay_Master_Log_File < L's
//                     Master_Log_File), or, in the same file, L's
//                     Read_Master_Log_Pos > this Exec_Master_Log_Pos +
//                     cluster.max_relay_lag_bytes (100 MB). The detail adds
//                     Seconds_Behind_Master when it is over
//                     cluster.seconds_behind_master. Unknown positions
//                     exclude nobody.
//
// Choosing among the rest (MHA's select_new_master, config order within
// each step; the steps marked * are skipped when latest_priority is false):
//  a.* a candidate_master that is most advanced      "candidate_master and most advanced"
//  b.  any candidate_master, brought up to date from the most advanced first
//                                                    "candidate_master, will be caught up from 'slave2'"
//  c.* a most advanced replica                       "most advanced", or when several are
//                                                    equally advanced "config order among equally advanced"
//  d.  any replica                                   "first in config order, will be caught up from 'slave2'"
// With latest_priority false, a. and c. become b. and d.; the chosen one gets
// the ", will be caught up ..." note only when it is not most advanced.
//
// Blockers (any one makes would_proceed false; the candidate is still shown):
//  - the master is not known (`master` out of range);
//  - auto_failover is off;
//  - the last failover is more recent than min_failover_interval (MHA's 8 h
//    ping-pong guard; `mhactl failover --force` overrides);
//  - errant GTIDs on any alive replica (rule 5);
//  - a replica replicating from another server: MHA's "Slave X replicates
//    from Y, but real master is Z". With multi_tier_slave, a replica of a
//    replica of the master is only excluded, as MHA's "unmanaged" slaves;
//  - a reachable server other than the master that is writable and no
//    replica: a failover would leave two writable masters;
//  - an unreachable, unreplicating or SQL-error server without ignore_fail
//    (MHA: any other dead server or broken slave refuses the failover
//    unless ignore_fail is set for it);
//  - no eligible candidate.
#pragma once

#include "common/config.h"
#include "common/topology.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

// Why a server cannot be promoted: rules 1-10 above, in that order.
enum class ExclusionReason {
  unreachable,
  not_replicating,
  replicates_elsewhere,
  sql_thread_error,
  errant_gtids,
  no_master,
  binlog_off,
  log_slave_updates_off,
  newer_version,
  lagging,
};
// The machine word shown in status JSON ("log_slave_updates_off").
std::string_view exclusion_reason_name(ExclusionReason reason);
// Rules 1-4: such a server is no "alive replica" and takes no part in a
// failover at all; the others (5-10) only cannot be promoted.
bool takes_part(ExclusionReason reason);

// One server that cannot be promoted, and why.
struct Exclusion {
  std::size_t server = 0;  // index into cluster.servers
  ExclusionReason reason = ExclusionReason::unreachable;
  // For humans, without the server's name (the renderer prints it first):
  // "has 0-3-7 that the master never had".
  std::string detail;

  bool operator==(const Exclusion&) const = default;
};

struct FailoverGuards {
  std::optional<std::chrono::system_clock::time_point> last_failover;  // nullopt: never
  std::chrono::system_clock::time_point now;
};

struct Readiness {
  std::optional<std::size_t> candidate;      // index into cluster.servers
  std::string rule;                          // why the candidate; empty without one
  std::optional<std::size_t> most_advanced;  // index into cluster.servers
  std::vector<Exclusion> excluded;           // config order
  // Why the failover would not proceed, e.g. "auto_failover is off",
  // "errant GTIDs on 'slave2': 0-3-7", "no eligible candidate".
  std::vector<std::string> blockers;
  // How far the most advanced replica is behind the master:
  //   "0 transactions"
  //   "3 transactions (master 0-1-120, 'slave1' received 0-1-117)"
  //   "unknown: master unreachable, last known 0-1-120"
  std::string gtid_gap;
  std::int64_t transactions_behind = -1;  // -1: unknown

  bool would_proceed() const { return candidate.has_value() && blockers.empty(); }
};

// observations[i] belongs to cluster.servers[i]. `master` indexes both; a
// value out of range (e.g. SIZE_MAX) means "master not known". An
// unreachable master's gtid_executed, when the caller keeps its last known
// value there, is used as "last known" (errant check, gtid_gap).
Readiness assess_failover(const ClusterConfig& cluster, const std::vector<ServerObservation>& observations,
                          std::size_t master, const FailoverGuards& guards);

// The status command's "failover_readiness" object:
// {"candidate":"slave1"|null,"rule":"..."|null,"most_advanced":"slave2"|null,
//  "excluded":[{"server":"slave2","reason":"no_master","detail":"..."}],
//  "blockers":["..."],"gtid_gap":"...","transactions_behind":N|-1,
//  "would_proceed":bool}
nlohmann::json readiness_json(const ClusterConfig& cluster, const Readiness& readiness);

}  // namespace mha
