#include "ctl/status_table.h"

#include <catch2/catch.hpp>

using mha::ctl::render_status;
using nlohmann::json;

namespace {

// One server as the daemon reports it, healthy unless changed.
json server(const std::string& name, const std::string& host, const std::string& role) {
  const bool replica = role == "replica";
  return json{{"name", name},
              {"host", host},
              {"port", 3306},
              {"role", role},
              {"reachable", true},
              {"state", "ok"},
              {"last_error", nullptr},
              {"read_only", replica},
              {"io_thread", replica ? json("yes") : json()},
              {"sql_thread", replica ? json("yes") : json()},
              {"seconds_behind", replica ? json(0) : json()},
              {"source", replica ? json("192.168.3.74:3306") : json()},
              {"gtid_executed", "0-1-25"},
              {"gtid_received", replica ? json("0-1-25") : json()},
              {"flavor", "mariadb"},
              {"version", "10.11.19-MariaDB"},
              {"last_io_error", nullptr},
              {"last_sql_error", nullptr},
              {"checked_ms_ago", 350}};
}

// The seed's cluster: master and two replicas, VIP on the master, all well.
json app1() {
  return json{{"name", "app1"},
              {"master", "master"},
              {"health", "ok"},
              {"vip",
               {{"address", "192.168.3.100/24"}, {"holder", "master"}, {"state", "held"}, {"detail", ""}}},
              {"servers",
               {server("master", "192.168.3.74", "master"), server("slave1", "192.168.3.71", "replica"),
                server("slave2", "192.168.3.70", "replica")}}};
}

json status_of(std::initializer_list<json> clusters) {
  return json{{"daemon",
               {{"version", "0.1.0"}, {"pid", 1234}, {"uptime_ms", 5000}, {"config", "/etc/mhad/mhad.toml"}}},
              {"clusters", json::array_t(clusters)}};
}

std::string render(const json& result) {
  auto text = render_status(result);
  REQUIRE(text);
  return *text;
}

}  // namespace

TEST_CASE("status table of a healthy three-server cluster", "[mhactl]") {
  CHECK(render(status_of({app1()})) ==
        "mhad 0.1.0  pid 1234  up 5s  config /etc/mhad/mhad.toml\n"
        "\n"
        "cluster app1  health ok  master master  VIP 192.168.3.100/24 on master\n"
        "  SERVER  ADDRESS            ROLE     STATE  LAG  GTID\n"
        "  master  192.168.3.74:3306  master   ok     -    0-1-25\n"
        "  slave1  192.168.3.71:3306  replica  ok     0s   0-1-25\n"
        "  slave2  192.168.3.70:3306  replica  ok     0s   0-1-25\n");
}

TEST_CASE("status table shows a stopped replica's state and error, not ok", "[mhactl]") {
  json cluster = app1();
  cluster["health"] = "degraded";
  json& slave2 = cluster["servers"][2];
  slave2["state"] = "replication_stopped";
  slave2["sql_thread"] = "no";
  slave2["seconds_behind"] = nullptr;
  slave2["gtid_executed"] = "0-1-20";
  slave2["last_sql_error"] =
      "Could not execute Write_rows_v1 event on table app.t1; Duplicate entry '7' for key 'PRIMARY'";

  CHECK(render(status_of({cluster})) ==
        "mhad 0.1.0  pid 1234  up 5s  config /etc/mhad/mhad.toml\n"
        "\n"
        "cluster app1  health degraded  master master  VIP 192.168.3.100/24 on master\n"
        "  SERVER  ADDRESS            ROLE     STATE                LAG  GTID\n"
        "  master  192.168.3.74:3306  master   ok                   -    0-1-25\n"
        "  slave1  192.168.3.71:3306  replica  ok                   0s   0-1-25\n"
        "  slave2  192.168.3.70:3306  replica  replication stopped  -    0-1-20\n"
        "  ! slave2: IO thread yes, SQL thread no\n"
        "  ! slave2: Last_SQL_Error: Could not execute Write_rows_v1 event on table app.t1; "
        "Duplicate entry '7' for key 'PRIMARY'\n");
}

TEST_CASE("status table of an unreachable master", "[mhactl]") {
  json cluster = app1();
  cluster["health"] = "master_down";
  json& master = cluster["servers"][0];
  master["reachable"] = false;
  master["state"] = "unreachable";
  master["last_error"] = "cannot connect: Can't connect to server on '192.168.3.74' (115)";
  master["gtid_executed"] = nullptr;
  master["read_only"] = nullptr;
  for (int i : {1, 2}) {
    cluster["servers"][i]["state"] = "io_connecting";
    cluster["servers"][i]["io_thread"] = "connecting";
    cluster["servers"][i]["seconds_behind"] = nullptr;
    cluster["servers"][i]["last_io_error"] =
        "error reconnecting to master 'mha@192.168.3.74:3306' - retry-time: 60  maximum-retries: 86400";
  }

  CHECK(render(status_of({cluster})) ==
        "mhad 0.1.0  pid 1234  up 5s  config /etc/mhad/mhad.toml\n"
        "\n"
        "cluster app1  health master down  master master  VIP 192.168.3.100/24 on master\n"
        "  SERVER  ADDRESS            ROLE     STATE          LAG  GTID\n"
        "  master  192.168.3.74:3306  master   unreachable    -    -\n"
        "  ! master: cannot connect: Can't connect to server on '192.168.3.74' (115)\n"
        "  slave1  192.168.3.71:3306  replica  io connecting  -    0-1-25\n"
        "  ! slave1: IO thread connecting to 192.168.3.74:3306\n"
        "  ! slave1: Last_IO_Error: error reconnecting to master 'mha@192.168.3.74:3306' - "
        "retry-time: 60  maximum-retries: 86400\n"
        "  slave2  192.168.3.70:3306  replica  io connecting  -    0-1-25\n"
        "  ! slave2: IO thread connecting to 192.168.3.74:3306\n"
        "  ! slave2: Last_IO_Error: error reconnecting to master 'mha@192.168.3.74:3306' - "
        "retry-time: 60  maximum-retries: 86400\n");
}

TEST_CASE("status table header shows the VIP's state", "[mhactl]") {
  json cluster = app1();
  auto header = [&] {
    std::string text = render(json{{"clusters", {cluster}}});
    return text.substr(0, text.find('\n'));
  };

  SECTION("unknown, with why") {
    cluster["vip"] = {{"address", "192.168.3.100/24"},
                      {"holder", nullptr},
                      {"state", "unknown"},
                      {"detail", "ssh to 'master' timed out after 5s"}};
    CHECK(header() ==
          "cluster app1  health ok  master master  "
          "VIP 192.168.3.100/24 unknown (ssh to 'master' timed out after 5s)");
  }
  SECTION("not held") {
    cluster["vip"] = {{"address", "192.168.3.100/24"}, {"holder", nullptr}, {"state", "not_held"},
                      {"detail", "no server has it"}};
    CHECK(header() == "cluster app1  health ok  master master  VIP 192.168.3.100/24 not held (no server has it)");
  }
  SECTION("not configured") {
    cluster["vip"] = {{"address", nullptr}, {"holder", nullptr}, {"state", "not_configured"}, {"detail", ""}};
    CHECK(header() == "cluster app1  health ok  master master  VIP not configured");
  }
  SECTION("absent") {
    cluster.erase("vip");
    CHECK(header() == "cluster app1  health ok  master master  VIP not configured");
  }
  SECTION("no master known") {
    cluster["master"] = nullptr;
    cluster["health"] = "unknown";
    CHECK(header().starts_with("cluster app1  health unknown  master none  VIP"));
  }
}

TEST_CASE("status table of two clusters: one block each, columns aligned per block", "[mhactl]") {
  json app2 = {{"name", "app2"},
               {"master", "db1"},
               {"health", "ok"},
               {"vip", {{"address", nullptr}, {"holder", nullptr}, {"state", "not_configured"}, {"detail", ""}}},
               {"servers", {server("db1", "10.0.0.1", "master"), server("db2", "10.0.0.2", "replica")}}};
  app2["servers"][1]["port"] = 3307;
  app2["servers"][1]["seconds_behind"] = 12;
  app2["servers"][1]["state"] = "lagging";
  app2["servers"][1]["source"] = "10.0.0.1:3306";

  CHECK(render(status_of({app1(), app2})) ==
        "mhad 0.1.0  pid 1234  up 5s  config /etc/mhad/mhad.toml\n"
        "\n"
        "cluster app1  health ok  master master  VIP 192.168.3.100/24 on master\n"
        "  SERVER  ADDRESS            ROLE     STATE  LAG  GTID\n"
        "  master  192.168.3.74:3306  master   ok     -    0-1-25\n"
        "  slave1  192.168.3.71:3306  replica  ok     0s   0-1-25\n"
        "  slave2  192.168.3.70:3306  replica  ok     0s   0-1-25\n"
        "\n"
        "cluster app2  health ok  master db1  VIP not configured\n"
        "  SERVER  ADDRESS        ROLE     STATE    LAG  GTID\n"
        "  db1     10.0.0.1:3306  master   ok       -    0-1-25\n"
        "  db2     10.0.0.2:3307  replica  lagging  12s  0-1-25\n"
        "  ! db2: 12s behind 10.0.0.1:3306\n");
}

TEST_CASE("status table keeps long GTID sets whole, one element a line", "[mhactl]") {
  json cluster = app1();
  cluster["servers"] = {server("master", "192.168.3.74", "master")};
  // MySQL's @@gtid_executed, with the newline it puts after each comma.
  cluster["servers"][0]["gtid_executed"] =
      "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4f22ab58-82db-22f2-af44-d91bb0530673:1-1200";

  CHECK(render(json{{"clusters", {cluster}}}) ==
        "cluster app1  health ok  master master  VIP 192.168.3.100/24 on master\n"
        "  SERVER  ADDRESS            ROLE    STATE  LAG  GTID\n"
        "  master  192.168.3.74:3306  master  ok     -    3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n"
        "                                                 4f22ab58-82db-22f2-af44-d91bb0530673:1-1200\n");

  SECTION("short multi-domain MariaDB positions stay on one line") {
    cluster["servers"][0]["gtid_executed"] = "0-1-25,1-2-7";
    CHECK(render(json{{"clusters", {cluster}}}).find("  ok     -    0-1-25,1-2-7\n") != std::string::npos);
  }
}

TEST_CASE("status table never lets a server's error text break the layout", "[mhactl]") {
  json cluster = app1();
  cluster["servers"] = {server("slave1", "192.168.3.71", "replica")};
  cluster["servers"][0]["state"] = "replication_error";
  cluster["servers"][0]["last_io_error"] = "line one\nline two \x1b[31mred";
  std::string text = render(json{{"clusters", {cluster}}});
  CHECK(text.find("  ! slave1: Last_IO_Error: line one line two ?[31mred\n") != std::string::npos);
}

TEST_CASE("status table explains every state that is not ok", "[mhactl]") {
  json cluster = app1();
  cluster["servers"] = {server("slave1", "192.168.3.71", "replica")};
  json& slave1 = cluster["servers"][0];
  auto problem_lines = [&] {
    std::string text = render(json{{"clusters", {cluster}}});
    return text.substr(text.find("  ! "));
  };

  SECTION("not replicating") {
    slave1["state"] = "not_replicating";
    CHECK(problem_lines() == "  ! slave1: not replicating from any source\n");
  }
  SECTION("never checked") {
    slave1["state"] = "unknown";
    slave1["checked_ms_ago"] = nullptr;
    CHECK(problem_lines() == "  ! slave1: not checked yet\n");
  }
  SECTION("a state this mhactl does not know yet") {
    slave1["state"] = "semi_sync_off";
    CHECK(problem_lines() == "  ! slave1: semi sync off\n");
  }
  SECTION("a monitor error on a reachable server") {
    slave1["state"] = "unknown";
    slave1["last_error"] = "SHOW SLAVE STATUS: Access denied; you need the REPLICATION CLIENT privilege";
    CHECK(problem_lines() ==
          "  ! slave1: SHOW SLAVE STATUS: Access denied; you need the REPLICATION CLIENT privilege\n");
  }
}

TEST_CASE("status table of no clusters, and of fields missing", "[mhactl]") {
  CHECK(render(json{{"clusters", json::array()}}) == "no clusters configured\n");
  CHECK(render(json{{"clusters", {{{"name", "app1"}}}}}) ==
        "cluster app1  health unknown  master none  VIP not configured\n  (no servers)\n");
  CHECK(render(json{{"clusters", {{{"name", "app1"}, {"servers", {json::object()}}}}}}) ==
        "cluster app1  health unknown  master none  VIP not configured\n"
        "  SERVER  ADDRESS  ROLE  STATE    LAG  GTID\n"
        "  ?       ?        ?     unknown  -    -\n"
        "  ! ?: not checked yet\n");
}

TEST_CASE("status table refuses a result of the wrong shape", "[mhactl]") {
  auto error_of = [](const json& result) {
    auto text = render_status(result);
    REQUIRE_FALSE(text);
    CHECK(text.error().code == mha::Errc::parse);
    return text.error().message;
  };
  CHECK(error_of(json::array()) == "the status result is not a JSON object but array");
  CHECK(error_of(json::object()) == "the status result has no 'clusters' list");
  CHECK(error_of(json{{"clusters", {"app1"}}}) ==
        "the status result lists a cluster that is not an object but string");
  CHECK(error_of(json{{"clusters", {{{"name", "app1"}, {"servers", {7}}}}}}) ==
        "cluster 'app1' lists a server that is not an object but number");
}

TEST_CASE("status table daemon line formats the uptime for humans", "[mhactl]") {
  auto first_line = [](std::int64_t uptime_ms) {
    std::string text = render(json{{"daemon", {{"version", "0.1.0"}, {"uptime_ms", uptime_ms}}},
                                   {"clusters", json::array()}});
    return text.substr(0, text.find('\n'));
  };
  CHECK(first_line(59'999) == "mhad 0.1.0  up 59s");
  CHECK(first_line(125'000) == "mhad 0.1.0  up 2m 5s");
  CHECK(first_line(3 * 3600'000 + 120'000) == "mhad 0.1.0  up 3h 2m");
  CHECK(first_line(4 * 86400'000LL + 3 * 3600'000) == "mhad 0.1.0  up 4d 3h");
}

TEST_CASE("status table ends a cluster block with what a failover would do now", "[mhactl]") {
  json cluster = app1();
  cluster["failover_readiness"] = {{"candidate", "slave1"},
                                   {"rule", "candidate_master and most advanced"},
                                   {"most_advanced", "slave1"},
                                   {"excluded", json::array()},
                                   {"blockers", json::array()},
                                   {"gtid_gap", "0 transactions"},
                                   {"transactions_behind", 0},
                                   {"would_proceed", true}};
  const std::string table =
      "cluster app1  health ok  master master  VIP 192.168.3.100/24 on master\n"
      "  SERVER  ADDRESS            ROLE     STATE  LAG  GTID\n"
      "  master  192.168.3.74:3306  master   ok     -    0-1-25\n"
      "  slave1  192.168.3.71:3306  replica  ok     0s   0-1-25\n"
      "  slave2  192.168.3.70:3306  replica  ok     0s   0-1-25\n";
  auto rendered = [&] { return render(json{{"clusters", {cluster}}}); };

  CHECK(rendered() == table +
                          "  failover now: promote slave1 (candidate_master and most advanced); "
                          "would lose 0 transactions\n");

  SECTION("excluded replicas and blockers, one a line") {
    json& r = cluster["failover_readiness"];
    r["excluded"] = {{{"server", "slave2"}, {"reason", "no_master"}, {"detail", "no_master is set in the config"}}};
    r["blockers"] = {"auto_failover is off",
                     "last failover 2h ago, min_failover_interval 8h: automatic failover allowed again in 6h "
                     "(mhactl failover --force overrides)"};
    r["would_proceed"] = false;
    CHECK(rendered() == table +
                            "  failover now: blocked; candidate slave1 (candidate_master and most advanced); "
                            "would lose 0 transactions\n"
                            "  excluded: slave2 (no_master: no_master is set in the config)\n"
                            "  BLOCKED: auto_failover is off\n"
                            "  BLOCKED: last failover 2h ago, min_failover_interval 8h: automatic failover allowed "
                            "again in 6h (mhactl failover --force overrides)\n");
  }
  SECTION("transactions a failover would lose, with the GTIDs") {
    cluster["failover_readiness"]["gtid_gap"] = "3 transactions (master 0-1-120, 'slave1' received 0-1-117)";
    cluster["failover_readiness"]["transactions_behind"] = 3;
    CHECK(rendered().ends_with("  failover now: promote slave1 (candidate_master and most advanced); "
                               "would lose 3 transactions (master 0-1-120, 'slave1' received 0-1-117)\n"));
  }
  SECTION("an unknown gap") {
    cluster["failover_readiness"]["gtid_gap"] = "unknown: master unreachable, last known 0-1-120";
    cluster["failover_readiness"]["transactions_behind"] = -1;
    CHECK(rendered().ends_with("  failover now: promote slave1 (candidate_master and most advanced); "
                               "would lose an unknown number of transactions (master unreachable, last known "
                               "0-1-120)\n"));
  }
  SECTION("no candidate") {
    cluster["failover_readiness"] = {{"candidate", nullptr},
                                     {"rule", nullptr},
                                     {"most_advanced", "slave2"},
                                     {"excluded",
                                      {{{"server", "slave1"},
                                        {"reason", "no_master"},
                                        {"detail", "no_master is set in the config"}},
                                       {{"server", "slave2"},
                                        {"reason", "errant_gtids"},
                                        {"detail", "has 1-3-7 that the master never had"}}}},
                                     {"blockers", {"errant GTIDs on 'slave2': 1-3-7", "no eligible candidate"}},
                                     {"gtid_gap", "0 transactions"},
                                     {"transactions_behind", 0},
                                     {"would_proceed", false}};
    CHECK(rendered() == table +
                            "  failover now: blocked; no candidate\n"
                            "  excluded: slave1 (no_master: no_master is set in the config)\n"
                            "  excluded: slave2 (errant_gtids: has 1-3-7 that the master never had)\n"
                            "  BLOCKED: errant GTIDs on 'slave2': 1-3-7\n"
                            "  BLOCKED: no eligible candidate\n");
  }
  SECTION("absent: nothing, as from an older mhad") {
    cluster.erase("failover_readiness");
    CHECK(rendered() == table);
  }
  SECTION("fields missing or mistyped") {
    cluster["failover_readiness"] = {{"candidate", "slave1"},
                                     {"excluded", {{{"reason", 7}}}},
                                     {"blockers", {42}}};
    CHECK(rendered() == table +
                            "  failover now: blocked; candidate slave1\n"
                            "  excluded: ? (?)\n"
                            "  BLOCKED: ?\n");
  }
  SECTION("also under a cluster without servers") {
    cluster.erase("servers");
    CHECK(rendered().ends_with("  (no servers)\n  failover now: promote slave1 (candidate_master and most advanced); "
                               "would lose 0 transactions\n"));
  }
}

TEST_CASE("status table shows the last failover, its risk, the old master awaiting rejoin, a parked cluster",
          "[mhactl]") {
  json cluster = app1();
  cluster["master"] = "slave1";
  cluster["failover_running"] = false;
  cluster["last_failover"] = {{"finished_at", "2026-11-30T20:33:05.306Z"},
                              {"old_master", "master"},
                              {"new_master", "slave1"},
                              {"result", "completed_with_errors"},
                              {"duration_ms", 323},
                              {"lost_writes_risk", "possible: the dead master's host did not answer SSH"},
                              {"failed_replicas", {"slave2: START failed: Access denied"}}};
  cluster["awaiting_rejoin"] = "master";
  cluster["needs_operator"] = nullptr;
  std::string text = render(status_of({cluster}));
  CHECK_THAT(text, Catch::Matchers::Contains(
                       "  last failover: 2026-11-30T20:33:05.306Z master -> slave1, completed with errors in 323 ms\n"
                       "    lost writes risk: possible: the dead master's host did not answer SSH\n"
                       "    not recovered: slave2: START failed: Access denied\n"
                       "  awaiting rejoin: master (fenced if it comes back writable; mhactl rejoin master)\n"));
  CHECK(text.find("NEEDS OPERATOR") == std::string::npos);

  cluster["needs_operator"] = "a failover was interrupted (mhad stopped) in phase 'fence'; check the servers, then "
                              "mhactl failover --force";
  cluster["last_failover"]["lost_writes_risk"] = "none known";
  text = render(status_of({cluster}));
  CHECK_THAT(text, Catch::Matchers::Contains("  NEEDS OPERATOR: a failover was interrupted (mhad stopped) in phase "
                                             "'fence'; check the servers, then mhactl failover --force\n"));
  CHECK(text.find("lost writes risk") == std::string::npos);  // "none known" is not news
}

TEST_CASE("status table shows who acts with coordination = etcd, and why not", "[mhactl]") {
  json cluster = app1();
  cluster["coordination"] = json{{"active", "mha1"},
                                 {"this_instance", "mha2"},
                                 {"role", "standby"},
                                 {"since", "2026-12-01T15:00:00.000Z"}};
  CHECK(render(status_of({cluster})).find("\n  coordination: standby (this instance 'mha2'); active: 'mha1' since "
                                          "2026-12-01T15:00:00.000Z\n") != std::string::npos);
  cluster["coordination"] = json{{"active", ""},
                                 {"this_instance", "mha2"},
                                 {"role", "standby"},
                                 {"since", ""},
                                 {"problem", "cannot renew the etcd lease (no longer acting): etcd: timeout"}};
  const std::string text = render(status_of({cluster}));
  CHECK(text.find("  coordination: standby (this instance 'mha2'); active: none\n"
                  "    coordination problem: cannot renew the etcd lease (no longer acting): etcd: timeout\n") !=
        std::string::npos);
}
