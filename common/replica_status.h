// One row of SHOW SLAVE STATUS / SHOW REPLICA STATUS, typed, for both
// flavors and both column namings (Slave_/Master_ and MySQL 8.0.22+
// Replica_/Source_). Also reads the mysql client's vertical (\G) text, which
// is how fixtures and recordings store such rows. Pure: no server access.
#pragma once

#include "common/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

// Column name -> value; nullopt is SQL NULL. The shape SqlSession rows are
// converted to before parsing, so this file does not depend on the seam.
using StatusRow = std::map<std::string, std::optional<std::string>>;

// Replicate_* filter lists, split on the commas the server joins them with.
struct ReplicationFilters {
  std::vector<std::string> do_db;
  std::vector<std::string> ignore_db;
  std::vector<std::string> do_table;
  std::vector<std::string> ignore_table;
  std::vector<std::string> wild_do_table;
  std::vector<std::string> wild_ignore_table;

  bool empty() const;
  bool operator==(const ReplicationFilters&) const = default;
};

struct ReplicaStatus {
  // Slave_IO_Running / Replica_IO_Running. MariaDB's "Preparing" (IO thread
  // started, not yet reading events) is reported as connecting.
  enum class ThreadState { no, yes, connecting };
  // MariaDB Using_Gtid. MySQL rows report no here and use auto_position.
  enum class UsingGtid { no, slave_pos, current_pos };

  std::string io_state;
  std::string master_host;
  uint16_t master_port = 0;
  std::string master_user;
  std::string master_log_file;
  uint64_t read_master_log_pos = 0;
  std::string relay_master_log_file;
  uint64_t exec_master_log_pos = 0;
  ThreadState io_running = ThreadState::no;
  bool sql_running = false;
  std::optional<int64_t> seconds_behind;  // NULL when the SQL thread is not running
  uint32_t last_io_errno = 0;
  std::string last_io_error;
  uint32_t last_sql_errno = 0;
  std::string last_sql_error;
  uint32_t master_server_id = 0;
  ReplicationFilters filters;
  // GTID positioning in use: MySQL Auto_Position=1, or MariaDB Using_Gtid
  // other than No.
  bool auto_position = false;
  UsingGtid using_gtid = UsingGtid::no;
  std::string retrieved_gtid_set;  // MySQL; "" on MariaDB
  std::string executed_gtid_set;   // MySQL; "" on MariaDB
  std::string gtid_io_pos;         // MariaDB; "" on MySQL
  uint32_t sql_delay = 0;          // seconds
  std::string sql_running_state;
  uint64_t relay_log_space = 0;
  // Master_SSL_Allowed / Source_SSL_Allowed: "Yes" when the replication
  // connection is set up for TLS (MASTER_SSL=1), "No", MySQL's "Ignored";
  // "" when the row lacks it.
  std::string ssl_allowed;

  bool is_mariadb_row = false;  // the row had Using_Gtid/Gtid_IO_Pos

  // Both threads running (IO connecting counts as not running).
  bool replicating() const { return io_running == ThreadState::yes && sql_running; }
};

// Columns that must be present: both flavors have them under one of their
// names. The GTID columns are required as a group: Auto_Position with
// Retrieved_Gtid_Set and Executed_Gtid_Set (MySQL), or Using_Gtid with
// Gtid_IO_Pos (MariaDB). Optional, with defaults, because MariaDB before
// 10.2 lacks them: SQL_Delay (0) and *_SQL_Running_State (""). Column names
// match case-insensitively, as in SQL. Errors are Errc::parse and name the
// column and the value found, e.g.
//   replica status: column 'Read_Master_Log_Pos': expected an unsigned number, found 'abc'
//   replica status: missing column 'Master_Host' (or 'Source_Host')
// NULL in a text column reads as "", in a numeric column is an error (only
// Seconds_Behind_* may be NULL).
Result<ReplicaStatus> parse_replica_status(const StatusRow& row);

// The mysql client's vertical output of ONE row, e.g.
//   *************************** 1. row ***************************
//                  Slave_IO_State: Waiting for master to send event
//               Executed_Gtid_Set: uuid1:1-25,
//   uuid2:1-24
// A line "Name: value" (Name = letters, digits, underscores) starts a column;
// any other line continues the previous value and is joined to it with '\n',
// as the server's value has it. The client prints SQL NULL as "NULL", so that
// text becomes nullopt. Skipped: blank lines, lines starting with '#'
// (fixture comments), "mysql>" prompts, the "*** 1. row ***" banner and the
// "N row(s) in set" footer. A second row banner is an error: one row only.
Result<StatusRow> parse_vertical_output(std::string_view text);

}  // namespace mha
