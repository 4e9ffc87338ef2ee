// Every SQL statement whose text differs between MariaDB and MySQL, or
// between versions of one of them, lives here (DESIGN.md, "SQL flavors").
// A Flavor is detected once per connection from `SELECT VERSION()` and then
// only builds strings: no I/O, no server access, safe on any thread.
//
// Version thresholds used below:
//   MariaDB  10.0.9  minimum supported (GTID + MASTER_GTID_WAIT)
//            10.4.6  `mariadb-binlog` name exists (before: mysqlbinlog only)
//            10.5.2  SHOW BINLOG STATUS
//            10.8    mariadb-binlog --start-position accepts a GTID list
//   MySQL    5.7     minimum supported (super_read_only, WAIT_FOR_EXECUTED_GTID_SET)
//            8.0.22  SHOW REPLICA STATUS, START/STOP/RESET REPLICA
//            8.0.23  CHANGE REPLICATION SOURCE TO ... SOURCE_*
//            8.2.0   SHOW BINARY LOG STATUS (SHOW MASTER STATUS removed in 8.4)
//
// Statements that embed values (CHANGE MASTER, the wait functions) quote them
// with sql_quote(), which uses backslash escapes: the session that runs them
// must not have NO_BACKSLASH_ESCAPES in sql_mode (every mhad session runs
// k_session_sql_mode_sql first, whatever the server's global sql_mode) and
// must use an ASCII-safe character set (utf8mb4), as every mhad session does.
#pragma once

#include "common/result.h"
#include "common/tls.h"

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

enum class FlavorKind { mariadb, mysql };

struct ServerVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  auto operator<=>(const ServerVersion&) const = default;
  bool at_least(int ma, int mi, int pa = 0) const { return *this >= ServerVersion{ma, mi, pa}; }
  std::string to_string() const;  // "10.11.6"
};

// Where a replica should replicate from. The password ends up in the SQL
// text, so the statement built from it must never be logged.
struct ReplicationSource {
  std::string host;
  uint16_t port = 3306;
  std::string user;
  std::string password;
  // MySQL 8.0+ only (ignored elsewhere): ask the source for its RSA key, which
  // caching_sha2_password needs when replication does not use TLS.
  bool get_public_key = false;
  // The replica's TLS settings for this connection; paths on the replica's
  // host. See change_master_sql() for what each mode sets.
  TlsSettings tls{};
};

// Quotes a string literal for MySQL/MariaDB: wraps in single quotes, doubles
// a single quote (which means one quote with and without
// NO_BACKSLASH_ESCAPES, so no value can end the literal early in either
// mode) and escapes backslash, NUL, newline, carriage return and Ctrl-Z with
// a backslash (the rest of what mysql_real_escape_string escapes; the double
// quote is harmless inside single quotes). A backslash means what it should
// only without NO_BACKSLASH_ESCAPES: see k_session_sql_mode_sql.
std::string sql_quote(std::string_view text);

// Run first on every session mhad opens: takes NO_BACKSLASH_ESCAPES out of
// the session's sql_mode (a server may have it in its global sql_mode),
// keeping every other mode, so that sql_quote()'s backslash escapes hold.
// The same text for MariaDB and MySQL.
inline constexpr std::string_view k_session_sql_mode_sql =
    "SET SESSION sql_mode = REPLACE(REPLACE(REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES,', ''), "
    "',NO_BACKSLASH_ESCAPES', ''), 'NO_BACKSLASH_ESCAPES', '')";

class Flavor {
 public:
  Flavor(FlavorKind kind, ServerVersion version) : m_kind(kind), m_version(version) {}

  // Parses `SELECT VERSION()` output: "10.11.6-MariaDB-0+deb12u1-log",
  // "5.5.5-10.11.6-MariaDB" (the replication-protocol prefix old MariaDB
  // servers send; the real version follows it), "8.0.36", "5.7.42-log".
  // Errc::parse for text that is no version; Errc::not_supported below the
  // minimum versions above.
  static Result<Flavor> from_version(std::string_view version_string);

  FlavorKind kind() const { return m_kind; }
  const ServerVersion& version() const { return m_version; }
  bool is_mariadb() const { return m_kind == FlavorKind::mariadb; }
  bool is_mysql() const { return m_kind == FlavorKind::mysql; }
  std::string to_string() const;  // "MariaDB 10.11.6", "MySQL 8.0.36"

  // --- reading state -----------------------------------------------------
  std::string replica_status_sql() const;
  // The monitor's per-check replica status: MariaDB's SHOW ALL SLAVES STATUS
  // (one row per connection; the default one has Connection_name '') also
  // carries Slave_received_heartbeats, which otherwise only SHOW GLOBAL
  // STATUS has, and that statement's cost grows with the server's
  // connections. MySQL: replica_status_sql().
  std::string monitor_replica_status_sql() const;
  // MariaDB: one row (gtid_binlog_pos, gtid_slave_pos, gtid_current_pos);
  // MySQL: one row (gtid_executed).
  std::string gtid_executed_sql() const;
  // The monitor's per-check read, one round trip: @@GLOBAL.read_only, then
  // the columns of gtid_executed_sql().
  std::string read_only_and_gtids_sql() const;
  std::string master_status_sql() const;
  // MariaDB: one column (read_only); MySQL: two (read_only, super_read_only).
  std::string read_only_sql() const;
  // Settings the checks and the failover need (log_bin, binlog_format,
  // semi-sync, timeouts ...), as (Variable_name, Value) rows. Flavor-neutral
  // names on purpose: SHOW ... WHERE returns only variables that exist, so
  // one statement covers MariaDB, MySQL 5.7 and 8.x without errors.
  static std::string inventory_variables_sql();
  // Counters: semi-sync state, the replica's heartbeats, Uptime. SHOW GLOBAL
  // STATUS sums every connection's counters, so check_server reads it
  // every cycle only on a server that replicates from nobody (the master).
  static std::string health_status_sql();
  // Every connection but the caller's own (ID, USER, HOST, DB, COMMAND,
  // TIME, STATE, INFO); the same on both flavors. Switchover reads it for
  // long-running writes and for the client sessions it ends.
  static std::string processlist_sql();
  // Ends one connection (not only its statement): the client reconnects and
  // finds the new master instead of hanging on a read-only one.
  static std::string kill_connection_sql(std::uint64_t id);
  // The processlist ids of this replica's IO (receiver) threads. KILL on one
  // ends it at once; STOP ... IO_THREAD only kicks it and re-kicks every 2 s,
  // which a thread blocked on a vanished master's socket misses once.
  std::string io_thread_ids_sql() const;
  // This session's TLS as the server sees it: (Variable_name, Value) rows
  // Ssl_version and Ssl_cipher, empty values when not encrypted. The same on
  // both flavors.
  static std::string tls_status_sql();
  // Replicas connected to this server (Server_id, Host, Port, ...).
  std::string replica_hosts_sql() const;

  // Columns of replica_status_sql() holding the received GTIDs, and (MySQL
  // only; empty for MariaDB, whose executed position comes from
  // gtid_executed_sql()) the executed ones.
  std::string_view received_gtids_column() const;
  std::string_view executed_gtids_column() const;

  // --- replication control -------------------------------------------------
  std::string start_replica_sql() const;
  std::string stop_replica_sql() const;
  std::string start_io_thread_sql() const;
  std::string stop_io_thread_sql() const;
  std::string start_sql_thread_sql() const;
  std::string stop_sql_thread_sql() const;
  std::string reset_replica_all_sql() const;
  // Run before a server that was a master (or took writes of its own) first
  // replicates. MariaDB: SET GLOBAL gtid_slave_pos = @@gtid_current_pos, so
  // that MASTER_USE_GTID=slave_pos starts after what it wrote itself (its
  // gtid_slave_pos is empty or stale, and it would otherwise ask for its own
  // transactions again). MySQL: "" (auto-positioning sends gtid_executed).
  std::string adopt_own_position_sql() const;
  // Points this server at `source` with GTID auto-positioning. Contains the
  // password: never log the result. An empty password leaves the clause out
  // (the replica keeps the one it has). TLS, by source.tls.mode (MASTER_ or,
  // MySQL 8.0.23+, SOURCE_ prefix; the same words on MariaDB and MySQL):
  //   disabled, preferred  no SSL clause: the replica keeps what it has (a
  //                        replication connection cannot fall back, so
  //                        "preferred" is left to the replica's own setup)
  //   required             SSL=1, SSL_VERIFY_SERVER_CERT=0
  //   verify_ca            SSL=1, SSL_CA=ca, SSL_VERIFY_SERVER_CERT=0 (both
  //                        servers check the chain whenever they have a CA)
  //   verify_identity      SSL=1, SSL_CA=ca, SSL_VERIFY_SERVER_CERT=1: the
  //                        certificate must also name source.host
  // plus SSL_CERT and SSL_KEY when set, for every mode from required.
  std::string change_master_sql(const ReplicationSource& source) const;
  // The SSL clauses change_master_sql() adds for `tls`, comma-separated,
  // without a leading comma; "" for disabled and preferred.
  std::string tls_source_clauses(const TlsSettings& tls) const;
  // "CHANGE MASTER TO <clauses>" or, MySQL 8.0.23+, "CHANGE REPLICATION
  // SOURCE TO <clauses>".
  std::string change_source_sql(std::string_view clauses) const;
  // The clause that turns on GTID positioning: MASTER_USE_GTID=slave_pos,
  // SOURCE_AUTO_POSITION=1 (MySQL 8.0.23+) or MASTER_AUTO_POSITION=1.
  std::string gtid_positioning_clause() const;
  // For hints shown to the operator (`mhactl check` fixes), never run: stop,
  // point at host:port as `user` with GTID positioning, start. The password
  // is the placeholder '...': hints never carry secrets. Values unquoted.
  std::string repoint_hint_sql(std::string_view host, uint16_t port, std::string_view user) const;
  // CHANGE ... TO MASTER_HEARTBEAT_PERIOD=N (SOURCE_ on MySQL 8.0.23+).
  std::string heartbeat_period_sql(int seconds) const;
  // "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD" (REPLICA on MySQL 8.0.22+).
  std::string restart_io_thread_sql() const;

  // Blocks until the server has executed `gtids` (a MariaDB position or a
  // MySQL GTID set, as text) or `timeout` passes. Result, one integer column:
  //   MariaDB MASTER_GTID_WAIT:           0 reached, -1 timed out
  //   MySQL WAIT_FOR_EXECUTED_GTID_SET:   0 reached,  1 timed out
  // use wait_timed_out() to read it. The timeout is raised to at least 1s:
  // a zero timeout means "do not wait" in one flavor and has had other
  // meanings across versions in the other.
  std::string wait_for_gtids_sql(std::string_view gtids, std::chrono::seconds timeout) const;
  bool wait_timed_out(int64_t result) const;

  // --- fencing -------------------------------------------------------------
  // MySQL: super_read_only also blocks SUPER users and implies read_only.
  std::string fence_writes_sql() const;
  // Both flavors: SET GLOBAL read_only=0. On MySQL that also clears
  // super_read_only; "super_read_only=0" alone would leave read_only=1.
  std::string unfence_writes_sql() const;
  // Lets the administrative user write while the server stays read_only for
  // everyone else (used to apply salvaged binlog events before promotion).
  // MySQL: super_read_only=0 (read_only stays 1). MariaDB: "" — its
  // read_only does not stop SUPER / READ ONLY ADMIN.
  std::string admin_writes_sql() const;
  // Global privileges that let a user write while read_only=1 (any one of
  // them; ALL PRIVILEGES includes each). mhad's user needs one to apply
  // salvaged events before promotion. MariaDB >= 10.11: READ ONLY ADMIN
  // (SUPER no longer includes it); older MariaDB: SUPER; MySQL: SUPER or
  // CONNECTION_ADMIN.
  std::vector<std::string> write_while_read_only_privileges() const;

  // --- statements the same everywhere ---------------------------------------
  static std::string version_sql();      // SELECT VERSION(), to detect the flavor
  static std::string server_id_sql();    // SELECT @@server_id
  static std::string show_grants_sql();  // the session user's own grants
  // One row, one column: how many mysql.user rows for `user` (any host) have
  // REPLICATION SLAVE (Repl_slave_priv='Y').
  static std::string repl_privilege_sql(std::string_view user);
  // INSERT ping (ping_type = insert): one row in mhad.heartbeat, created by
  // the two DDL statements below when missing.
  static std::string heartbeat_write_sql();
  static std::string heartbeat_database_sql();
  static std::string heartbeat_table_sql();

  // --- binlog tool ---------------------------------------------------------
  std::string_view binlog_tool() const;
  // mariadb-binlog --start-position=<gtid list> (MariaDB >= 10.8). MySQL's
  // mysqlbinlog has no GTID start position (only --exclude-gtids): false.
  bool binlog_tool_accepts_gtid_start() const;

  bool operator==(const Flavor&) const = default;

 private:
  FlavorKind m_kind;
  ServerVersion m_version;
};

}  // namespace mha
