// Switchover of a live master (MHA's masterha_master_switch
// --master_state=alive, DESIGN.md "Switchover"), phase by phase. Blocking:
// run_switchover() runs on an operation thread of its own and talks to the
// servers only through the seams in SwitchoverEnv, so unit tests drive every
// step with fakes. The monitor keeps running (MHA makes its users stop it).
//
//   check          fresh look at every server. Refused, nothing changed: the
//                  master does not answer or is read-only; the target is
//                  unknown, the master, not replicating from the master with
//                  both threads, behind by more than running_seconds_limit,
//                  or excluded from promotion (no_master, binlog off, errant
//                  GTIDs, newer version ...); errant GTIDs on any replica; a
//                  second writable server; another replica broken or
//                  unreachable (--force: left out); a write on the master
//                  running longer than running_updates_limit (--force: it is
//                  ended with its session).
//   reject_writes  VIP off the old master (or master_ip_online_change_script
//                  --command=stop), old master read-only (MySQL:
//                  super_read_only), client sessions on it ended (never
//                  replication threads, never mhad's own), its final GTID
//                  position read.
//   wait_catchup   the target executes that position, bounded by
//                  running_seconds_limit.
//   promote        target: STOP, RESET ALL (unless skip_reset_slave),
//                  read_only off; VIP on (or --command=start).
//   repoint        every other replica and the old master (MHA's
//                  orig_master_is_new_slave) point at the new master by GTID,
//                  in parallel, and are waited for.
//   finish         a connection through the VIP must reach the new master.
//
// Rollback: any failure before the target is writable undoes what was done
// (target replicating again, old master writable, VIP back); the result is
// rolled_back and says why. After promotion it finishes forward and reports
// what is left (completed_with_errors).
#pragma once

#include "common/config.h"
#include "daemon/failover/vip.h"
#include "daemon/operations/lease_deadline.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/operations/operation_report.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/operations/vip_check.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mha {

struct SwitchoverRequest {
  std::size_t master = 0;          // index into config.servers
  std::optional<std::size_t> to;   // nullopt: the best candidate, as a failover would choose it
  bool force = false;              // broken other replicas left out, long writes ended
  bool orig_master_is_new_slave = true;
};

// Pure: the client sessions a switchover ends on the old master, from
// Flavor::processlist_sql() rows (ID, USER, HOST, DB, COMMAND, TIME, STATE,
// INFO). Left alone: replication (Binlog Dump*, Slave_*), system threads
// (system user, event_scheduler, Daemon).
struct ProcessRow {
  std::uint64_t id = 0;
  std::string user, command, info;
  std::int64_t time = 0;
};
std::vector<ProcessRow> parse_processlist(const Rows& rows);
bool is_client_session(const ProcessRow& row);
// Writes running for more than `limit_seconds` (MHA: Info not SELECT/SHOW,
// Command not Sleep/Connect/Binlog Dump, not system threads).
bool is_long_write(const ProcessRow& row, std::int64_t limit_seconds);

struct SwitchoverEnv {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  // Clients' way to the master. Unset: no VIP, clients follow by themselves.
  // stop(orig, next) before read_only; start(orig, next) after promotion;
  // rollback calls start(orig, orig). `limit`: the longest the call may
  // take (what the lease has left; k_vip_no_limit without coordination).
  std::function<VipOutcome(const ServerConfig& orig, const ServerConfig& next, std::chrono::milliseconds limit)>
      vip_stop, vip_start;
  OperationRecorder::Progress progress;
  OperationRecorder::BeforePhase before_phase;
  OperationClock* clock = &real_operation_clock();
  RepointTimeouts repoint_timeouts;
  VipCheckSettings vip_check;
  // coordination = "etcd": every change starts only while the lease is
  // surely held (OperationRecorder::under_lease); unbounded without.
  LeaseDeadline lease;
};

OperationReport run_switchover(const ClusterConfig& config, const SwitchoverRequest& request, SwitchoverEnv& env);

}  // namespace mha
