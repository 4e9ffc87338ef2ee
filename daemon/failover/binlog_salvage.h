// MHA's save_binary_logs + apply, for GTID replication: when the dead
// master's host still answers SSH, read its binlogs from the most advanced
// replica's position on (the binlog tool on that host: mariadb-binlog with a
// GTID start position, MariaDB >= 10.8), bring the events back over SSH, and
// apply them to the new master before it takes writes. The events keep their
// GTIDs, so the other replicas get them from the new master and nothing is
// applied twice. Blocking: worker threads only.
#pragma once

#include "common/config.h"
#include "common/flavor.h"
#include "common/result.h"
#include "daemon/remote_shell.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <string>
#include <vector>

namespace mha {

struct SalvageRequest {
  Flavor flavor;                      // of the dead master
  std::vector<std::string> binlog_dirs;  // master_binlog_dir of the dead master
  std::string binlog_basename;        // @@log_bin_basename if known (picks the files), else ""
  // What the most advanced replica received: MariaDB, its Gtid_IO_Pos (one
  // GTID per domain, each exclusive); MySQL, its received GTID set
  // (Retrieved_Gtid_Set + Executed_Gtid_Set). Empty: nothing is salvaged
  // (ok, 0 transactions): replaying a whole binlog history is never safe.
  std::string start_position;
  std::string client_bindir;          // where the binlog tool is on that host; "": PATH
  std::chrono::milliseconds timeout{30000};
  // Larger output fails (the host stops sending after max_output_bytes + 1).
  std::size_t max_output_bytes = std::size_t{1} << 30;
};

struct SalvageResult {
  bool ok = false;
  std::string sql;             // the events as SQL text (the binlog tool's output), "" if none
  std::size_t transactions = 0;  // GTIDs found in the output
  std::string last_gtid;       // the last GTID in the output
  std::string command;         // what ran on the host (no secrets), for the report
  std::string error;
  // Exit status of the command on the host (see the k_exit_* codes), -1 when
  // it did not run or did not finish.
  int exit_status = -1;
  // Non-fatal notes, e.g. the domains in which the binlogs have nothing after
  // the start position (mariadb-binlog reports those as errors).
  std::vector<std::string> warnings;
};

// Exit codes of the salvage command besides 0.
inline constexpr int k_salvage_exit_no_binlogs = 4;    // no binlog files found
inline constexpr int k_salvage_exit_no_tool = 5;       // binlog tool not found
inline constexpr int k_salvage_exit_tool_failed = 6;   // the tool exited non-zero

// The shell command salvage_binlog runs (POSIX sh syntax: the SSH user's login
// shell must be sh-compatible). Errc::not_supported for MariaDB < 10.8 (no
// GTID start position); Errc::bad_request without binlog_dirs/basename.
Result<std::string> build_salvage_command(const SalvageRequest& request);

// Reads the binlog tool's output: the number of GTID events and the last one.
struct SalvageScan {
  std::size_t transactions = 0;
  std::string last_gtid;
};
SalvageScan scan_salvage_output(FlavorKind flavor, std::string_view sql);

// Runs the binlog tool on the dead master's host through `shell`.
SalvageResult salvage_binlog(RemoteShell& shell, const SalvageRequest& request);

// Applies salvaged SQL text to the new master with the local client
// (mariadb/mysql), credentials in a 0600 defaults file, never on a command
// line. Returns the client's error text on failure.
Result<void> apply_salvaged(const std::string& sql, const std::string& host, std::uint16_t port,
                            const std::string& user, const std::string& password,
                            std::chrono::milliseconds timeout);

}  // namespace mha
