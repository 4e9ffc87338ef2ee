// A scripted cluster of fake servers for the failover's unit tests: every
// server keeps a small replication state (threads, source, received and
// executed GTIDs, read_only) that CHANGES as statements are executed, the
// way a real server's would:
//   STOP SLAVE [IO_THREAD]      threads show No
//   CHANGE MASTER TO ...        refused while a thread runs (error 1198);
//                               sets the source; received GTIDs restart
//   START SLAVE                 connects to the source (another fake server
//                               with that host:port), receives everything it
//                               executed and applies it
//   RESET SLAVE ALL             no status row any more
//   SET GLOBAL read_only=0      read_only (and super_read_only) off
//   SET GLOBAL gtid_slave_pos = @@gtid_current_pos
//                               slave_pos takes what it executed (MariaDB)
//   SHOW GLOBAL STATUS          a replica connected to a live source counts
//                               Slave_received_heartbeats up
//   information_schema.PROCESSLIST, KILL CONNECTION n
//                               the server's `processes`
//   MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET
//                               0 when executed includes the position; when
//                               only received does and the SQL thread runs,
//                               the relay log is applied first (a lagging SQL
//                               thread catching up); otherwise timed out.
// Both flavors: MariaDB 10.11 (SHOW SLAVE STATUS, Gtid_IO_Pos, positions)
// and MySQL 8.0.36 (SHOW REPLICA STATUS, GTID sets, super_read_only).
// Statements are logged per server with the failover phase current when
// they arrived, and in one cluster-wide ordered event list. Thread-safe
// (one mutex): the failover reads and recovers servers in parallel.
// Also: a fake RemoteShell (kill -9 / kill -0 against a pid table), a fake
// Vip, both logging to the same event list, and an OperationClock whose
// sleeps only move its time forward (timeouts without waiting).
#pragma once

#include "common/config.h"
#include "common/flavor.h"
#include "common/topology.h"
#include "daemon/failover/vip.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/remote_shell.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mha::test {

struct FakeServer {
  std::string name;
  std::string host;
  std::uint16_t port = 3306;
  std::string version;  // SELECT VERSION()
  bool alive = true;    // answers SQL
  std::uint32_t server_id = 0;
  bool read_only = true;
  bool super_read_only = false;  // MySQL only
  std::string executed;          // MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed
  std::string slave_pos;         // MariaDB @@gtid_slave_pos
  // Replication: `configured` = SHOW SLAVE STATUS has a row.
  bool configured = false;
  std::string master_host;
  std::uint16_t master_port = 3306;
  std::string master_user = "repl";
  std::string io = "No";  // Yes / No / Connecting
  bool sql_running = false;
  std::string received;   // MariaDB Gtid_IO_Pos, MySQL Retrieved_Gtid_Set
  std::uint32_t last_io_errno = 0;
  std::string last_io_error;
  std::uint32_t last_sql_errno = 0;
  std::string last_sql_error;
  // Seconds_Behind_Master while both threads run (default 0).
  std::int64_t seconds_behind = 0;
  // Connections in information_schema.PROCESSLIST (KILL CONNECTION removes one).
  struct Process {
    std::uint64_t id = 0;
    std::string user, command;
    std::int64_t time = 0;
    std::string info;
  };
  std::vector<Process> processes;
  std::map<std::string, std::string> variables;  // SHOW GLOBAL VARIABLES (lower-case names)
  std::map<std::string, std::string> status;     // SHOW GLOBAL STATUS
  // Every statement waits this long (outside the cluster's lock), then
  // fails with a read timeout: a frozen or hung server.
  std::chrono::milliseconds hang{0};
  // SHOW SLAVE HOSTS rows: server_id, report_host (the fake lists no others).
  std::vector<std::pair<std::uint32_t, std::string>> replica_hosts;
  // A statement starting with one of these hangs that long, then times out
  // (one statement stuck behind a server lock; the others answer).
  std::map<std::string, std::chrono::milliseconds> hang_on;
  // Connecting fails with this (e.g. access denied) while `alive`.
  std::optional<Error> connect_error;
  // A statement starting with one of these fails with that error.
  std::map<std::string, Error> fail;
  // A statement starting with one of these kills the server first.
  std::set<std::string> die_on;
  struct Entry {
    std::string phase;
    std::string sql;
  };
  std::vector<Entry> log;

  bool mariadb() const;
};

class FakeCluster {
 public:
  // master, slave1 (candidate_master), slave2 [, slave3 ...]: every replica
  // of master at the same GTIDs (MariaDB 0-1-120, MySQL <uuid>:1-120).
  explicit FakeCluster(FlavorKind kind, int replicas = 2);

  ClusterConfig config;
  FlavorKind kind;
  std::string master_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

  std::mutex mutex;
  std::vector<FakeServer> servers;  // config order
  std::vector<std::string> events;  // "slave1: STOP SLAVE", "vip: release master", "shell master: kill -9 1"
  std::string phase;                // tagged onto every statement logged

  // SSH: hosts that do not answer, pids alive per host, pids kill -9 cannot end.
  std::set<std::string> ssh_down;
  // Per host: each command takes this long before it runs (outside the
  // lock), and how many commands have started there.
  std::map<std::string, std::chrono::milliseconds> ssh_slow;
  std::map<std::string, int> ssh_started;
  // Connections to vip_host reach the server named vip_holder (FakeVip keeps
  // it up to date); none while it is empty. Set vip_host to use it.
  std::string vip_host;
  std::string vip_holder = "master";
  std::map<std::string, std::set<int>> pids;
  std::set<int> unkillable;
  std::vector<std::string> shell_log;  // "master: kill -9 1234"

  FakeServer& server(const std::string& name);
  std::size_t index(const std::string& name) const;

  // GTID text in this cluster's flavor: seq n of the master's stream
  // (MariaDB "0-1-n", MySQL "<uuid>:1-n"); "" for 0.
  std::string gtids(int n) const;
  // Sets what a replica received and executed (MariaDB: gtid_slave_pos too).
  void set_position(const std::string& name, int received, int executed);

  // The master stops answering; replicas' IO threads go to Connecting.
  void kill(const std::string& name);
  // The monitor's last observation of a dead master (flavor, GTIDs, settings).
  ServerObservation last_seen(const std::string& name);

  // Statements a server received in `phase` ("" = all), without the
  // read-only ones the monitor's check sends (SELECT VERSION(), SELECT
  // @@..., SHOW ..., the processlist): what the failover did to it. Waits are kept.
  std::vector<std::string> actions(const std::string& name, const std::string& phase = "");
  // Position of the first event starting with `prefix` in `events`, or -1.
  int event_index(const std::string& prefix);

  std::unique_ptr<SqlSession> make_sql();
  std::unique_ptr<RemoteShell> make_shell(const ServerConfig& server);

  // Statement handling; called with `mutex` held.
  Result<Rows> run(std::size_t index, const std::string& sql);
  // Applies in the flavor's GTID algebra.
  std::string merge(const std::string& a, const std::string& b) const;
  bool includes(const std::string& a, const std::string& b) const;
};

class FakeOperationClock final : public OperationClock {
 public:
  MonoTime now() const override { return m_now; }
  void sleep_for(std::chrono::milliseconds delay) override {
    m_now += delay;
    ++sleeps;
  }
  int sleeps = 0;

 private:
  MonoTime m_now = MonoTime{} + std::chrono::hours(1);
};

// Server i's replication IO thread has processlist id k_io_thread_id_base + i.
constexpr std::uint64_t k_io_thread_id_base = 9000;

class FakeVip final : public Vip {
 public:
  explicit FakeVip(FakeCluster& cluster) : m_cluster(cluster) {}
  VipOutcome release_outcome{true, false, "released"};
  VipOutcome acquire_outcome{true, false, "acquired"};
  std::string holder = "master";
  // false: reports success but the address stays where it was (a broken
  // master_ip_failover_script that exits 0).
  bool moves = true;
  // As ShellVip (each side acts on its own host) or as a script (false).
  bool acquire_first = false;

  // The limit each call got, in order: what the operation gave the seam.
  std::vector<std::chrono::milliseconds> limits;

  bool acquire_before_release() const override { return acquire_first; }
  std::string describe() const override { return holder; }

 private:
  FakeCluster& m_cluster;

  VipOutcome do_release(const ServerConfig& old_master, bool ssh_reachable, std::chrono::milliseconds limit) override;
  VipOutcome do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                        std::chrono::milliseconds limit) override;
};

}  // namespace mha::test
