// The blocking half of `mhactl check`: read what daemon/checks/cluster_checks
// evaluates, through the SQL and SSH seams. Worker threads only; every call
// is bounded by the seams' timeouts (SQL connect/read, SSH connect, and
// k_check_command_timeout per SSH command). No secrets in any command: SQL
// values go through sql_quote(), paths through shell_quote() (common/text.h).
#pragma once

#include "common/config.h"
#include "common/text.h"  // shell_quote()
#include "common/topology.h"
#include "daemon/checks/cluster_checks.h"
#include "daemon/remote_shell.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

inline constexpr std::chrono::milliseconds k_check_command_timeout{5000};

// check_server() with the settings read (refresh_inventory), then the master
// status (binlog file, Binlog_Do/Ignore_DB) and whether repl_user (the
// config's, else this replica's Master_User) has Repl_slave_priv='Y' in
// mysql.user, as MHA's check_repl_priv does (a GRANT through a role is not
// seen; SHOW GRANTS would need the user's host part, which mhad does not
// know). Closes the session before returning.
ServerProbe probe_server(SqlSession& session, const SqlEndpoint& endpoint, const ClusterConfig& cluster,
                         const ServerConfig& server, MonoTime now);

// SSH to the server's host: log in (`exit 0`); remote_workdir accepts a
// file; on the master and on candidates (not no_master) the flavor's binlog
// tool exists (client_bindir when set, else PATH); on the master, a
// master_binlog_dir holds its binlog files (prefix from log_bin_basename,
// else from the master status file) and the current one is readable.
// Nothing is probed when the server has skip_init_ssh_check.
// `obs` and `master_status` come from probe_server() (unreachable: the
// flavor-dependent parts are skipped).
HostProbe probe_host(RemoteShell& shell, const ServerConfig& server, bool is_master, const ServerObservation& obs,
                     const std::optional<MasterStatus>& master_status = std::nullopt);

// Parsing helpers, pure, for tests.
// The global privileges in SHOW GRANTS lines ("GRANT A, B ON *.* TO ..."),
// upper case; grants on databases, tables and roles are left out.
std::set<std::string> global_privileges(const std::vector<std::string>& show_grants_lines);
// "mysql-bin.000012" -> "mysql-bin"; "" when it has no numeric extension.
std::string binlog_prefix_of_file(std::string_view file);
// Lines of `ls -1` output that are binlog files of `prefix` ("prefix." and
// digits only); with an empty prefix, any name ending in "." and 6+ digits.
std::vector<std::string> binlog_files_in_listing(std::string_view listing, std::string_view prefix);

}  // namespace mha
