// `mhactl check`: what MHA's masterha_check_repl and masterha_check_ssh
// verified, as one report of rows (check, server, ok|warn|fail, detail, fix).
// This header is the pure part: probes in (daemon/checks/check_probe.* fills
// them on workers), rows out. No I/O, no clock reads; any thread. The rules
// live one family per file in daemon/checks/rules_*.cpp (evaluation.h), the
// JSON in check_json.cpp; SQL text in hints comes from common/flavor.h.
//
// Every warn/fail row carries a one-line `fix`. Rows come in a fixed order
// (the order of the list below), servers in config order within a check.
// A check whose inputs are unknown (server unreachable, variables not read)
// is left out for that server: the `reachable` row already says why.
//
// Checks (id: scope, result when wrong — why):
//   reachable            server   FAIL  the connect/query error (a TLS one names ssl_mode and the fix)
//   tls                  server   FAIL  not encrypted although ssl_mode requires it; WARN
//                                       ssl_mode = preferred fell back to plaintext
//   version              server   FAIL  replica older major.minor than the master, or
//                                       another flavor; WARN older patch release
//   master               cluster  FAIL  no server can be identified as the master
//   single_writer        cluster  FAIL  0 or ≥2 writable (read_only=OFF) servers
//   replicates_from_master replica FAIL not a replica, or replicates from another
//                                       server (multi_tier_slave: ok)
//   replication_threads  replica  FAIL  IO/SQL thread stopped, erroring or connecting
//   replication_tls      replica  WARN  its ssl_mode requires TLS, it replicates with
//                                       Master_SSL_Allowed: No
//   replication_lag      replica  WARN  Seconds_Behind_Master > seconds_behind_master,
//                                       or a delayed replica (SQL_Delay) that may be promoted
//   gtid_mode            server   FAIL  MySQL only: gtid_mode is not ON
//   gtid_positioning     replica  FAIL  MariaDB Using_Gtid=No / MySQL Auto_Position=0
//   errant_gtids         replica  FAIL  transactions the master never had
//   read_only            replica  FAIL  read_only (MySQL: super_read_only) OFF
//   log_bin              candidate FAIL log_bin OFF (every server but no_master ones)
//   log_slave_updates    candidate FAIL/WARN, see below
//   binlog_format        cluster  WARN  not the same everywhere
//   replication_filters  cluster  FAIL  Replicate_* filters differ between replicas
//   binlog_filters       cluster  FAIL  Binlog_Do/Ignore_DB differ between binlogging
//                                       servers, or differ from the replicas'
//                                       replicate_do/ignore_db (MHA's rule)
//   master_status        server   WARN  SHOW MASTER/BINLOG STATUS not readable (privilege)
//   server_id            cluster  FAIL  duplicate server_id (MySQL: also server_uuid)
//   gtid_strict_mode     server   WARN  MariaDB only: OFF
//   semi_sync            master   WARN  not enabled, or enabled but inactive / no client
//   semi_sync            replica  WARN  replica side off (or master side off on a
//                                       candidate, which would be async after promotion)
//   slave_net_timeout    replica  WARN  > 10 s: the replica notices a dead master late,
//                                       so its second opinion arrives late
//   repl_privilege       candidate FAIL repl_user lacks REPLICATION SLAVE; WARN when it
//                                       could not be checked
//   candidates           cluster  FAIL  no replica can be promoted
//   ssh                  server   FAIL  mhad cannot log in (skip_init_ssh_check: ok, skipped)
//   binlog_dir           master   FAIL  master_binlog_dir holds no readable binlogs
//   binlog_tool          master+candidates FAIL  mariadb-binlog/mysqlbinlog missing
//   remote_workdir       server   WARN  remote_workdir not writable
//
// log_slave_updates: a promoted replica whose binlog lacks the replicated
// transactions cannot serve the other replicas what they miss, so candidate
// selection excludes it whenever another replica exists. So: FAIL for a
// replica when the cluster has another replica (it cannot be promoted), WARN
// otherwise (harmless today, breaks once a replica is added or the old
// master rejoins as a replica).
#pragma once

#include "common/config.h"
#include "common/topology.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

enum class CheckResult { ok, warn, fail };
std::string_view check_result_name(CheckResult result);  // "ok", "warn", "fail"

struct CheckRow {
  std::string check;   // short id, e.g. "replication_threads"
  std::string server;  // "" for cluster-wide rows
  CheckResult result = CheckResult::ok;
  std::string detail;
  std::string fix;     // one line; set for every warn/fail row
  bool operator==(const CheckRow&) const = default;
};

// SHOW MASTER STATUS / SHOW BINLOG STATUS / SHOW BINARY LOG STATUS.
struct MasterStatus {
  std::string file;  // current binlog, e.g. "mysql-bin.000012"
  std::uint64_t position = 0;
  std::vector<std::string> binlog_do_db;
  std::vector<std::string> binlog_ignore_db;
};

// What SSH to one host found. Filled by probe_host() on a worker.
struct HostProbe {
  bool checked = false;  // false: not probed (skip_init_ssh_check)
  bool ssh_ok = false;
  std::string ssh_error;
  // The host's key was refused (unknown or changed, host_key_policy.h):
  // nothing was sent to it, not even the login.
  bool host_key_refused = false;
  // The master only: a configured master_binlog_dir holds binlog files
  // (prefix from log_bin_basename, else the master status file) and the
  // current one is readable by ssh_user. nullopt: not checked.
  std::optional<bool> binlog_dir_readable;
  std::string binlog_dir_detail;   // what was found, or each directory's error
  std::string binlog_dir_found;    // the configured directory holding the binlogs
  std::string binlog_dir_expected; // directory of log_bin_basename, "" when unknown
  // Master and candidates: the flavor's binlog tool (in client_bindir when
  // set, else on PATH). nullopt: not checked (flavor unknown, or no_master).
  std::optional<bool> binlog_tool_present;
  std::string binlog_tool;         // the name looked for ("mariadb-binlog")
  std::string binlog_tool_detail;  // the path found, or the error
  // remote_workdir accepts a new file. nullopt: not checked.
  std::optional<bool> workdir_writable;
  std::string workdir_detail;
};

// Everything the checks need about one server. Filled by probe_server() and
// probe_host() on a worker.
struct ServerProbe {
  ServerObservation obs;                      // check_server() with the inventory read
  std::optional<MasterStatus> master_status;  // nullopt: binlog off, or not readable
  std::string master_status_error;            // why it was not readable ("" when read)
  // repl_user (the config's, else this replica's Master_User) has
  // Repl_slave_priv='Y' in mysql.user. nullopt: could not check.
  std::optional<bool> repl_user_can_replicate;
  std::string repl_user;           // the user checked
  std::string repl_grants_detail;  // why it could not be checked
  // Global privileges of mhad's own user (SHOW GRANTS, upper case, ON *.*
  // only). nullopt: could not be read (own_grants_error says why).
  std::optional<std::set<std::string>> own_privileges;
  std::string own_grants_error;
  // The probe's own connection as the server sees it (Ssl_version,
  // Ssl_cipher; "" = not encrypted). nullopt: could not be read.
  std::optional<std::string> tls_cipher;
  std::string tls_version;
  HostProbe host;
};

// probes[i] belongs to cluster.servers[i] (same size, same order).
std::vector<CheckRow> evaluate_checks(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes);

// {"rows":[{"check","server","result":"ok|warn|fail","detail","fix"}],
//  "summary":{"ok":N,"warn":N,"fail":N}}
nlohmann::json check_report_json(const std::vector<CheckRow>& rows);

}  // namespace mha
