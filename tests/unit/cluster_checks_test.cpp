// `mhactl check` evaluation (daemon/checks/cluster_checks) on hand-built
// probes: the field guide's cluster (master + slave1 + slave2, MariaDB 10.11,
// GTID, semi-sync) healthy, then one thing broken at a time.
#include <catch2/catch.hpp>

#include "daemon/checks/check_probe.h"
#include "daemon/checks/cluster_checks.h"

#include <algorithm>

using namespace mha;
using namespace std::chrono_literals;

namespace {

ClusterConfig app1() {
  ClusterConfig c;
  c.name = "app1";
  c.repl_user = "myslave";
  for (auto [name, host] :
       {std::pair{"master", "192.168.3.74"}, {"slave1", "192.168.3.71"}, {"slave2", "192.168.3.70"}}) {
    ServerConfig s;
    s.name = name;
    s.host = host;
    s.ip = host;
    s.ssh_host = host;
    s.ssh_user = "root";
    s.ssh_key = "/etc/mhad/id_ed25519";
    c.servers.push_back(s);
  }
  return c;
}

ServerProbe healthy(std::uint32_t server_id, bool master, std::string version = "10.11.6-MariaDB-log") {
  ServerProbe p;
  ServerObservation& o = p.obs;
  o.checked = true;
  o.reachable = true;
  o.version = version;
  o.flavor = *Flavor::from_version(version);
  bool mariadb = o.flavor->is_mariadb();
  o.server_id = server_id;
  o.read_only = !master;
  o.gtid_executed = mariadb ? "0-1-100" : "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100";
  if (mariadb) o.gtid_slave_pos = master ? "" : "0-1-100";
  o.variables = {{"server_id", std::to_string(server_id)},
                 {"log_bin", "ON"},
                 {"log_bin_basename", "/var/lib/mysql/mysql-bin"},
                 {"binlog_format", "ROW"},
                 {"read_only", master ? "OFF" : "ON"}};
  if (mariadb) {
    o.variables["log_slave_updates"] = "ON";
    o.variables["gtid_strict_mode"] = "ON";
    o.variables["rpl_semi_sync_master_enabled"] = "ON";
    o.variables["rpl_semi_sync_slave_enabled"] = "ON";
    o.variables["slave_net_timeout"] = "4";
  } else {
    o.variables["log_replica_updates"] = "ON";
    o.variables["gtid_mode"] = "ON";
    o.variables["super_read_only"] = master ? "OFF" : "ON";
    o.variables["server_uuid"] = fmt::format("00000000-0000-0000-0000-00000000000{}", server_id);
    o.variables["rpl_semi_sync_source_enabled"] = "ON";
    o.variables["rpl_semi_sync_replica_enabled"] = "ON";
    o.variables["replica_net_timeout"] = "4";
  }
  if (master) {
    o.status[mariadb ? "Rpl_semi_sync_master_status" : "Rpl_semi_sync_source_status"] = "ON";
    o.status[mariadb ? "Rpl_semi_sync_master_clients" : "Rpl_semi_sync_source_clients"] = "2";
  } else {
    ReplicaStatus r;
    r.master_host = "192.168.3.74";
    r.master_port = 3306;
    r.master_user = "myslave";
    r.io_running = ReplicaStatus::ThreadState::yes;
    r.sql_running = true;
    r.seconds_behind = 0;
    r.auto_position = true;
    r.is_mariadb_row = mariadb;
    r.using_gtid = mariadb ? ReplicaStatus::UsingGtid::slave_pos : ReplicaStatus::UsingGtid::no;
    if (mariadb)
      r.gtid_io_pos = "0-1-100";
    else
      r.retrieved_gtid_set = o.gtid_executed;
    o.replica = r;
  }
  p.master_status = MasterStatus{"mysql-bin.000012", 4567, {}, {}};
  p.repl_user = "myslave";
  p.repl_user_can_replicate = true;
  p.own_privileges = std::set<std::string>{"ALL PRIVILEGES"};
  p.host.checked = true;
  p.host.ssh_ok = true;
  p.host.binlog_tool_present = true;
  p.host.binlog_tool = mariadb ? "mariadb-binlog" : "mysqlbinlog";
  p.host.binlog_tool_detail = "/usr/bin/" + p.host.binlog_tool;
  p.host.workdir_writable = true;
  if (master) {
    p.host.binlog_dir_readable = true;
    p.host.binlog_dir_detail = "3 'mysql-bin.*' files in '/var/lib/mysql', 'mysql-bin.000012' readable";
    p.host.binlog_dir_found = "/var/lib/mysql";
    p.host.binlog_dir_expected = "/var/lib/mysql";
  }
  return p;
}

std::vector<ServerProbe> healthy_cluster(std::string version = "10.11.6-MariaDB-log") {
  return {healthy(1, true, version), healthy(2, false, version), healthy(3, false, version)};
}

std::vector<CheckRow> evaluate(const std::vector<ServerProbe>& probes, const ClusterConfig& cluster = app1()) {
  auto rows = evaluate_checks(cluster, probes);
  for (const auto& row : rows)
    if (row.result != CheckResult::ok) {
      INFO(row.check << " " << row.server << ": " << row.detail);
      CHECK_FALSE(row.fix.empty());
      CHECK(row.fix.find('\n') == std::string::npos);
    }
  return rows;
}

// The row of `check` for `server` ("" = cluster-wide); fails the test when absent.
CheckRow row_of(const std::vector<CheckRow>& rows, std::string_view check, std::string_view server = "") {
  for (const auto& row : rows)
    if (row.check == check && row.server == server) return row;
  FAIL("no row " << check << " for '" << server << "'");
  return {};
}

bool has_row(const std::vector<CheckRow>& rows, std::string_view check, std::string_view server = "") {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const CheckRow& r) { return r.check == check && r.server == server; });
}

std::vector<CheckRow> problems(const std::vector<CheckRow>& rows) {
  std::vector<CheckRow> out;
  for (const auto& row : rows)
    if (row.result != CheckResult::ok) out.push_back(row);
  return out;
}

std::string describe(const std::vector<CheckRow>& rows) {
  std::string out;
  for (const auto& r : rows)
    out += fmt::format("{} {} {}: {} / {}\n", check_result_name(r.result), r.server, r.check, r.detail, r.fix);
  return out;
}

}  // namespace

TEST_CASE("check: a healthy MariaDB cluster is all ok", "[check]") {
  auto rows = evaluate(healthy_cluster());
  INFO(describe(problems(rows)));
  CHECK(problems(rows).empty());
  for (auto check : {"reachable", "version", "replication_threads", "read_only", "log_bin", "ssh", "binlog_tool",
                     "remote_workdir", "gtid_strict_mode", "errant_gtids", "gtid_positioning", "slave_net_timeout",
                     "repl_privilege", "semi_sync", "log_slave_updates", "admin_write_privilege"})
    CHECK(has_row(rows, check, "slave1"));
  for (auto check : {"master", "single_writer", "binlog_format", "replication_filters", "binlog_filters", "server_id",
                     "candidates"})
    CHECK(has_row(rows, check));
  CHECK(row_of(rows, "binlog_dir", "master").detail ==
        "3 'mysql-bin.*' files in '/var/lib/mysql', 'mysql-bin.000012' readable");
  CHECK(row_of(rows, "master").detail == "'master' (192.168.3.74:3306)");
  CHECK(row_of(rows, "candidates").detail == "can become the master: 'slave1', 'slave2'");
  CHECK(row_of(rows, "version", "master").detail == "MariaDB 10.11.6 (10.11.6-MariaDB-log), the master");
  CHECK(row_of(rows, "semi_sync", "master").detail == "active, 2 replicas acknowledge");
  CHECK_FALSE(has_row(rows, "gtid_mode", "slave1"));  // MySQL only
  CHECK_FALSE(has_row(rows, "binlog_dir", "slave1"));  // the master only
}

TEST_CASE("check: a healthy MySQL 8.0 cluster is all ok", "[check]") {
  auto rows = evaluate(healthy_cluster("8.0.36"));
  INFO(describe(problems(rows)));
  CHECK(problems(rows).empty());
  CHECK(row_of(rows, "gtid_positioning", "slave1").detail == "Auto_Position=1");
  CHECK(row_of(rows, "read_only", "slave1").detail == "super_read_only ON");
  CHECK(has_row(rows, "server_uuid"));
  CHECK_FALSE(has_row(rows, "gtid_strict_mode", "slave1"));  // MariaDB only
}

TEST_CASE("check: stopped replication fails with START SLAVE as the fix", "[check]") {
  auto probes = healthy_cluster();
  SECTION("stopped by hand") {
    probes[2].obs.replica->io_running = ReplicaStatus::ThreadState::no;
    probes[2].obs.replica->sql_running = false;
    probes[2].obs.replica->seconds_behind.reset();
    auto rows = evaluate(probes);
    CHECK(row_of(rows, "replication_threads", "slave2") ==
          CheckRow{"replication_threads", "slave2", CheckResult::fail,
                   "replication stopped: IO thread no, SQL thread no", "START SLAVE on 'slave2'"});
    CHECK_FALSE(has_row(rows, "replication_lag", "slave2"));
    CHECK(problems(rows).size() == 1);
  }
  SECTION("SQL thread error: the error and 'fix the error, then START SLAVE'") {
    probes[2].obs.replica->sql_running = false;
    probes[2].obs.replica->last_sql_errno = 1062;
    probes[2].obs.replica->last_sql_error = "Duplicate entry '7' for key 'PRIMARY'";
    auto row = row_of(evaluate(probes), "replication_threads", "slave2");
    CHECK(row.result == CheckResult::fail);
    CHECK(row.detail == "IO thread yes, SQL thread no; Last_SQL_Error 1062: Duplicate entry '7' for key 'PRIMARY'");
    CHECK(row.fix == "fix the error (compare the failing row with the master), then START SLAVE on 'slave2'");
  }
  SECTION("IO thread error") {
    probes[1].obs.replica->io_running = ReplicaStatus::ThreadState::connecting;
    probes[1].obs.replica->last_io_errno = 1045;
    probes[1].obs.replica->last_io_error = "Access denied for user 'myslave'@'192.168.3.71'";
    auto row = row_of(evaluate(probes), "replication_threads", "slave1");
    CHECK(row.result == CheckResult::fail);
    CHECK(row.detail ==
          "IO thread connecting, SQL thread yes; Last_IO_Error 1045: Access denied for user 'myslave'@'192.168.3.71'");
    CHECK(row.fix == "fix the cause (repl_user's password and grants, the network to 192.168.3.74:3306), then "
                     "START SLAVE on 'slave1'");
  }
  SECTION("MySQL 8.0.36 says START REPLICA") {
    auto mysql = healthy_cluster("8.0.36");
    mysql[1].obs.replica->sql_running = false;
    CHECK(row_of(evaluate(mysql), "replication_threads", "slave1").fix == "START REPLICA on 'slave1'");
  }
}

TEST_CASE("check: lag over seconds_behind_master warns", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.replica->seconds_behind = 45;
  auto row = row_of(evaluate(probes), "replication_lag", "slave1");
  CHECK(row.result == CheckResult::warn);
  CHECK(row.detail == "45s behind its master, over seconds_behind_master (30s)");
}

TEST_CASE("check: errant GTIDs on a MariaDB replica fail and are listed", "[check]") {
  auto probes = healthy_cluster();
  // slave2 wrote a transaction of its own (server_id 3) after 0-1-100.
  probes[2].obs.gtid_executed = "0-3-101";
  auto rows = evaluate(probes);
  auto row = row_of(rows, "errant_gtids", "slave2");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "transactions the master 'master' never had: 0-3-101");
  CHECK(row.fix ==
        "if those writes are harmless (or also done on the master): on 'slave2' STOP SLAVE; SET GLOBAL "
        "gtid_slave_pos=@@gtid_binlog_pos; then on 'master' SET SESSION gtid_domain_id=0, server_id=3, "
        "gtid_seq_no=101; DROP TABLE IF EXISTS mysql.mhad_errant_placeholder; then on 'slave2' START SLAVE; "
        "otherwise rebuild 'slave2' from the master");
  CHECK(row_of(rows, "errant_gtids", "slave1").result == CheckResult::ok);
  CHECK(row_of(rows, "candidates").detail == "can become the master: 'slave1'");

  SECTION("a domain the master never had") {
    probes[2].obs.gtid_executed = "0-1-100,1-3-7";
    CHECK(row_of(evaluate(probes), "errant_gtids", "slave2").detail ==
          "transactions the master 'master' never had: 1-3-7");
  }
}

TEST_CASE("check: transactions received after the master was read are not errant", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.gtid_executed = "0-1-102";
  probes[1].obs.gtid_slave_pos = "0-1-102";
  probes[1].obs.replica->gtid_io_pos = "0-1-103";
  CHECK(row_of(evaluate(probes), "errant_gtids", "slave1").result == CheckResult::ok);
}

TEST_CASE("check: errant GTIDs on a MySQL replica", "[check]") {
  auto probes = healthy_cluster("8.0.36");
  probes[1].obs.gtid_executed =
      "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100,aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa:1-2";
  auto row = row_of(evaluate(probes), "errant_gtids", "slave1");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "transactions the master 'master' never had: aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa:1-2");
  CHECK(row.fix.find("SET GTID_NEXT=") != std::string::npos);
}

TEST_CASE("check: two writable servers fail", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.read_only = false;
  auto rows = evaluate(probes);
  auto row = row_of(rows, "single_writer");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "2 servers are writable: 'master', 'slave1'");
  CHECK(row.fix == "SET GLOBAL read_only=ON (MySQL: super_read_only=ON) on every server but 'master'");
  CHECK(row_of(rows, "read_only", "slave1") ==
        CheckRow{"read_only", "slave1", CheckResult::fail,
                 "read_only is OFF: writes to 'slave1' would make it diverge from the master",
                 "SET GLOBAL read_only=ON on 'slave1' (and read_only=ON in my.cnf)"});
}

TEST_CASE("check: no writable server fails", "[check]") {
  auto probes = healthy_cluster();
  probes[0].obs.read_only = true;
  auto row = row_of(evaluate(probes), "single_writer");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.fix == "SET GLOBAL read_only=OFF on 'master'");
}

TEST_CASE("check: MySQL replica with read_only but not super_read_only fails", "[check]") {
  auto probes = healthy_cluster("8.0.36");
  probes[2].obs.variables["super_read_only"] = "OFF";
  auto rows = evaluate(probes);
  CHECK(row_of(rows, "read_only", "slave2") ==
        CheckRow{"read_only", "slave2", CheckResult::fail,
                 "super_read_only is OFF (read_only ON): writes to 'slave2' would make it diverge from the master",
                 "SET GLOBAL super_read_only=ON on 'slave2' (and super_read_only=ON in my.cnf)"});
  CHECK(row_of(rows, "single_writer").result == CheckResult::ok);
}

TEST_CASE("check: duplicate server_id fails", "[check]") {
  auto probes = healthy_cluster();
  probes[2].obs.server_id = 2;
  auto row = row_of(evaluate(probes), "server_id");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "duplicate server_id: 2 on 'slave1', 'slave2'");
}

TEST_CASE("check: replication filters that differ fail", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.replica->filters.do_db = {"app"};
  auto rows = evaluate(probes);
  auto row = row_of(rows, "replication_filters");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "replication filters differ: 'slave1': replicate_do_db=app; 'slave2': none");
  CHECK(row_of(rows, "binlog_filters").result == CheckResult::fail);

  SECTION("the same filters on every replica, but not in the binlog filters (MHA's rule)") {
    probes[2].obs.replica->filters.do_db = {"app"};
    rows = evaluate(probes);
    CHECK(row_of(rows, "replication_filters").result == CheckResult::ok);
    CHECK(row_of(rows, "binlog_filters").detail ==
          "binlog filters (none) differ from the replicas' database filters (replicate_do_db=app on 'slave1')");
  }
  SECTION("binlog filters that differ between servers") {
    probes[1].obs.replica->filters.do_db.clear();
    probes[0].master_status->binlog_ignore_db = {"test"};
    CHECK(row_of(evaluate(probes), "binlog_filters").detail ==
          "binlog filters differ: 'master': binlog_ignore_db=test; 'slave1', 'slave2': none");
  }
  SECTION("check_repl_filter = false skips them") {
    auto cluster = app1();
    cluster.check_repl_filter = false;
    rows = evaluate(probes, cluster);
    CHECK(row_of(rows, "replication_filters").detail == "not checked (check_repl_filter = false)");
    CHECK_FALSE(has_row(rows, "binlog_filters"));
  }
}

TEST_CASE("check: an unreadable master status warns and names the privilege", "[check]") {
  auto probes = healthy_cluster();
  probes[1].master_status.reset();
  probes[1].master_status_error = "reading the master status of 'slave1': Access denied; you need (at least one of) "
                                  "the SUPER, BINLOG MONITOR privilege(s) for this operation";
  auto rows = evaluate(probes);
  auto row = row_of(rows, "master_status", "slave1");
  CHECK(row.result == CheckResult::warn);
  CHECK(row.fix == "grant mhad's user BINLOG MONITOR on 'slave1'");
  CHECK(row_of(rows, "binlog_filters").result == CheckResult::ok);
}

TEST_CASE("check: log_bin off on a candidate fails, on a no_master server it is not checked", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.variables["log_bin"] = "OFF";
  probes[1].master_status.reset();
  auto rows = evaluate(probes);
  auto row = row_of(rows, "log_bin", "slave1");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "log_bin is OFF: 'slave1' cannot become the master");
  CHECK(row_of(rows, "candidates").detail == "can become the master: 'slave2'");

  auto cluster = app1();
  cluster.servers[1].no_master = true;
  rows = evaluate(probes, cluster);
  CHECK_FALSE(has_row(rows, "log_bin", "slave1"));
}

TEST_CASE("check: log_slave_updates off fails on a replica with siblings, warns otherwise", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.variables["log_slave_updates"] = "OFF";
  auto row = row_of(evaluate(probes), "log_slave_updates", "slave1");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.fix == "set log_slave_updates=ON in my.cnf on 'slave1' and restart it");

  auto two = app1();
  two.servers.pop_back();
  probes.pop_back();
  CHECK(row_of(evaluate(probes, two), "log_slave_updates", "slave1").result == CheckResult::warn);
}

TEST_CASE("check: ssh failure fails and names ssh_user, ssh_key and ssh_port", "[check]") {
  auto probes = healthy_cluster();
  probes[2].host = HostProbe{};
  probes[2].host.checked = true;
  probes[2].host.ssh_error = "connecting to 192.168.3.70:22: Connection refused";
  auto rows = evaluate(probes);
  CHECK(row_of(rows, "ssh", "slave2") ==
        CheckRow{"ssh", "slave2", CheckResult::fail,
                 "ssh root@192.168.3.70:22: connecting to 192.168.3.70:22: Connection refused",
                 "let mhad log in without a password: check ssh_user ('root'), ssh_key ('/etc/mhad/id_ed25519') and "
                 "ssh_port (22) for 'slave2' (try: ssh -i /etc/mhad/id_ed25519 -p 22 root@192.168.3.70 true)"});
  CHECK_FALSE(has_row(rows, "binlog_tool", "slave2"));

  SECTION("a refused host key: the fix is to compare keys, not the login settings") {
    probes[2].host.ssh_error = "ssh root@192.168.3.70:22: the host key of 192.168.3.70:22 (it shows ssh-ed25519 "
                               "SHA256:x) is not the one in /etc/mhad/known_hosts (it changed): ...";
    probes[2].host.host_key_refused = true;
    auto row = row_of(evaluate(probes), "ssh", "slave2");
    CHECK(row.result == CheckResult::fail);
    CHECK(row.detail == "ssh root@192.168.3.70:22: " + probes[2].host.ssh_error);
    CHECK(row.fix ==
          "nothing was run on 'slave2': compare the key it shows with the host's own (on it: ssh-keygen -lf "
          "/etc/ssh/ssh_host_ed25519_key.pub); only if they match, update ssh_known_hosts as the detail says");
  }
  SECTION("skip_init_ssh_check") {
    auto cluster = app1();
    cluster.servers[2].skip_init_ssh_check = true;
    probes[2].host = HostProbe{};
    CHECK(row_of(evaluate(probes, cluster), "ssh", "slave2").detail == "not checked (skip_init_ssh_check = true)");
  }
}

TEST_CASE("check: unreadable master binlog dir fails", "[check]") {
  auto probes = healthy_cluster();
  HostProbe& h = probes[0].host;
  h.binlog_dir_readable = false;
  h.binlog_dir_found.clear();
  SECTION("binlogs elsewhere: point master_binlog_dir there") {
    h.binlog_dir_expected = "/data/binlog";
    h.binlog_dir_detail = "no readable 'mysql-bin.*' files in master_binlog_dir: '/var/lib/mysql': no 'mysql-bin.*' "
                          "files; '/var/log/mysql': ls: cannot access '/var/log/mysql': No such file or directory "
                          "(log_bin_basename is '/data/binlog/mysql-bin')";
    auto row = row_of(evaluate(probes), "binlog_dir", "master");
    CHECK(row.result == CheckResult::fail);
    CHECK(row.detail == h.binlog_dir_detail);
    CHECK(row.fix == "set master_binlog_dir = [\"/data/binlog\"] for 'master' (where log_bin_basename points)");
  }
  SECTION("there, but not readable by ssh_user") {
    h.binlog_dir_found = "/var/lib/mysql";
    h.binlog_dir_detail = "'/var/lib/mysql/mysql-bin.000012' is not readable by ssh_user 'root'";
    CHECK(row_of(evaluate(probes), "binlog_dir", "master").fix ==
          "let ssh_user 'root' read the binlogs in '/var/lib/mysql' on 'master' (e.g. add it to the mysql group)");
  }
}

TEST_CASE("check: missing binlog tool fails with the package to install", "[check]") {
  auto probes = healthy_cluster();
  probes[1].host.binlog_tool_present = false;
  probes[1].host.binlog_tool_detail = "not on ssh_user's PATH";
  auto row = row_of(evaluate(probes), "binlog_tool", "slave1");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "mariadb-binlog not found on 192.168.3.71: not on ssh_user's PATH");
  CHECK(row.fix == "on 192.168.3.71: apt-get install mariadb-client (dnf install MariaDB-client), or set client_bindir");
}

TEST_CASE("check: remote_workdir not writable warns", "[check]") {
  auto probes = healthy_cluster();
  probes[1].host.workdir_writable = false;
  probes[1].host.workdir_detail = "mktemp: failed to create file via template: Read-only file system";
  CHECK(row_of(evaluate(probes), "remote_workdir", "slave1").result == CheckResult::warn);
}

TEST_CASE("check: a replica older than the master", "[check]") {
  SECTION("older major.minor fails") {
    auto probes = healthy_cluster();
    probes[1] = healthy(2, false, "10.6.16-MariaDB");
    auto rows = evaluate(probes);
    auto row = row_of(rows, "version", "slave1");
    CHECK(row.result == CheckResult::fail);
    CHECK(row.detail == "MariaDB 10.6.16 (10.6.16-MariaDB), older than the master's MariaDB 10.11.6: replication "
                        "from a newer major version is not supported");
    CHECK(row.fix == "upgrade 'slave1' to 10.11 or later (replicas first, the master last)");
    CHECK(row_of(rows, "candidates").detail == "can become the master: 'slave2'");
  }
  SECTION("older patch release warns") {
    auto probes = healthy_cluster();
    probes[1] = healthy(2, false, "10.11.5-MariaDB");
    CHECK(row_of(evaluate(probes), "version", "slave1").result == CheckResult::warn);
  }
  SECTION("newer is fine") {
    auto probes = healthy_cluster();
    probes[1] = healthy(2, false, "11.4.2-MariaDB");
    CHECK(row_of(evaluate(probes), "version", "slave1").result == CheckResult::ok);
  }
}

TEST_CASE("check: semi-sync off warns that acknowledged writes may be lost", "[check]") {
  auto probes = healthy_cluster();
  SECTION("off on the master") {
    probes[0].obs.variables["rpl_semi_sync_master_enabled"] = "OFF";
    auto rows = evaluate(probes);
    auto row = row_of(rows, "semi_sync", "master");
    CHECK(row.result == CheckResult::warn);
    CHECK(row.detail ==
          "semi-synchronous replication is OFF: acknowledged writes may be lost when the master's host dies");
    CHECK(row.fix == "SET GLOBAL rpl_semi_sync_master_enabled=ON on 'master' and rpl_semi_sync_slave_enabled=ON on "
                     "the replicas (and in my.cnf)");
    CHECK_FALSE(has_row(rows, "semi_sync", "slave1"));
  }
  SECTION("enabled but fallen back to async") {
    probes[0].obs.status["Rpl_semi_sync_master_status"] = "OFF";
    probes[0].obs.status["Rpl_semi_sync_master_clients"] = "0";
    CHECK(row_of(evaluate(probes), "semi_sync", "master").result == CheckResult::warn);
  }
  SECTION("off on a replica") {
    probes[2].obs.variables["rpl_semi_sync_slave_enabled"] = "OFF";
    auto row = row_of(evaluate(probes), "semi_sync", "slave2");
    CHECK(row.result == CheckResult::warn);
    CHECK(row.detail == "rpl_semi_sync_slave_enabled is OFF: it never acknowledges writes");
  }
}

TEST_CASE("check: slave_net_timeout over 10s warns with the heartbeat fix", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.variables["slave_net_timeout"] = "60";
  auto row = row_of(evaluate(probes), "slave_net_timeout", "slave1");
  CHECK(row.result == CheckResult::warn);
  CHECK(row.fix == "on 'slave1': SET GLOBAL slave_net_timeout=4 (and in my.cnf); STOP SLAVE; CHANGE MASTER TO "
                   "MASTER_HEARTBEAT_PERIOD=2; START SLAVE");
}

TEST_CASE("check: replicas without GTID positioning fail", "[check]") {
  auto probes = healthy_cluster();
  probes[1].obs.replica->auto_position = false;
  probes[1].obs.replica->using_gtid = ReplicaStatus::UsingGtid::no;
  auto row = row_of(evaluate(probes), "gtid_positioning", "slave1");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.fix == "on 'slave1': STOP SLAVE; CHANGE MASTER TO MASTER_USE_GTID=slave_pos; START SLAVE");

  auto mysql = healthy_cluster("8.0.36");
  mysql[1].obs.replica->auto_position = false;
  CHECK(row_of(evaluate(mysql), "gtid_positioning", "slave1").fix ==
        "on 'slave1': STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1; START REPLICA");
}

TEST_CASE("check: a replica of the wrong server fails", "[check]") {
  auto probes = healthy_cluster();
  probes[2].obs.replica->master_host = "192.168.3.71";
  auto rows = evaluate(probes);
  auto row = row_of(rows, "replicates_from_master", "slave2");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "replicates from 'slave1' (192.168.3.71:3306), the master is 'master' (192.168.3.74:3306)");
  CHECK(row.fix == "on 'slave2': STOP SLAVE; CHANGE MASTER TO MASTER_HOST='192.168.3.74', MASTER_PORT=3306, "
                   "MASTER_USER='myslave', MASTER_PASSWORD='...', MASTER_USE_GTID=slave_pos; START SLAVE");

  auto cluster = app1();
  cluster.multi_tier_slave = true;
  CHECK(row_of(evaluate(probes, cluster), "replicates_from_master", "slave2").result == CheckResult::ok);
}

TEST_CASE("check: an unreachable server fails with its error; ignore_fail makes it a warning", "[check]") {
  auto probes = healthy_cluster();
  probes[2] = ServerProbe{};
  probes[2].obs.checked = true;
  probes[2].obs.error = Error{Errc::refused, "Can't connect to server on '192.168.3.70' (111)"};
  auto rows = evaluate(probes);
  CHECK(row_of(rows, "reachable", "slave2") ==
        CheckRow{"reachable", "slave2", CheckResult::fail,
                 "cannot check 192.168.3.70:3306: Can't connect to server on '192.168.3.70' (111)",
                 "start the server on 'slave2', or fix host/port (192.168.3.70:3306) in the cluster config"});
  CHECK_FALSE(has_row(rows, "replication_threads", "slave2"));

  auto cluster = app1();
  cluster.servers[2].ignore_fail = true;
  CHECK(row_of(evaluate(probes, cluster), "reachable", "slave2").result == CheckResult::warn);
}

TEST_CASE("check: no eligible candidate fails", "[check]") {
  auto probes = healthy_cluster();
  auto cluster = app1();
  cluster.servers[1].no_master = true;
  probes[2].obs.variables["log_bin"] = "OFF";
  auto row = row_of(evaluate(probes, cluster), "candidates");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail == "no server can become the master: 'slave1' no_master; 'slave2' log_bin OFF");
}

TEST_CASE("check: repl_user without REPLICATION SLAVE fails, an unreadable mysql.user warns", "[check]") {
  auto probes = healthy_cluster();
  probes[1].repl_user_can_replicate = false;
  probes[2].repl_user_can_replicate.reset();
  probes[2].repl_grants_detail = "SELECT command denied to user 'mha'@'192.168.3.10' for table 'user'";
  auto rows = evaluate(probes);
  CHECK(row_of(rows, "repl_privilege", "slave1").result == CheckResult::fail);
  auto warn = row_of(rows, "repl_privilege", "slave2");
  CHECK(warn.result == CheckResult::warn);
  CHECK(warn.detail ==
        "could not check 'myslave': SELECT command denied to user 'mha'@'192.168.3.10' for table 'user'");
  CHECK(row_of(rows, "candidates").detail == "can become the master: 'slave2'");
}

TEST_CASE("check: gtid_strict_mode off warns on MariaDB", "[check]") {
  auto probes = healthy_cluster();
  probes[0].obs.variables["gtid_strict_mode"] = "OFF";
  CHECK(row_of(evaluate(probes), "gtid_strict_mode", "master").result == CheckResult::warn);
}

TEST_CASE("check: binlog_format that differs warns", "[check]") {
  auto probes = healthy_cluster();
  probes[2].obs.variables["binlog_format"] = "STATEMENT";
  auto row = row_of(evaluate(probes), "binlog_format");
  CHECK(row.result == CheckResult::warn);
  CHECK(row.detail == "binlog_format differs: ROW on 'master', 'slave1'; STATEMENT on 'slave2'");
  CHECK(row.fix == "set binlog_format=ROW on every server (in my.cnf; SET GLOBAL affects new sessions only)");
}

TEST_CASE("check report as JSON", "[check]") {
  std::vector<CheckRow> rows = {
      {"reachable", "master", CheckResult::ok, "connected to 192.168.3.74:3306", ""},
      {"semi_sync", "master", CheckResult::warn, "off", "turn it on"},
      {"server_id", "", CheckResult::fail, "duplicate", "fix it"},
  };
  auto j = check_report_json(rows);
  CHECK(j["summary"] == nlohmann::json{{"ok", 1}, {"warn", 1}, {"fail", 1}});
  CHECK(j["rows"][1] == nlohmann::json{{"check", "semi_sync"},
                                       {"server", "master"},
                                       {"result", "warn"},
                                       {"detail", "off"},
                                       {"fix", "turn it on"}});
  CHECK(j["rows"][2]["server"] == "");
  CHECK(check_report_json({})["rows"].empty());
}

TEST_CASE("check: mhad's user without a privilege to write under read_only fails on candidates", "[check]") {
  SECTION("MariaDB 10.11: SUPER alone is not enough any more") {
    auto probes = healthy_cluster();
    for (auto& p : probes) p.own_privileges = std::set<std::string>{"SUPER", "RELOAD", "REPLICATION SLAVE ADMIN"};
    auto rows = evaluate(probes);
    auto row = row_of(rows, "admin_write_privilege", "slave1");
    CHECK(row.result == CheckResult::fail);
    CHECK_THAT(row.detail, Catch::Matchers::Contains("none of ALL PRIVILEGES / READ ONLY ADMIN"));
    CHECK(row.fix == "on the master: GRANT READ ONLY ADMIN ON *.* TO 'root'@'<mhad host>' (it replicates to 'slave1')");
    CHECK_FALSE(has_row(rows, "admin_write_privilege", "master"));
  }
  SECTION("MariaDB 10.11 with READ ONLY ADMIN: ok") {
    auto probes = healthy_cluster();
    for (auto& p : probes) p.own_privileges = std::set<std::string>{"READ ONLY ADMIN", "SUPER"};
    CHECK(row_of(evaluate(probes), "admin_write_privilege", "slave1").result == CheckResult::ok);
  }
  SECTION("MySQL 8.0: CONNECTION_ADMIN is enough") {
    auto probes = healthy_cluster("8.0.36");
    for (auto& p : probes) p.own_privileges = std::set<std::string>{"SELECT", "CONNECTION_ADMIN"};
    CHECK(row_of(evaluate(probes), "admin_write_privilege", "slave1").result == CheckResult::ok);
  }
  SECTION("grants not readable: warn") {
    auto probes = healthy_cluster();
    for (auto& p : probes) {
      p.own_privileges.reset();
      p.own_grants_error = "query failed";
    }
    CHECK(row_of(evaluate(probes), "admin_write_privilege", "slave1").result == CheckResult::warn);
  }
}

TEST_CASE("check: global privileges parsed from SHOW GRANTS, both flavors", "[check]") {
  CHECK(mha::global_privileges({"GRANT ALL PRIVILEGES ON *.* TO `mha`@`%` IDENTIFIED BY PASSWORD '*6C8989366EAF75BB670AD8EA7A7FC1176A95CEF4' WITH GRANT OPTION"}) ==
        std::set<std::string>{"ALL PRIVILEGES"});
  CHECK(mha::global_privileges({"GRANT RELOAD, SUPER, READ ONLY ADMIN ON *.* TO `mha`@`10.%`",
                                "GRANT SELECT, INSERT ON `mha_test`.* TO `mha`@`10.%`"}) ==
        std::set<std::string>{"RELOAD", "SUPER", "READ ONLY ADMIN"});
  // MySQL 8: dynamic privileges on their own line, no space after commas.
  CHECK(mha::global_privileges({"GRANT SELECT, PROCESS ON *.* TO `mha`@`%`",
                                "GRANT CONNECTION_ADMIN,REPLICATION_SLAVE_ADMIN ON *.* TO `mha`@`%`",
                                "GRANT `dba`@`%` TO `mha`@`%`"}) ==
        std::set<std::string>{"SELECT", "PROCESS", "CONNECTION_ADMIN", "REPLICATION_SLAVE_ADMIN"});
}

TEST_CASE("check: tls shows each connection's encryption, warns when preferred fell back", "[check][tls]") {
  auto probes = healthy_cluster();
  auto cluster = app1();
  for (auto& p : probes) {
    p.tls_cipher = "TLS_AES_256_GCM_SHA384";
    p.tls_version = "TLSv1.3";
  }
  for (auto& s : cluster.servers) {
    s.ssl_mode = SslMode::verify_identity;
    s.ssl_ca = "/etc/mhad/ca.pem";
  }
  cluster.servers[1].ssl_mode = SslMode::required;
  probes[2].tls_cipher = "";  // slave2 answered in plaintext
  probes[2].tls_version = "";
  cluster.servers[2].ssl_mode = SslMode::preferred;
  auto rows = evaluate(probes, cluster);
  CHECK(row_of(rows, "tls", "master") ==
        CheckRow{"tls", "master", CheckResult::ok,
                 "encrypted: TLSv1.3 TLS_AES_256_GCM_SHA384 (ssl_mode = \"verify_identity\"; certificate and its "
                 "name checked)",
                 ""});
  CHECK(row_of(rows, "tls", "slave1").detail ==
        "encrypted: TLSv1.3 TLS_AES_256_GCM_SHA384 (ssl_mode = \"required\"; certificate not checked)");
  auto fell_back = row_of(rows, "tls", "slave2");
  CHECK(fell_back.result == CheckResult::warn);
  CHECK(fell_back.detail.find("not encrypted: 'slave2' offers no TLS and ssl_mode = \"preferred\" fell back") == 0);
  CHECK(fell_back.fix.find("enable TLS on 'slave2'") == 0);

  SECTION("disabled, not encrypted: ok, as before TLS existed") {
    auto plain = healthy_cluster();
    for (auto& p : plain) p.tls_cipher = "";
    auto plain_rows = evaluate(plain);
    CHECK(row_of(plain_rows, "tls", "slave1") ==
          CheckRow{"tls", "slave1", CheckResult::ok, "not encrypted (ssl_mode = \"disabled\")", ""});
    CHECK(problems(plain_rows).empty());
  }
  SECTION("a plaintext session although the mode requires TLS fails") {
    probes[1].tls_cipher = "";
    CHECK(row_of(evaluate(probes, cluster), "tls", "slave1").result == CheckResult::fail);
  }
  SECTION("not read: no row") {
    probes[0].tls_cipher.reset();
    CHECK_FALSE(has_row(evaluate(probes, cluster), "tls", "master"));
  }
}

TEST_CASE("check: a TLS connect error fails reachable with the TLS fix", "[check][tls]") {
  auto probes = healthy_cluster();
  probes[0] = ServerProbe{};
  probes[0].obs.checked = true;
  probes[0].obs.error = Error{Errc::tls, "cannot connect to 192.168.3.74:3306 with ssl_mode = \"verify_ca\": ..."};
  auto row = row_of(evaluate(probes), "reachable", "master");
  CHECK(row.result == CheckResult::fail);
  CHECK(row.detail.find("ssl_mode = \"verify_ca\"") != std::string::npos);
  CHECK(row.fix.find("fix TLS to 'master'") == 0);
}

TEST_CASE("check: replication_tls warns about a replica still replicating in plaintext", "[check][tls]") {
  auto probes = healthy_cluster();
  auto cluster = app1();
  for (auto& s : cluster.servers) {
    s.ssl_mode = SslMode::verify_identity;
    s.ssl_ca = "/etc/mhad/ca.pem";
  }
  probes[1].obs.replica->ssl_allowed = "Yes";
  probes[2].obs.replica->ssl_allowed = "No";
  auto rows = evaluate(probes, cluster);
  CHECK(row_of(rows, "replication_tls", "slave1").result == CheckResult::ok);
  auto plain = row_of(rows, "replication_tls", "slave2");
  CHECK(plain.result == CheckResult::warn);
  CHECK(plain.fix ==
        "on 'slave2': STOP SLAVE; CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='/etc/mhad/ca.pem', "
        "MASTER_SSL_VERIFY_SERVER_CERT=1; START SLAVE");
  CHECK_FALSE(has_row(evaluate(probes), "replication_tls", "slave2"));  // ssl_mode = "disabled": not asked for
}
