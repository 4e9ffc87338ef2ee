// mhad monitoring a real 3-server MariaDB sandbox: what `mhactl status`
// shows, reloads, signals, secrets, and a write load.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "common/flavor.h"
#include "daemon/mariadb_session.h"
#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Monitoring only: the test that kills the master checks what status shows,
// so auto_failover is off here.
std::string config_dir() { return sandbox_config("mhad-monitor", false); }

json server_named(const json& status, const std::string& name) {
  for (const auto& cluster : status["clusters"])
    for (const auto& server : cluster["servers"])
      if (server["name"] == name) return server;
  return nullptr;
}

bool all_ok(const json& status) {
  if (status.is_null() || status["clusters"].size() != 1) return false;
  const auto& cluster = status["clusters"][0];
  return cluster["health"] == "ok";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("status of the running sandbox: one master, two replicas with both threads running", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  json status;
  bool healthy = wait_until(15s, [&] { return all_ok(status = mhad.status()); });
  INFO(status.dump(2) << "\n" << mhad.log());
  REQUIRE(healthy);
  const auto& cluster = status["clusters"][0];
  CHECK(cluster["name"] == "sandbox");
  CHECK(cluster["master"] == "master");
  auto master = server_named(status, "master");
  CHECK(master["role"] == "master");
  CHECK(master["read_only"] == false);
  CHECK(master["flavor"] == "mariadb");
  CHECK(master["version"].get<std::string>().find("10.11") != std::string::npos);
  for (const char* name : {"slave1", "slave2"}) {
    auto replica = server_named(status, name);
    CHECK(replica["role"] == "replica");
    CHECK(replica["state"] == "ok");
    CHECK(replica["io_thread"] == "yes");
    CHECK(replica["sql_thread"] == "yes");
    CHECK(replica["read_only"] == true);
    CHECK(replica["source"] == master["host"].get<std::string>() + ":3306");
    CHECK(replica["seconds_behind"] == 0);
  }
  CHECK(cluster["vip"]["state"] == "not_configured");

  auto table = run(mhactl_path() + " --socket " + mhad.socket() + " status");
  INFO(table.out);
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("slave1") != std::string::npos);
  CHECK(table.out.find("replica") != std::string::npos);

  auto raw = run(mhactl_path() + " --socket " + mhad.socket() + " status --json");
  auto parsed = json::parse(raw.out, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed["clusters"][0]["name"] == "sandbox");
}

TEST_CASE("a replica whose replication was stopped by hand shows that state and why", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  sandbox_sql(2, "STOP SLAVE");
  json slave2;
  bool seen = wait_until(5s, [&] {
    slave2 = server_named(mhad.status(), "slave2");
    return slave2.is_object() && slave2["state"] == "replication_stopped";
  });
  auto table = run(mhactl_path() + " --socket " + mhad.socket() + " status");
  auto log = mhad.log();
  sandbox_sql(2, "START SLAVE");
  INFO(slave2.dump(2) << "\n" << table.out);
  REQUIRE(seen);
  CHECK(slave2["io_thread"] == "no");
  CHECK(slave2["sql_thread"] == "no");
  CHECK(slave2["last_error"].get<std::string>().find("START SLAVE") != std::string::npos);
  CHECK(table.out.find("replication stopped") != std::string::npos);
  CHECK(table.out.find("START SLAVE") != std::string::npos);
  CHECK(mhad.status()["clusters"][0]["health"] != "ok");
  // Logged once as a state change, not every cycle.
  CHECK(log.find("'slave2' is replication_stopped") != std::string::npos);
  CHECK(wait_until(10s, [&] { return all_ok(mhad.status()); }));
}

TEST_CASE("a replica with a broken IO thread shows the server's error", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  std::string master_host = server_named(mhad.status(), "master")["host"];
  sandbox_sql(1, "STOP SLAVE; CHANGE MASTER TO MASTER_PASSWORD='wrong'; START SLAVE");
  json slave1;
  bool seen = wait_until(10s, [&] {
    slave1 = server_named(mhad.status(), "slave1");
    return slave1.is_object() && slave1["state"] == "replication_error";
  });
  sandbox_sql(1, "STOP SLAVE; CHANGE MASTER TO MASTER_PASSWORD='replpass'; START SLAVE");
  INFO(slave1.dump(2));
  REQUIRE(seen);
  CHECK(slave1["last_io_error"].get<std::string>().find("Access denied") != std::string::npos);
  CHECK(wait_until(15s, [&] { return all_ok(mhad.status()); }));
}

TEST_CASE("replicas keep up under a write load and status shows equal GTIDs", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  std::string master_host = server_named(mhad.status(), "master")["host"];
  MariadbSession app;
  REQUIRE(app.connect(SqlEndpoint{master_host, 3306, "app", "apppass"}));
  REQUIRE(app.execute("CREATE TABLE IF NOT EXISTS mha_test.load_monitor (id INT PRIMARY KEY, at TIMESTAMP(3))"));
  REQUIRE(app.execute("DELETE FROM mha_test.load_monitor"));
  // One committed row every ~20 ms for 3 s; status must stay ok throughout.
  int acknowledged = 0;
  bool stayed_ok = true;
  for (int i = 1; i <= 150; ++i) {
    if (app.execute(fmt::format("INSERT INTO mha_test.load_monitor VALUES ({}, NOW(3))", i))) ++acknowledged;
    if (i % 25 == 0) stayed_ok = stayed_ok && all_ok(mhad.status());
    std::this_thread::sleep_for(20ms);
  }
  CHECK(acknowledged == 150);
  CHECK(stayed_ok);
  json status;
  bool converged = wait_until(10s, [&] {
    status = mhad.status();
    auto m = server_named(status, "master")["gtid_executed"];
    return m.is_string() && server_named(status, "slave1")["gtid_executed"] == m &&
           server_named(status, "slave2")["gtid_executed"] == m;
  });
  INFO(status.dump(2));
  CHECK(converged);
  CHECK(sandbox_sql(2, "SELECT COUNT(*) FROM mha_test.load_monitor") == "150");
}

TEST_CASE("reload: a broken config is refused and the old one stays; a good one is taken", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  std::string cluster_file = config_dir() + "/clusters.d/sandbox.toml";
  std::string good = read_file(cluster_file);
  {
    std::ofstream out(cluster_file, std::ios::app);
    out << "\nping_interval = \"often\"\n";
  }
  auto refused = run(mhactl_path() + " --socket " + mhad.socket() + " reload");
  mhad.signal(SIGHUP);  // the same through the signal
  std::this_thread::sleep_for(300ms);
  auto status_after = mhad.status();
  {
    std::ofstream out(cluster_file, std::ios::trunc);
    out << good;
  }
  INFO(refused.out << "\n" << mhad.log());
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("ping_interval") != std::string::npos);
  CHECK(refused.out.find("sandbox.toml") != std::string::npos);
  REQUIRE(status_after.is_object());
  CHECK(status_after["clusters"].size() == 1);
  CHECK(mhad.log().find("new configuration refused") != std::string::npos);

  auto accepted = run(mhactl_path() + " --socket " + mhad.socket() + " reload");
  INFO(accepted.out);
  CHECK(accepted.exit_code == 0);
  CHECK(wait_until(15s, [&] { return all_ok(mhad.status()); }));
}

TEST_CASE("passwords reach neither the log, the status output nor mhad's command line", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  sandbox_sql(2, "STOP SLAVE");  // make some error text flow too
  wait_until(3s, [&] { return !all_ok(mhad.status()); });
  sandbox_sql(2, "START SLAVE");
  auto status = mhad.status().dump();
  auto table = run(mhactl_path() + " --socket " + mhad.socket() + " status").out;
  auto cmdline = read_file("/proc/" + std::to_string(mhad.pid()) + "/cmdline");
  auto checked = run(mhad_path() + " --check-config --config " + config_dir() + "/mhad.toml");
  auto log = mhad.log();
  for (const char* secret : {"mhapass", "replpass"}) {
    CHECK(status.find(secret) == std::string::npos);
    CHECK(table.find(secret) == std::string::npos);
    CHECK(cmdline.find(secret) == std::string::npos);
    CHECK(checked.out.find(secret) == std::string::npos);
    CHECK(log.find(secret) == std::string::npos);
  }
  CHECK(checked.exit_code == 0);
  CHECK(checked.out.find("********") != std::string::npos);
}

TEST_CASE("the master's mariadbd killed: status shows it unreachable and the cluster master_down", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  auto killed = run(sandbox_script() + " kill 0 KILL");
  REQUIRE(killed.exit_code == 0);
  json status;
  bool down = wait_until(10s, [&] {
    status = mhad.status();
    return status.is_object() && status["clusters"][0]["health"] == "master_down";
  });
  auto master = server_named(status, "master");
  auto restarted = run(sandbox_script() + " start-server 0");
  INFO(status.dump(2) << "\n" << restarted.out);
  REQUIRE(down);
  CHECK(master["reachable"] == false);
  CHECK(master["state"] == "unreachable");
  CHECK(master["last_error"].get<std::string>().find("connect") != std::string::npos);
  CHECK(status["clusters"][0]["master"] == "master");  // still known from the replicas
  REQUIRE(restarted.exit_code == 0);
  // The replicas reconnect by themselves (slave_net_timeout/retry) and mhad reconnects too.
  CHECK(wait_until(60s, [&] { return all_ok(mhad.status()); }));
}

TEST_CASE("SIGTERM stops mhad within 2 s and removes its socket", "[integration]") {
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] { return all_ok(mhad.status()); }));
  auto took = mhad.stop(5s);
  INFO(mhad.log());
  CHECK(took >= 0ms);
  CHECK(took < 2000ms);
  struct stat st{};
  CHECK(::stat(mhad.socket().c_str(), &st) != 0);
  WARN("mhad stopped in " << took.count() << " ms");
}

TEST_CASE("mhactl without a running daemon says so in one line and exits 2", "[integration]") {
  auto r = run(mhactl_path() + " --socket " + config_dir() + "/absent.sock status");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("is mhad running? systemctl status mhad") != std::string::npos);
  CHECK(r.out.find(config_dir() + "/absent.sock") != std::string::npos);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
}

TEST_CASE("mhad refuses to start on an invalid configuration and names the problem", "[integration]") {
  std::string dir = sandbox_dir() + "/broken-config";
  run("rm -rf " + dir + " && mkdir -p " + dir + "/clusters.d");
  {
    std::ofstream out(dir + "/mhad.toml");
    out << "[daemon]\nsocket = \"" << dir << "/mhad.sock\"\n";
    std::ofstream cluster(dir + "/clusters.d/app1.toml");
    cluster << "user = \"mha\"\n[[server]]\nname = \"master\"\nport = 3306\n";
  }
  auto r = run(mhad_path() + " --config " + dir + "/mhad.toml");
  INFO(r.out);
  CHECK(r.exit_code == 78);
  CHECK(r.out.find("app1.toml") != std::string::npos);
  CHECK(r.out.find("host") != std::string::npos);
  struct stat st{};
  CHECK(::stat((dir + "/mhad.sock").c_str(), &st) != 0);
}

TEST_CASE("sql_quote holds on a server whose global sql_mode has NO_BACKSLASH_ESCAPES", "[integration][sql_mode]") {
  const std::string old_mode = sandbox_sql(0, "SELECT @@GLOBAL.sql_mode");
  struct Restore {
    std::string mode;
    ~Restore() { run(sandbox_script() + " sql 0 \"SET GLOBAL sql_mode = '" + mode + "'\""); }
  } restore{old_mode};
  sandbox_sql(0, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'");
  const std::vector<std::string> values = {"it's", "'; SELECT 1; -- ", R"(back\slash)", R"(\')", R"(p'a\ss'; x)",
                                           "line\nbreak", "pässwörd"};
  SECTION("an mhad session takes NO_BACKSLASH_ESCAPES out: every value comes back exact") {
    MariadbSession session;
    REQUIRE(session.connect(sandbox_endpoint("127.0.0.11", 3306, "mha", "mhapass")));
    auto mode = session.query("SELECT @@SESSION.sql_mode");
    REQUIRE(mode);
    CHECK(mode->scalar() == SqlValue("STRICT_TRANS_TABLES"));
    for (const auto& v : values) {
      auto rows = session.query("SELECT " + sql_quote(v) + ", 'END'");
      INFO(sql_quote(v));
      REQUIRE(rows);
      REQUIRE(rows->rows.size() == 1);
      CHECK(rows->rows[0][0] == SqlValue(v));
      CHECK(rows->rows[0][1] == SqlValue("END"));
    }
  }
  SECTION("a session left with NO_BACKSLASH_ESCAPES: no value ends the literal early") {
    MariadbSession session;
    REQUIRE(session.connect(sandbox_endpoint("127.0.0.11", 3306, "mha", "mhapass")));
    REQUIRE(session.execute("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"));
    for (const auto& v : values) {
      auto rows = session.query("SELECT " + sql_quote(v) + ", 'END'");
      INFO(sql_quote(v));
      REQUIRE(rows);
      REQUIRE(rows->rows.size() == 1);
      CHECK(rows->rows[0][1] == SqlValue("END"));
      if (v.find_first_of("\\\n") == std::string::npos) CHECK(rows->rows[0][0] == SqlValue(v));
    }
  }
}
