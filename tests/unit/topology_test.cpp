// Role, state and health derivation from observations, and a server check
// driven through the fake SQL seam.
#include <algorithm>
#include <catch2/catch.hpp>

#include "common/topology.h"
#include "daemon/server_read.h"
#include "fakes/fake_sql_session.h"

using namespace mha;
using namespace std::chrono_literals;

namespace {

ServerObservation master_obs() {
  ServerObservation obs;
  obs.checked = true;
  obs.reachable = true;
  obs.read_only = false;
  obs.flavor = *Flavor::from_version("10.11.6-MariaDB");
  return obs;
}

ServerObservation replica_obs(std::string master_host = "127.0.0.11") {
  ServerObservation obs = master_obs();
  obs.read_only = true;
  ReplicaStatus r;
  r.master_host = std::move(master_host);
  r.master_port = 3306;
  r.io_running = ReplicaStatus::ThreadState::yes;
  r.sql_running = true;
  r.seconds_behind = 0;
  obs.replica = r;
  return obs;
}

ClusterConfig three_servers() {
  ClusterConfig c;
  c.name = "app1";
  for (auto [name, host] : {std::pair{"master", "127.0.0.11"}, {"slave1", "127.0.0.12"}, {"slave2", "127.0.0.13"}}) {
    ServerConfig s;
    s.name = name;
    s.host = host;
    s.ip = host;
    c.servers.push_back(s);
  }
  return c;
}

}  // namespace

TEST_CASE("server state follows what the server reports", "[topology]") {
  CHECK(derive_state(ServerObservation{}, 30s) == ServerState::unknown);
  CHECK(derive_state(master_obs(), 30s) == ServerState::ok);
  CHECK(derive_role(master_obs()) == Role::master);
  CHECK(derive_role(replica_obs()) == Role::replica);

  auto down = master_obs();
  down.reachable = false;
  down.error = make_error(Errc::refused, "cannot connect: Can't connect to server on '127.0.0.11' (111)");
  CHECK(derive_state(down, 30s) == ServerState::unreachable);
  CHECK(state_detail(down) == "cannot connect: Can't connect to server on '127.0.0.11' (111)");

  auto stopped = replica_obs();
  stopped.replica->io_running = ReplicaStatus::ThreadState::no;
  stopped.replica->sql_running = false;
  CHECK(derive_state(stopped, 30s) == ServerState::replication_stopped);
  CHECK(state_detail(stopped) == "replication stopped (IO thread off, SQL thread off); to resume: START SLAVE");

  auto broken = replica_obs();
  broken.replica->sql_running = false;
  broken.replica->last_sql_errno = 1062;
  broken.replica->last_sql_error = "Duplicate entry '1' for key 'PRIMARY'";
  CHECK(derive_state(broken, 30s) == ServerState::replication_error);
  CHECK(state_detail(broken) == "Last_SQL_Error 1062: Duplicate entry '1' for key 'PRIMARY'");

  auto connecting = replica_obs();
  connecting.replica->io_running = ReplicaStatus::ThreadState::connecting;
  CHECK(derive_state(connecting, 30s) == ServerState::io_connecting);

  auto lagging = replica_obs();
  lagging.replica->seconds_behind = 31;
  CHECK(derive_state(lagging, 30s) == ServerState::lagging);
  lagging.replica->seconds_behind = 30;
  CHECK(derive_state(lagging, 30s) == ServerState::ok);

  auto orphan = master_obs();
  orphan.read_only = true;
  CHECK(derive_state(orphan, 30s) == ServerState::not_replicating);
  CHECK(derive_role(orphan) == Role::unknown);
}

TEST_CASE("the master is the writable server, else whom the replicas follow", "[topology]") {
  auto cluster = three_servers();
  std::vector<ServerObservation> obs{master_obs(), replica_obs(), replica_obs()};
  CHECK(find_master(cluster, obs, std::nullopt) == 0u);
  CHECK(derive_health(cluster, obs, 0) == ClusterHealth::ok);

  obs[0].reachable = false;  // master down: replicas still name it
  CHECK(find_master(cluster, obs, std::nullopt) == 0u);
  CHECK(derive_health(cluster, obs, 0) == ClusterHealth::master_down);

  obs[0] = master_obs();
  obs[2].replica->sql_running = false;
  CHECK(derive_health(cluster, obs, 0) == ClusterHealth::degraded);

  obs[2] = replica_obs("127.0.0.12");  // replicates from slave1, not the master
  CHECK(derive_health(cluster, obs, 0) == ClusterHealth::degraded);

  std::vector<ServerObservation> none(3);
  CHECK(find_master(cluster, none, 1u) == 1u);  // keeps the last known
  CHECK(derive_health(cluster, none, std::nullopt) == ClusterHealth::unknown);
}

TEST_CASE("status JSON of a stopped replica carries its state and the reason", "[topology]") {
  auto cluster = three_servers();
  auto stopped = replica_obs();
  stopped.replica->io_running = ReplicaStatus::ThreadState::no;
  stopped.replica->sql_running = false;
  stopped.replica->seconds_behind.reset();
  stopped.checked_at = MonoClock::now();
  auto j = server_status_json(cluster.servers[2], stopped, cluster, stopped.checked_at + 250ms);
  CHECK(j["state"] == "replication_stopped");
  CHECK(j["io_thread"] == "no");
  CHECK(j["sql_thread"] == "no");
  CHECK(j["seconds_behind"].is_null());
  CHECK(j["checked_ms_ago"] == 250);
  CHECK(j["source"] == "127.0.0.11:3306");
  CHECK(j["last_error"] == "replication stopped (IO thread off, SQL thread off); to resume: START SLAVE");
}

namespace {

// A MariaDB 10.11 replica of 127.0.0.11 as check_server reads it: SHOW ALL
// SLAVES STATUS with a named connection listed before the default one.
test::FakeSqlSession mariadb_replica_session(const std::string& heartbeats) {
  test::FakeSqlSession sql;
  sql.answers["SELECT VERSION()"] = test::FakeSqlSession::row({"VERSION()"}, {"10.11.19-MariaDB-0+deb12u1-log"});
  Rows vars;
  vars.columns = {"Variable_name", "Value"};
  vars.rows = {{"SERVER_ID", "2"}, {"hostname", "slave1"}, {"log_bin", "ON"}};
  sql.answers[Flavor::inventory_variables_sql()] = vars;
  Rows counters;
  counters.columns = {"Variable_name", "Value"};
  counters.rows = {{"Slave_received_heartbeats", "17"}, {"Rpl_semi_sync_slave_status", "ON"}};
  sql.answers[Flavor::health_status_sql()] = counters;
  auto flavor = *Flavor::from_version("10.11.19-MariaDB");
  sql.answers[flavor.read_only_and_gtids_sql()] =
      test::FakeSqlSession::row({"ro", "a", "b", "c"}, {"1", "0-1-25", "0-1-25", "0-1-25"});
  Rows status;
  status.columns = {"Connection_name", "Slave_SQL_State", "Slave_IO_State", "Master_Host", "Master_User",
                    "Master_Port", "Master_Log_File", "Read_Master_Log_Pos", "Relay_Master_Log_File",
                    "Exec_Master_Log_Pos", "Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master",
                    "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Master_Server_Id",
                    "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
                    "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Using_Gtid", "Gtid_IO_Pos",
                    "Relay_Log_Space", "Slave_received_heartbeats"};
  status.rows.push_back({"reporting", "", "Waiting for master to send event", "10.9.9.9", "repl", "3306",
                         "bin.000001", "4", "bin.000001", "4", "Yes", "Yes", "0", "0", "", "0", "", "9", "", "",
                         "", "", "", "", "Slave_Pos", "5-9-1", "2048", "999"});
  status.rows.push_back({"", "", "Waiting for master to send event", "127.0.0.11", "repl", "3306",
                         "mysql-bin.000001", "1234", "mysql-bin.000001", "1234", "Yes", "Yes", "0", "0", "", "0",
                         "", "1", "", "", "", "", "", "", "Slave_Pos", "0-1-25", "2048", heartbeats});
  sql.answers[flavor.monitor_replica_status_sql()] = status;
  return sql;
}

long statements(const test::FakeSqlSession& sql, const std::string& text) {
  return std::count(sql.log.begin(), sql.log.end(), text);
}

}  // namespace

TEST_CASE("check_server reads a MariaDB replica through the SQL seam", "[topology][monitor]") {
  auto sql = mariadb_replica_session("18");
  SqlEndpoint endpoint{"127.0.0.12", 3306, "mha", "secret"};
  auto obs = check_server(sql, endpoint, MonoClock::now());
  INFO((obs.error ? obs.error->message : ""));
  REQUIRE(obs.reachable);
  CHECK(obs.server_id == 2);
  CHECK(obs.hostname == "slave1");
  CHECK(obs.variable("log_bin") == "ON");
  CHECK(obs.status_value("Rpl_semi_sync_slave_status") == "ON");
  // The default connection's row, not the named one listed first; its
  // heartbeat count over the one SHOW GLOBAL STATUS gave.
  CHECK(obs.status_value("Slave_received_heartbeats") == "18");
  CHECK(obs.read_only == true);
  CHECK(obs.gtid_executed == "0-1-25");
  REQUIRE(obs.replica);
  CHECK(obs.replica->master_host == "127.0.0.11");
  CHECK(obs.replica->gtid_io_pos == "0-1-25");
  CHECK(derive_state(obs, 30s) == ServerState::ok);
  CHECK(statements(sql, "SHOW SLAVE HOSTS") == 0);
}

TEST_CASE("check_server reads a replica's heartbeats every cycle and SHOW GLOBAL STATUS only with the settings",
          "[topology][monitor]") {
  auto sql = mariadb_replica_session("18");
  SqlEndpoint endpoint{"127.0.0.12", 3306, "mha", "secret"};
  auto first = check_server(sql, endpoint, MonoClock::now());
  REQUIRE(first.reachable);
  REQUIRE(statements(sql, Flavor::health_status_sql()) == 1);

  sql.answers = mariadb_replica_session("19").answers;
  auto second = check_server(sql, endpoint, MonoClock::now(), first);
  REQUIRE(second.reachable);
  CHECK(statements(sql, Flavor::health_status_sql()) == 1);  // carried over
  CHECK(second.status_value("Slave_received_heartbeats") == "19");
  CHECK(second.status_value("Rpl_semi_sync_slave_status") == "ON");

  auto third = check_server(sql, endpoint, MonoClock::now(), second, /*refresh_inventory=*/true);
  REQUIRE(third.reachable);
  CHECK(statements(sql, Flavor::health_status_sql()) == 2);
  CHECK(third.status_value("Slave_received_heartbeats") == "19");
}

TEST_CASE("check_server reads a master's semi-sync state every cycle", "[topology][monitor]") {
  auto sql = mariadb_replica_session("0");
  auto flavor = *Flavor::from_version("10.11.19-MariaDB");
  sql.answers[flavor.monitor_replica_status_sql()] = Rows{};  // replicates from nobody
  Rows on;
  on.columns = {"Variable_name", "Value"};
  on.rows = {{"Rpl_semi_sync_master_status", "ON"}};
  sql.answers[Flavor::health_status_sql()] = on;
  SqlEndpoint endpoint{"127.0.0.11", 3306, "mha", "secret"};
  auto first = check_server(sql, endpoint, MonoClock::now());
  REQUIRE(first.reachable);
  CHECK(first.status_value("Rpl_semi_sync_master_status") == "ON");

  sql.answers[Flavor::health_status_sql()].rows = {{"Rpl_semi_sync_master_status", "OFF"}};
  auto second = check_server(sql, endpoint, MonoClock::now(), first);
  CHECK(statements(sql, Flavor::health_status_sql()) == 2);
  CHECK(second.status_value("Rpl_semi_sync_master_status") == "OFF");
  CHECK_FALSE(second.replica);
}

TEST_CASE("check_server reports a refused connection and a nonsense answer as errors", "[topology][monitor]") {
  test::FakeSqlSession refused;
  refused.connect_error = make_error(Errc::refused, "cannot connect: refused (111)");
  auto obs = check_server(refused, SqlEndpoint{}, MonoClock::now());
  CHECK_FALSE(obs.reachable);
  REQUIRE(obs.error);
  CHECK(obs.error->code == Errc::refused);

  test::FakeSqlSession nonsense;
  nonsense.answers["SELECT VERSION()"] = test::FakeSqlSession::row({"VERSION()"}, {"banana"});
  auto bad = check_server(nonsense, SqlEndpoint{}, MonoClock::now());
  CHECK_FALSE(bad.reachable);
  REQUIRE(bad.error);
  CHECK(bad.error->code == Errc::parse);
  CHECK_FALSE(nonsense.connected());  // dropped, so the next check starts clean
}

TEST_CASE("VIP holder is read from ip -o addr output", "[monitor]") {
  std::string out =
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
      "2: eth0    inet 10.231.0.11/24 brd 10.231.0.255 scope global eth0\n"
      "2: eth0    inet 10.231.0.100/24 scope global secondary eth0\n";
  CHECK(ip_output_has_address(out, "10.231.0.100/24"));
  CHECK(ip_output_has_address(out, "10.231.0.11"));
  CHECK_FALSE(ip_output_has_address(out, "10.231.0.10/24"));
  CHECK_FALSE(ip_output_has_address(out, "10.231.0.1"));
}

TEST_CASE("topology problems name what differs from the configuration", "[topology]") {
  auto cluster = three_servers();
  std::vector<ServerObservation> obs{master_obs(), replica_obs(), replica_obs()};
  obs[0].server_id = 1;
  obs[1].server_id = 2;
  obs[2].server_id = 3;
  CHECK(topology_problems(cluster, obs, 0).empty());

  obs[2] = replica_obs("127.0.0.12");
  obs[2].server_id = 3;
  obs[0].connected_replicas = {{2, "127.0.0.12:3306"}, {9, "10.0.0.9:3306"}};
  obs[1].replica->sql_running = false;
  obs[1].replica->last_sql_errno = 1062;
  obs[1].replica->last_sql_error = "Duplicate entry";
  auto problems = topology_problems(cluster, obs, 0);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "'slave1': Last_SQL_Error 1062: Duplicate entry");
  CHECK(problems[1] == "'slave2' replicates from 'slave1', not from the master 'master'");
  CHECK(problems[2] == "a server not in the configuration replicates from the master: server_id 9 (10.0.0.9:3306)");

  std::vector<ServerObservation> two{master_obs(), master_obs(), replica_obs()};
  auto split = topology_problems(cluster, two, 0);
  REQUIRE_FALSE(split.empty());
  CHECK(split[0] == "2 writable servers that replicate from nobody: 'master', 'slave1'");
}
