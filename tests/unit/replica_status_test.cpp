// SHOW SLAVE/REPLICA STATUS rows (common/replica_status.h), from recorded and
// hand-made fixtures in tests/fixtures and from inline text.
#include "common/replica_status.h"

#include "common/gtid.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#ifndef MHA_FIXTURE_DIR
#error "MHA_FIXTURE_DIR must name tests/fixtures (set by the build)"
#endif

using namespace mha;
using ThreadState = ReplicaStatus::ThreadState;
using UsingGtid = ReplicaStatus::UsingGtid;

namespace {

const std::filesystem::path k_fixtures = MHA_FIXTURE_DIR;

std::string read_fixture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

StatusRow vertical(std::string_view text) {
  auto row = parse_vertical_output(text);
  if (!row) FAIL(row.error().message);
  return *row;
}

ReplicaStatus status_of(const StatusRow& row) {
  auto status = parse_replica_status(row);
  if (!status) FAIL(status.error().message);
  return *status;
}

std::string status_error(const StatusRow& row) {
  auto status = parse_replica_status(row);
  REQUIRE_FALSE(status);
  CHECK(status.error().code == Errc::parse);
  return status.error().message;
}

// A minimal MariaDB 10.11 row, inline so the MariaDB path is covered before
// recorded mariadb1011_* fixtures exist.
constexpr std::string_view k_mariadb_row = R"(MariaDB [(none)]> SHOW SLAVE STATUS\G
*************************** 1. row ***************************
                Slave_IO_State: Waiting for master to send event
                   Master_Host: 10.0.0.1
                   Master_User: repl
                   Master_Port: 3306
                 Connect_Retry: 60
               Master_Log_File: mariadb-bin.000003
           Read_Master_Log_Pos: 1234
                Relay_Log_File: relay-bin.000002
                 Relay_Log_Pos: 900
         Relay_Master_Log_File: mariadb-bin.000003
              Slave_IO_Running: Preparing
             Slave_SQL_Running: No
               Replicate_Do_DB: app1, app2
           Replicate_Ignore_DB: 
            Replicate_Do_Table: 
        Replicate_Ignore_Table: 
       Replicate_Wild_Do_Table: 
   Replicate_Wild_Ignore_Table: 
                    Last_Errno: 1062
                    Last_Error: Duplicate entry '1' for key 'PRIMARY'
                  Skip_Counter: 0
           Exec_Master_Log_Pos: 1000
               Relay_Log_Space: 1500
               Until_Condition: None
                Until_Log_File: 
                 Until_Log_Pos: 0
            Master_SSL_Allowed: No
         Seconds_Behind_Master: NULL
 Master_SSL_Verify_Server_Cert: No
                 Last_IO_Errno: 0
                 Last_IO_Error: 
                Last_SQL_Errno: 1062
                Last_SQL_Error: Duplicate entry '1' for key 'PRIMARY'
   Replicate_Ignore_Server_Ids: 
              Master_Server_Id: 1
                Master_SSL_Crl: 
            Master_SSL_Crlpath: 
                    Using_Gtid: Slave_Pos
                   Gtid_IO_Pos: 0-1-4125,1-2-17
       Replicate_Do_Domain_Ids: 
   Replicate_Ignore_Domain_Ids: 
                 Parallel_Mode: optimistic
                     SQL_Delay: 30
           SQL_Remaining_Delay: NULL
       Slave_SQL_Running_State: 
              Slave_DDL_Groups: 2
Slave_Non_Transactional_Groups: 0
    Slave_Transactional_Groups: 120
1 row in set (0.000 sec)
)";

}  // namespace

TEST_CASE("MySQL 5.7 SHOW SLAVE STATUS fixture", "[replica_status]") {
  const auto row = vertical(read_fixture(k_fixtures / "mysql57_show_slave_status.txt"));
  CHECK(row.size() == 57);  // 59 lines after the banner; Executed_Gtid_Set spans 3
  CHECK(row.at("Master_TLS_Version") == "");
  CHECK(row.at("SQL_Remaining_Delay") == std::nullopt);

  const auto s = status_of(row);
  CHECK(s.io_state == "Waiting for master to send event");
  CHECK(s.master_host == "192.168.3.74");
  CHECK(s.master_port == 3306);
  CHECK(s.master_user == "myslave");
  CHECK(s.master_log_file == "binlog.000008");
  CHECK(s.read_master_log_pos == 234);
  CHECK(s.relay_master_log_file == "binlog.000008");
  CHECK(s.exec_master_log_pos == 234);
  CHECK(s.io_running == ThreadState::yes);
  CHECK(s.sql_running);
  CHECK(s.replicating());
  CHECK(s.seconds_behind == 0);
  CHECK(s.last_io_errno == 0);
  CHECK(s.last_io_error == "");
  CHECK(s.last_sql_errno == 0);
  CHECK(s.last_sql_error == "");
  CHECK(s.master_server_id == 2);
  CHECK(s.filters.empty());
  CHECK(s.filters == ReplicationFilters{});
  CHECK(s.auto_position);
  CHECK(s.using_gtid == UsingGtid::no);
  CHECK_FALSE(s.is_mariadb_row);
  CHECK(s.retrieved_gtid_set == "");
  // The multi-line value keeps the server's newlines.
  CHECK(s.executed_gtid_set ==
        "28c4b399-1af4-11ee-9051-080027745082:1-25,\n"
        "36689b3d-1af9-11ee-b57a-08002765ff81:1-24,\n"
        "bbd4275f-1af0-11ee-911e-0800278b8ad6:1-12");
  CHECK(s.gtid_io_pos == "");
  CHECK(s.sql_delay == 0);
  CHECK(s.sql_running_state == "Slave has read all relay log; waiting for more updates");
  CHECK(s.relay_log_space == 569);

  auto executed = GtidSet::parse(s.executed_gtid_set);
  REQUIRE(executed);
  CHECK(executed->count() == 61);
  CHECK(executed->to_string() ==
        "28c4b399-1af4-11ee-9051-080027745082:1-25,36689b3d-1af9-11ee-b57a-08002765ff81:1-24,"
        "bbd4275f-1af0-11ee-911e-0800278b8ad6:1-12");
}

TEST_CASE("MySQL 8.0 SHOW REPLICA STATUS fixture with the new column names", "[replica_status]") {
  const auto row = vertical(read_fixture(k_fixtures / "mysql80_show_replica_status.txt"));
  CHECK(row.count("Source_Host") == 1);
  CHECK(row.count("Master_Host") == 0);

  const auto s = status_of(row);
  CHECK(s.io_state == "Waiting for source to send event");
  CHECK(s.master_host == "192.168.3.71");
  CHECK(s.master_port == 3306);
  CHECK(s.master_user == "myslave");
  CHECK(s.master_log_file == "binlog.000012");
  CHECK(s.read_master_log_pos == 48213);
  CHECK(s.relay_master_log_file == "binlog.000012");
  CHECK(s.exec_master_log_pos == 47890);
  CHECK(s.io_running == ThreadState::yes);
  CHECK(s.sql_running);
  CHECK(s.seconds_behind == 3);
  CHECK(s.master_server_id == 3);
  CHECK(s.filters.wild_ignore_table == std::vector<std::string>{"tmp%.%", "scratch.%"});
  CHECK(s.filters.do_db.empty());
  CHECK_FALSE(s.filters.empty());
  CHECK(s.auto_position);
  CHECK(s.retrieved_gtid_set == "36689b3d-1af9-11ee-b57a-08002765ff81:25-131");
  CHECK(s.sql_running_state == "Waiting for dependent transaction to commit");
  CHECK(s.relay_log_space == 10112);
  CHECK(s.ssl_allowed == "No");  // Source_SSL_Allowed

  // What the IO thread received but the SQL thread has not applied yet.
  auto retrieved = GtidSet::parse(s.retrieved_gtid_set);
  auto executed = GtidSet::parse(s.executed_gtid_set);
  REQUIRE(retrieved);
  REQUIRE(executed);
  CHECK(retrieved->subtract(*executed).to_string() == "36689b3d-1af9-11ee-b57a-08002765ff81:130-131");
}

TEST_CASE("every status fixture parses", "[replica_status]") {
  // Recordings added later (mariadb1011_*.txt and others) are picked up here.
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(k_fixtures)) {
    const auto name = entry.path().filename().string();
    if (entry.path().extension() != ".txt" || name.find("show_") == std::string::npos ||
        name.find("status") == std::string::npos)
      continue;
    // SHOW MASTER/BINLOG/BINARY LOG STATUS recordings share the naming; they
    // are not rows of replica status.
    if (name.find("master_status") != std::string::npos || name.find("binlog_status") != std::string::npos ||
        name.find("binary_log_status") != std::string::npos)
      continue;
    ++seen;
    INFO("fixture " << name);
    auto row = parse_vertical_output(read_fixture(entry.path()));
    REQUIRE(row);
    auto status = parse_replica_status(*row);
    INFO((status ? std::string() : status.error().message));
    REQUIRE(status);
    CHECK_FALSE(status->master_host.empty());
    CHECK(status->master_port > 0);
    if (name.starts_with("mariadb")) {
      CHECK(status->is_mariadb_row);
      auto io_pos = GtidPosition::parse(status->gtid_io_pos);
      INFO((io_pos ? std::string() : io_pos.error().message));
      CHECK(io_pos);
    } else {
      CHECK_FALSE(status->is_mariadb_row);
      auto retrieved = GtidSet::parse(status->retrieved_gtid_set);
      auto executed = GtidSet::parse(status->executed_gtid_set);
      INFO((retrieved ? std::string() : retrieved.error().message));
      INFO((executed ? std::string() : executed.error().message));
      CHECK(retrieved);
      CHECK(executed);
    }
  }
  CHECK(seen >= 2);
}

TEST_CASE("MariaDB SHOW SLAVE STATUS row", "[replica_status]") {
  const auto s = status_of(vertical(k_mariadb_row));
  CHECK(s.is_mariadb_row);
  CHECK(s.master_host == "10.0.0.1");
  CHECK(s.io_running == ThreadState::connecting);  // "Preparing"
  CHECK_FALSE(s.sql_running);
  CHECK_FALSE(s.replicating());
  CHECK(s.seconds_behind == std::nullopt);
  CHECK(s.using_gtid == UsingGtid::slave_pos);
  CHECK(s.auto_position);
  CHECK(s.gtid_io_pos == "0-1-4125,1-2-17");
  CHECK(s.retrieved_gtid_set == "");
  CHECK(s.executed_gtid_set == "");
  CHECK(s.filters.do_db == std::vector<std::string>{"app1", "app2"});
  CHECK(s.last_sql_errno == 1062);
  CHECK(s.last_sql_error == "Duplicate entry '1' for key 'PRIMARY'");
  CHECK(s.sql_delay == 30);
  CHECK(s.sql_running_state == "");
  auto io_pos = GtidPosition::parse(s.gtid_io_pos);
  REQUIRE(io_pos);
  CHECK(io_pos->get(0) == MariadbGtid{0, 1, 4125});

  SECTION("Using_Gtid values") {
    auto row = vertical(k_mariadb_row);
    row["Using_Gtid"] = "No";
    CHECK(status_of(row).using_gtid == UsingGtid::no);
    CHECK_FALSE(status_of(row).auto_position);
    row["Using_Gtid"] = "Current_Pos";
    CHECK(status_of(row).using_gtid == UsingGtid::current_pos);
    CHECK(status_of(row).auto_position);
    row["Using_Gtid"] = "slave_pos";  // case-insensitive
    CHECK(status_of(row).using_gtid == UsingGtid::slave_pos);
    row["Using_Gtid"] = "Maybe";
    CHECK(status_error(row) ==
          "replica status: column 'Using_Gtid': expected No, Slave_Pos or Current_Pos, found 'Maybe'");
  }
  SECTION("Gtid_IO_Pos is required with Using_Gtid") {
    auto row = vertical(k_mariadb_row);
    row.erase("Gtid_IO_Pos");
    CHECK(status_error(row) == "replica status: missing column 'Gtid_IO_Pos'");
  }
  SECTION("optional columns of old MariaDB") {
    auto row = vertical(k_mariadb_row);
    row.erase("SQL_Delay");
    row.erase("Slave_SQL_Running_State");
    const auto old = status_of(row);
    CHECK(old.sql_delay == 0);
    CHECK(old.sql_running_state == "");
  }
}

TEST_CASE("replica status thread states", "[replica_status]") {
  auto row = vertical(read_fixture(k_fixtures / "mysql57_show_slave_status.txt"));
  const std::pair<const char*, ThreadState> io_cases[] = {
      {"Yes", ThreadState::yes}, {"No", ThreadState::no}, {"Connecting", ThreadState::connecting},
      {"yes", ThreadState::yes}, {"Preparing", ThreadState::connecting}};
  for (const auto& [text, state] : io_cases) {
    row["Slave_IO_Running"] = text;
    CHECK(status_of(row).io_running == state);
  }
  row["Slave_IO_Running"] = "Connecting";
  CHECK_FALSE(status_of(row).replicating());
  row["Slave_IO_Running"] = "Sometimes";
  CHECK(status_error(row) ==
        "replica status: column 'Slave_IO_Running': expected Yes, No or Connecting, found 'Sometimes'");
  row["Slave_IO_Running"] = std::nullopt;
  CHECK(status_error(row) == "replica status: column 'Slave_IO_Running': expected Yes, No or Connecting, found 'NULL'");
  row["Slave_IO_Running"] = "Yes";
  row["Slave_SQL_Running"] = "No";
  CHECK_FALSE(status_of(row).sql_running);
  row["Slave_SQL_Running"] = "Connecting";
  CHECK(status_error(row) == "replica status: column 'Slave_SQL_Running': expected Yes or No, found 'Connecting'");
}

TEST_CASE("replica status errors name the column and the value", "[replica_status]") {
  const auto base = vertical(read_fixture(k_fixtures / "mysql57_show_slave_status.txt"));
  const auto base80 = vertical(read_fixture(k_fixtures / "mysql80_show_replica_status.txt"));

  SECTION("missing columns, old naming") {
    auto row = base;
    row.erase("Master_Host");
    CHECK(status_error(row) == "replica status: missing column 'Master_Host' (or 'Source_Host')");
    row = base;
    row.erase("Relay_Log_Space");
    CHECK(status_error(row) == "replica status: missing column 'Relay_Log_Space'");
    row = base;
    row.erase("Seconds_Behind_Master");
    CHECK(status_error(row) ==
          "replica status: missing column 'Seconds_Behind_Master' (or 'Seconds_Behind_Source')");
    row = base;
    row.erase("Executed_Gtid_Set");
    CHECK(status_error(row) == "replica status: missing column 'Executed_Gtid_Set'");
    row = base;
    row.erase("Auto_Position");
    CHECK(status_error(row) == "replica status: missing column 'Auto_Position' (MySQL) or 'Using_Gtid' (MariaDB)");
  }
  SECTION("the first problem is the one reported") {
    auto row = base;
    row.erase("Master_Host");
    row.erase("Auto_Position");
    CHECK(status_error(row) == "replica status: missing column 'Master_Host' (or 'Source_Host')");
  }
  SECTION("non-numeric numbers, new naming") {
    auto row = base80;
    row["Read_Source_Log_Pos"] = "abc";
    CHECK(status_error(row) ==
          "replica status: column 'Read_Source_Log_Pos': expected an unsigned number, found 'abc'");
    row = base80;
    row["Source_Port"] = "70000";
    CHECK(status_error(row) == "replica status: column 'Source_Port': expected an unsigned number, found '70000'");
    row = base80;
    row["Exec_Source_Log_Pos"] = "-1";
    CHECK(status_error(row) ==
          "replica status: column 'Exec_Source_Log_Pos': expected an unsigned number, found '-1'");
    row = base80;
    row["Source_Server_Id"] = std::nullopt;
    CHECK(status_error(row) == "replica status: column 'Source_Server_Id': expected an unsigned number, found 'NULL'");
    row = base80;
    row["Seconds_Behind_Source"] = "soon";
    CHECK(status_error(row) ==
          "replica status: column 'Seconds_Behind_Source': expected a number or NULL, found 'soon'");
    row = base80;
    row["Last_IO_Errno"] = "";
    CHECK(status_error(row) == "replica status: column 'Last_IO_Errno': expected an unsigned number, found ''");
    row = base80;
    row["Auto_Position"] = "2";
    CHECK(status_error(row) == "replica status: column 'Auto_Position': expected 0 or 1, found '2'");
  }
  SECTION("NULL text reads as empty, NULL lag as nullopt") {
    auto row = base;
    row["Last_IO_Error"] = std::nullopt;
    row["Seconds_Behind_Master"] = std::nullopt;
    const auto s = status_of(row);
    CHECK(s.last_io_error == "");
    CHECK_FALSE(s.seconds_behind.has_value());
  }
  SECTION("column names match case-insensitively") {
    auto row = base;
    const auto value = row.at("Master_Host");
    row.erase("Master_Host");
    row["master_host"] = value;
    CHECK(status_of(row).master_host == "192.168.3.74");
  }
}

TEST_CASE("vertical output parsing", "[replica_status]") {
  SECTION("names, values, NULL, continuation lines") {
    const auto row = vertical(
        "mysql> show slave status\\G\n"
        "# a comment\n"
        "*************************** 1. row ***************************\n"
        "        A_Col: one: with colon\n"
        "        B_Col: \n"
        "        C_Col: NULL\n"
        "Executed_Gtid_Set: 28c4b399-1af4-11ee-9051-080027745082:1-25,\r\n"
        "36689b3d-1af9-11ee-b57a-08002765ff81:1-24\n"
        "        D_Col:\n"
        "\n"
        "1 row in set (0.01 sec)\n");
    CHECK(row.size() == 5);
    CHECK(row.at("A_Col") == "one: with colon");
    CHECK(row.at("B_Col") == "");
    CHECK(row.at("C_Col") == std::nullopt);
    CHECK(row.at("D_Col") == "");
    CHECK(row.at("Executed_Gtid_Set") ==
          "28c4b399-1af4-11ee-9051-080027745082:1-25,\n36689b3d-1af9-11ee-b57a-08002765ff81:1-24");
  }
  SECTION("empty text, empty set") {
    CHECK(vertical("").empty());
    CHECK(vertical("Empty set (0.00 sec)\n").empty());
  }
  SECTION("a second row is refused") {
    auto r = parse_vertical_output(
        "*************************** 1. row ***************************\n"
        "A: 1\n"
        "*************************** 2. row ***************************\n"
        "A: 2\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::parse);
    CHECK(r.error().message == "vertical output, line 3: a second row; only one row is supported");
  }
  SECTION("a duplicate column is refused") {
    auto r = parse_vertical_output("A: 1\nB: 2\nA: 3\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "vertical output, line 3: column 'A' appears twice");
  }
  SECTION("text before any column is refused") {
    auto r = parse_vertical_output("garbage here\nA: 1\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "vertical output, line 1: expected 'Name: value', found 'garbage here'");
  }
}

TEST_CASE("Master_SSL_Allowed tells whether replication is set up for TLS", "[replica_status][tls]") {
  auto row = vertical(read_fixture(k_fixtures / "mariadb1011_show_slave_status.txt"));
  CHECK(status_of(row).ssl_allowed == "No");
  row["Master_SSL_Allowed"] = "Yes";
  CHECK(status_of(row).ssl_allowed == "Yes");
  row.erase("Master_SSL_Allowed");  // optional: old servers and hand-made rows
  CHECK(status_of(row).ssl_allowed.empty());
}
