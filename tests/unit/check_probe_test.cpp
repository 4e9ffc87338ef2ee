// `mhactl check` probes (daemon/checks/check_probe) through fake SQL and SSH
// seams: what is asked, how answers are read; and the runner
// (daemon/checks/check_runner) end to end on a real loop and pool with fakes.
#include <catch2/catch.hpp>

#include "daemon/checks/check_probe.h"
#include "daemon/checks/check_runner.h"

#include <algorithm>
#include <functional>
#include <mutex>

using namespace mha;
using namespace std::chrono_literals;

namespace {

const std::string k_version = "10.11.6-MariaDB-log";

Rows one_row(std::vector<std::string> columns, std::vector<SqlValue> values) {
  Rows rows;
  rows.columns = std::move(columns);
  rows.rows.push_back(std::move(values));
  return rows;
}

// A scripted server. Unlike tests/fakes' FakeSqlSession, an unscripted SHOW
// statement answers with no rows (a server with nothing to show), so these
// tests do not depend on every statement check_server() may add later.
class ScriptedSql final : public SqlSession {
 public:
  std::map<std::string, Rows> answers;
  std::map<std::string, Error> query_errors;
  std::optional<Error> connect_error;
  std::vector<std::string> log;

  Result<void> connect(const SqlEndpoint&) override {
    if (connect_error) return *connect_error;
    m_connected = true;
    return {};
  }
  bool connected() const override { return m_connected; }
  void close() override { m_connected = false; }
  Result<Rows> query(std::string_view sql) override {
    log.emplace_back(sql);
    if (!m_connected) return make_error(Errc::network, "not connected");
    if (auto it = query_errors.find(std::string(sql)); it != query_errors.end()) return it->second;
    if (auto it = answers.find(std::string(sql)); it != answers.end()) return it->second;
    if (sql.starts_with("SHOW ")) return Rows{};
    return make_error(Errc::sql, "no answer scripted for '{}'", sql);
  }
  Result<void> execute(std::string_view sql) override {
    auto r = query(sql);
    if (!r) return r.error();
    return {};
  }
  int socket_fd() const override { return -1; }

 private:
  bool m_connected = false;
};

CommandResult ran(int status, std::string out = "", std::string err = "") {
  return CommandResult{status, std::move(out), std::move(err)};
}

// Answers commands through a function; records them.
class FakeShell final : public RemoteShell {
 public:
  using Handler = std::function<Result<CommandResult>(const std::string& command)>;
  explicit FakeShell(Handler handler) : m_handler(std::move(handler)) {}
  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds) override {
    std::lock_guard lock(m_mutex);
    commands.emplace_back(command);
    return m_handler(std::string(command));
  }
  void close() override {}
  std::vector<std::string> commands;

 private:
  Handler m_handler;
  std::mutex m_mutex;
};

// A healthy host: SSH works, the binlog tool exists, /var/lib/mysql holds
// mysql-bin.000011 and .000012.
Result<CommandResult> healthy_host(const std::string& command) {
  if (command == "exit 0") return ran(0);
  if (command.starts_with("f=$(mktemp ")) return ran(0);
  if (command == "command -v 'mariadb-binlog'") return ran(0, "/usr/bin/mariadb-binlog\n");
  if (command == "ls -1 -- '/var/lib/mysql'")
    return ran(0, "aria_log.00000001\nibdata1\nmysql\nmysql-bin.000011\nmysql-bin.000012\nmysql-bin.index\n");
  if (command == "ls -1 -- '/var/log/mysql'") return ran(0, "error.log\n");
  if (command.starts_with("test -r ")) return ran(0);
  return ran(127, "", "unexpected command: " + command);
}

Rows name_values(std::vector<std::pair<std::string, std::string>> pairs) {
  Rows rows;
  rows.columns = {"Variable_name", "Value"};
  for (auto& [n, v] : pairs) rows.rows.push_back({n, v});
  return rows;
}

// What check_server and probe_server ask a MariaDB 10.11 server.
std::map<std::string, Rows> mariadb_answers(std::uint32_t server_id, bool master) {
  auto flavor = *Flavor::from_version(k_version);
  std::map<std::string, Rows> a;
  a["SELECT VERSION()"] = one_row({"VERSION()"}, {k_version});
  a[Flavor::inventory_variables_sql()] = name_values({{"server_id", std::to_string(server_id)},
                                                      {"log_bin", "ON"},
                                                      {"log_bin_basename", "/var/lib/mysql/mysql-bin"},
                                                      {"log_slave_updates", "ON"},
                                                      {"binlog_format", "ROW"},
                                                      {"gtid_strict_mode", "ON"},
                                                      {"read_only", master ? "OFF" : "ON"},
                                                      {"rpl_semi_sync_master_enabled", "ON"},
                                                      {"rpl_semi_sync_slave_enabled", "ON"},
                                                      {"slave_net_timeout", "4"}});
  a[flavor.read_only_and_gtids_sql()] =
      one_row({"ro", "a", "b", "c"}, {master ? "0" : "1", "0-1-25", master ? "" : "0-1-25", "0-1-25"});
  if (master) {
    Rows none;
    a[flavor.replica_status_sql()] = none;
  } else {
    a[flavor.replica_status_sql()] = one_row(
        {"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Master_Log_File", "Read_Master_Log_Pos",
         "Relay_Master_Log_File", "Exec_Master_Log_Pos", "Slave_IO_Running", "Slave_SQL_Running",
         "Seconds_Behind_Master", "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error",
         "Master_Server_Id", "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table",
         "Replicate_Ignore_Table", "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Using_Gtid",
         "Gtid_IO_Pos", "Relay_Log_Space"},
        {"Waiting for master to send event", "127.0.0.11", "myslave", "3306", "mysql-bin.000012", "1234",
         "mysql-bin.000012", "1234", "Yes", "Yes", "0", "0", "", "0", "", "1", "", "", "", "", "", "", "Slave_Pos",
         "0-1-25", "2048"});
  }
  a[flavor.monitor_replica_status_sql()] = a[flavor.replica_status_sql()];
  a[Flavor::health_status_sql()] =
      master ? name_values({{"Rpl_semi_sync_master_status", "ON"}, {"Rpl_semi_sync_master_clients", "2"}})
             : name_values({{"Slave_received_heartbeats", "17"}});
  a["SHOW BINLOG STATUS"] = one_row({"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"},
                                                      {"mysql-bin.000012", "1234", "", "mysql,test"});
  a["SELECT COUNT(*) FROM mysql.user WHERE User = 'myslave' AND Repl_slave_priv = 'Y'"] =
      one_row({"COUNT(*)"}, {"1"});
  a["SHOW GRANTS"] = one_row({"Grants for mha@%"}, {"GRANT ALL PRIVILEGES ON *.* TO `mha`@`%` WITH GRANT OPTION"});
  return a;
}

ClusterConfig app1() {
  ClusterConfig c;
  c.name = "app1";
  c.user = "mha";
  c.password = Secret("s3cret");
  c.repl_user = "myslave";
  int i = 0;
  for (auto name : {"master", "slave1", "slave2"}) {
    ServerConfig s;
    s.name = name;
    s.host = fmt::format("127.0.0.1{}", ++i);
    s.ip = s.host;
    s.ssh_host = s.host;
    c.servers.push_back(s);
  }
  return c;
}

ServerObservation master_observation() {
  ScriptedSql sql;
  sql.answers = mariadb_answers(1, true);
  return probe_server(sql, SqlEndpoint{}, app1(), app1().servers[0], MonoClock::now()).obs;
}

}  // namespace

TEST_CASE("binlog files are recognised in an ls listing", "[check]") {
  CHECK(binlog_prefix_of_file("mysql-bin.000012") == "mysql-bin");
  CHECK(binlog_prefix_of_file("mysql-bin.index").empty());
  CHECK(binlog_prefix_of_file("noext").empty());
  std::string listing = "ibdata1\nmysql-bin.000001\nmysql-bin.000002\nmysql-bin.index\nrelay.000001\nx.12\n";
  CHECK(binlog_files_in_listing(listing, "mysql-bin") == std::vector<std::string>{"mysql-bin.000001", "mysql-bin.000002"});
  // Prefix unknown: any NAME.NNNNNN (6 digits or more).
  CHECK(binlog_files_in_listing(listing, "") ==
        std::vector<std::string>{"mysql-bin.000001", "mysql-bin.000002", "relay.000001"});
}

TEST_CASE("probe_server reads the master status and repl_user's privilege, then closes", "[check]") {
  ScriptedSql sql;
  sql.answers = mariadb_answers(2, false);
  auto cluster = app1();
  auto probe = probe_server(sql, SqlEndpoint{"127.0.0.12", 3306, "mha", "s3cret"}, cluster, cluster.servers[1],
                            MonoClock::now());
  REQUIRE(probe.obs.reachable);
  CHECK(probe.obs.variable("log_bin_basename") == "/var/lib/mysql/mysql-bin");
  REQUIRE(probe.master_status);
  CHECK(probe.master_status->file == "mysql-bin.000012");
  CHECK(probe.master_status->position == 1234);
  CHECK(probe.master_status->binlog_do_db.empty());
  CHECK(probe.master_status->binlog_ignore_db == std::vector<std::string>{"mysql", "test"});
  CHECK(probe.repl_user == "myslave");
  CHECK(probe.repl_user_can_replicate == true);
  CHECK_FALSE(sql.connected());
  for (const auto& statement : sql.log) CHECK(statement.find("s3cret") == std::string::npos);

  SECTION("no repl_user configured: the replica's Master_User") {
    cluster.repl_user.clear();
    ScriptedSql again;
    again.answers = mariadb_answers(2, false);
    auto p = probe_server(again, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now());
    CHECK(p.repl_user == "myslave");
    CHECK(p.repl_user_can_replicate == true);
  }
  SECTION("mysql.user not readable: could not check") {
    ScriptedSql denied;
    denied.answers = mariadb_answers(2, false);
    denied.query_errors["SELECT COUNT(*) FROM mysql.user WHERE User = 'myslave' AND Repl_slave_priv = 'Y'"] =
        Error{Errc::sql, "SELECT command denied to user 'mha'@'localhost' for table `mysql`.`user`"};
    auto p = probe_server(denied, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now());
    CHECK_FALSE(p.repl_user_can_replicate);
    CHECK(p.repl_grants_detail == "SELECT command denied to user 'mha'@'localhost' for table `mysql`.`user`");
  }
  SECTION("binary log off: no master status") {
    ScriptedSql off;
    off.answers = mariadb_answers(2, false);
    off.answers["SHOW BINLOG STATUS"] = Rows{};
    CHECK_FALSE(probe_server(off, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now()).master_status);
  }
}

TEST_CASE("probe_server of an unreachable server asks nothing more", "[check]") {
  ScriptedSql sql;
  sql.connect_error = Error{Errc::refused, "Can't connect to server on '127.0.0.12' (111)"};
  auto cluster = app1();
  auto probe = probe_server(sql, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now());
  CHECK_FALSE(probe.obs.reachable);
  CHECK(sql.log.empty());
  CHECK_FALSE(probe.master_status);
}

TEST_CASE("probe_host of the master: SSH, workdir, binlog tool, binlogs", "[check]") {
  auto cluster = app1();
  FakeShell shell(healthy_host);
  auto obs = master_observation();
  auto host = probe_host(shell, cluster.servers[0], true, obs, MasterStatus{"mysql-bin.000012", 1234, {}, {}});
  CHECK(host.checked);
  CHECK(host.ssh_ok);
  CHECK(host.workdir_writable == true);
  CHECK(host.binlog_tool_present == true);
  CHECK(host.binlog_tool == "mariadb-binlog");
  CHECK(host.binlog_tool_detail == "/usr/bin/mariadb-binlog");
  CHECK(host.binlog_dir_readable == true);
  CHECK(host.binlog_dir_found == "/var/lib/mysql");
  CHECK(host.binlog_dir_detail == "2 'mysql-bin.*' files in '/var/lib/mysql', 'mysql-bin.000012' readable");
  CHECK(shell.commands == std::vector<std::string>{"exit 0", "f=$(mktemp '/var/tmp'/mhad-check.XXXXXX) && rm -f \"$f\"",
                                                   "command -v 'mariadb-binlog'", "ls -1 -- '/var/lib/mysql'",
                                                   "test -r '/var/lib/mysql/mysql-bin.000012'"});
}

TEST_CASE("probe_host finds binlogs missing from master_binlog_dir", "[check]") {
  auto cluster = app1();
  auto obs = master_observation();
  obs.variables["log_bin_basename"] = "/data/binlog/mysql-bin";
  FakeShell shell([](const std::string& command) -> Result<CommandResult> {
    if (command == "ls -1 -- '/var/lib/mysql'") return ran(0, "ibdata1\n");
    if (command == "ls -1 -- '/var/log/mysql'")
      return ran(2, "", "ls: cannot access '/var/log/mysql': No such file or directory\n");
    return healthy_host(command);
  });
  auto host = probe_host(shell, cluster.servers[0], true, obs);
  CHECK(host.binlog_dir_readable == false);
  CHECK(host.binlog_dir_expected == "/data/binlog");
  CHECK(host.binlog_dir_detail ==
        "no readable 'mysql-bin.*' files in master_binlog_dir: '/var/lib/mysql': no 'mysql-bin.*' files; "
        "'/var/log/mysql': ls: cannot access '/var/log/mysql': No such file or directory "
        "(log_bin_basename is '/data/binlog/mysql-bin')");
}

TEST_CASE("probe_host: the current binlog is not readable by ssh_user", "[check]") {
  auto cluster = app1();
  cluster.servers[0].ssh_user = "mha";
  FakeShell shell([](const std::string& command) -> Result<CommandResult> {
    if (command.starts_with("test -r ")) return ran(1);
    return healthy_host(command);
  });
  auto host = probe_host(shell, cluster.servers[0], true, master_observation(),
                         MasterStatus{"mysql-bin.000012", 1234, {}, {}});
  CHECK(host.binlog_dir_readable == false);
  CHECK(host.binlog_dir_found == "/var/lib/mysql");
  CHECK(host.binlog_dir_detail == "'/var/lib/mysql/mysql-bin.000012' is not readable by ssh_user 'mha'");
}

TEST_CASE("probe_host: failed login, skip_init_ssh_check, no_master, client_bindir", "[check]") {
  auto cluster = app1();
  auto obs = master_observation();
  SECTION("a failed login stops there") {
    FakeShell shell([](const std::string&) -> Result<CommandResult> {
      return Error{Errc::auth, "ssh 127.0.0.12:22: authentication failed (publickey)"};
    });
    auto host = probe_host(shell, cluster.servers[1], false, obs);
    CHECK(host.checked);
    CHECK_FALSE(host.ssh_ok);
    CHECK(host.ssh_error == "ssh 127.0.0.12:22: authentication failed (publickey)");
    CHECK_FALSE(host.host_key_refused);
    CHECK(shell.commands.size() == 1);
  }
  SECTION("a refused host key is told apart") {
    FakeShell shell([](const std::string&) -> Result<CommandResult> {
      return Error{Errc::auth, "ssh root@127.0.0.12:22: the host key of 127.0.0.12:22 (it shows ssh-ed25519 "
                               "SHA256:x) is not the one in /etc/mhad/known_hosts (it changed): ..."};
    });
    CHECK(probe_host(shell, cluster.servers[1], false, obs).host_key_refused);
  }
  SECTION("skip_init_ssh_check: nothing run") {
    cluster.servers[1].skip_init_ssh_check = true;
    FakeShell shell(healthy_host);
    CHECK_FALSE(probe_host(shell, cluster.servers[1], false, obs).checked);
    CHECK(shell.commands.empty());
  }
  SECTION("a no_master replica needs no binlog tool, a replica no binlog dir") {
    cluster.servers[1].no_master = true;
    FakeShell shell(healthy_host);
    auto host = probe_host(shell, cluster.servers[1], false, obs);
    CHECK_FALSE(host.binlog_tool_present);
    CHECK_FALSE(host.binlog_dir_readable);
    CHECK(shell.commands.size() == 2);
  }
  SECTION("client_bindir: the tool must be there") {
    cluster.servers[1].client_bindir = "/opt/mariadb/bin/";
    FakeShell shell([](const std::string& command) -> Result<CommandResult> {
      if (command.starts_with("p=")) return ran(1);
      return healthy_host(command);
    });
    auto host = probe_host(shell, cluster.servers[1], false, obs);
    CHECK(host.binlog_tool_present == false);
    CHECK(host.binlog_tool_detail == "not executable in client_bindir '/opt/mariadb/bin/'");
    CHECK(std::count(shell.commands.begin(), shell.commands.end(),
                     "p='/opt/mariadb/bin'/'mariadb-binlog' && test -x \"$p\" && echo \"$p\"") == 1);
  }
}

namespace {

// Routes to a per-host script at connect time: the runner's factory cannot
// know which server a session is for.
class RoutedSql final : public SqlSession {
 public:
  explicit RoutedSql(std::map<std::string, std::map<std::string, Rows>> scripts) : m_scripts(std::move(scripts)) {}
  Result<void> connect(const SqlEndpoint& endpoint) override {
    auto it = m_scripts.find(endpoint.host);
    if (it == m_scripts.end()) return make_error(Errc::refused, "Can't connect to server on '{}' (111)", endpoint.host);
    m_answers = &it->second;
    return {};
  }
  bool connected() const override { return m_answers != nullptr; }
  void close() override { m_answers = nullptr; }
  Result<Rows> query(std::string_view sql) override {
    if (!m_answers) return make_error(Errc::network, "not connected");
    if (auto it = m_answers->find(std::string(sql)); it != m_answers->end()) return it->second;
    if (sql.starts_with("SHOW ")) return Rows{};  // as ScriptedSql
    return make_error(Errc::sql, "no answer scripted for '{}'", sql);
  }
  Result<void> execute(std::string_view sql) override {
    auto r = query(sql);
    if (!r) return r.error();
    return {};
  }
  int socket_fd() const override { return -1; }

 private:
  std::map<std::string, std::map<std::string, Rows>> m_scripts;
  const std::map<std::string, Rows>* m_answers = nullptr;
};

nlohmann::json run_check_on_loop(const ClusterConfig& cluster, std::map<std::string, std::map<std::string, Rows>> sql,
                                 FakeShell::Handler shell) {
  EventLoop loop;
  REQUIRE(loop.init({}));
  WorkerPool pool(2);
  Seams seams;
  seams.make_sql = [sql] { return std::make_unique<RoutedSql>(sql); };
  seams.make_shell = [shell](const SshEndpoint&) { return std::make_unique<FakeShell>(shell); };
  nlohmann::json report;
  int calls = 0;
  run_cluster_check(loop, pool, seams, cluster, [&](nlohmann::json r) {
    report = std::move(r);
    ++calls;
    loop.stop();
  });
  loop.after(10s, [&] { loop.stop(); });  // a bound, in case a result never arrives
  loop.run();
  CHECK(calls == 1);
  return report;
}

std::map<std::string, std::map<std::string, Rows>> healthy_scripts() {
  return {{"127.0.0.11", mariadb_answers(1, true)},
          {"127.0.0.12", mariadb_answers(2, false)},
          {"127.0.0.13", mariadb_answers(3, false)}};
}

}  // namespace

TEST_CASE("run_cluster_check probes every server in parallel and reports on the loop", "[check]") {
  auto cluster = app1();
  auto scripts = healthy_scripts();
  // The healthy cluster fixture has binlog filters on every server (mysql,test)
  // but none on the replicas: MHA's rule flags that.
  for (auto& [host, answers] : scripts)
    answers["SHOW BINLOG STATUS"] = one_row({"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"},
                                                              {"mysql-bin.000012", "1234", "", ""});
  auto report = run_check_on_loop(cluster, scripts, healthy_host);
  CHECK(report["cluster"] == "app1");
  std::string problems;
  for (const auto& row : report["rows"])
    if (row["result"] != "ok") problems += row.dump() + "\n";
  INFO(problems);
  CHECK(report["summary"]["fail"] == 0);
  CHECK(report["summary"]["warn"] == 0);
  CHECK(report["summary"]["ok"].get<int>() > 40);

  SECTION("a server that does not answer is a failure, the others are still checked") {
    scripts.erase("127.0.0.13");
    auto broken = run_check_on_loop(cluster, scripts, healthy_host);
    auto rows = broken["rows"];
    auto it = std::find_if(rows.begin(), rows.end(),
                           [](const auto& r) { return r["check"] == "reachable" && r["server"] == "slave2"; });
    REQUIRE(it != rows.end());
    CHECK((*it)["result"] == "fail");
    CHECK((*it)["detail"] == "cannot check 127.0.0.13:3306: Can't connect to server on '127.0.0.13' (111)");
  }
}

TEST_CASE("run_cluster_check of a cluster without servers still answers", "[check]") {
  ClusterConfig empty;
  empty.name = "empty";
  auto report = run_check_on_loop(empty, {}, healthy_host);
  CHECK(report["cluster"] == "empty");
  // No master, no writer: nothing to fail over.
  REQUIRE(report["rows"].size() == 2);
  CHECK(report["rows"][0]["check"] == "master");
  CHECK(report["rows"][1]["check"] == "single_writer");
  CHECK(report["summary"]["fail"] == 2);
}

TEST_CASE("probe_server reads its own session's TLS as the server sees it", "[check][tls]") {
  auto cluster = app1();
  ScriptedSql sql;
  sql.answers = mariadb_answers(2, false);
  Rows tls;
  tls.columns = {"Variable_name", "Value"};
  tls.rows = {{std::string("Ssl_cipher"), std::string("TLS_AES_256_GCM_SHA384")},
              {std::string("Ssl_version"), std::string("TLSv1.3")}};
  sql.answers[Flavor::tls_status_sql()] = tls;
  auto probe = probe_server(sql, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now());
  CHECK(probe.tls_cipher == std::optional<std::string>("TLS_AES_256_GCM_SHA384"));
  CHECK(probe.tls_version == "TLSv1.3");

  SECTION("plaintext: empty values") {
    ScriptedSql plain;
    plain.answers = mariadb_answers(2, false);
    tls.rows = {{std::string("Ssl_cipher"), std::string("")}, {std::string("Ssl_version"), std::string("")}};
    plain.answers[Flavor::tls_status_sql()] = tls;
    CHECK(probe_server(plain, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now()).tls_cipher ==
          std::optional<std::string>(""));
  }
  SECTION("unreadable: unknown, no row later") {
    ScriptedSql denied;
    denied.answers = mariadb_answers(2, false);
    denied.query_errors[Flavor::tls_status_sql()] = Error{Errc::sql, "denied"};
    CHECK_FALSE(probe_server(denied, SqlEndpoint{}, cluster, cluster.servers[1], MonoClock::now()).tls_cipher);
  }
}
