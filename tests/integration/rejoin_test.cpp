// Rejoin and maintenance against the real loopback sandbox: the old master
// killed under a write load and failed over, then restarted and put back as
// a read-only replica of the new master (by mhactl rejoin, or by itself with
// auto_rejoin), refused when it took a write of its own; maintenance pausing
// automatic failover and resuming it.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "common/replica_status.h"
#include "daemon/mariadb_session.h"
#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

CommandOutput mhactl(const Mhad& mhad, const std::string& args) {
  return run(mhactl_path() + " --socket " + mhad.socket() + " " + args + " 2>&1");
}

void add_cluster_keys(const std::string& dir, const std::string& lines) {
  const std::string file = dir + "/clusters.d/sandbox.toml";
  std::string config;
  {
    std::ifstream in(file);
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto at = config.find("auto_failover");
  REQUIRE(at != std::string::npos);
  config.insert(at, lines);
  std::ofstream(file) << config;
}

// The old master (host 0) replicates from slave1 (host 1), both threads running.
bool old_master_follows_slave1(std::string* seen) {
  MariadbSession s;
  if (!s.connect(SqlEndpoint{k_loopback_hosts[0], 3306, "mha", "mhapass"})) return false;
  auto rows = s.query("SHOW SLAVE STATUS");
  if (!rows || rows->rows.empty()) return false;
  auto st = parse_replica_status(rows->row_map(0));
  if (!st) return false;
  *seen = fmt::format("from {} io={} sql={} {}", st->master_host, st->io_running == ReplicaStatus::ThreadState::yes,
                      st->sql_running, st->last_io_error);
  return st->replicating() && st->master_host == k_loopback_hosts[1];
}

// Kills the master under load, waits for the failover to slave1 and
// restarts the old master's mariadbd; returns the acknowledged ids.
std::set<int> fail_over_and_restart_old_master(Mhad& mhad) {
  auto acked = kill_master_under_load();
  json failover;
  REQUIRE(wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); }));
  INFO(failover.dump(2));
  REQUIRE(failover["result"] == "completed");
  REQUIRE(failover["new_master"] == "slave1");
  REQUIRE(run(sandbox_script() + " start-server 0").exit_code == 0);
  // mhad fences it (read-only) as soon as it answers writable.
  REQUIRE(wait_until(20s, [&] { return sandbox_sql(0, "SELECT @@read_only") == "1"; }));
  return acked;
}

}  // namespace

TEST_CASE("rejoin after a failover: the restarted old master becomes a read-only replica of the new master; with a "
          "write of its own it is refused and the refusal names the errant GTID",
          "[integration][rejoin]") {
  FreshSandboxAfter fresh;
  Mhad mhad(failover_config_dir());
  start_ready(mhad);
  auto acked = fail_over_and_restart_old_master(mhad);
  CHECK(mhad.status()["clusters"][0]["awaiting_rejoin"] == json::array({"master"}));

  SECTION("clean: mhactl rejoin by IP") {
    auto r = mhactl(mhad, fmt::format("rejoin {}", k_loopback_hosts[0]));
    INFO(r.out << "\n" << mhad.log());
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("Rejoin Report") != std::string::npos);
    std::string seen;
    CHECK(wait_until(10s, [&] { return old_master_follows_slave1(&seen); }));
    INFO(seen);
    CHECK(sandbox_sql(0, "SELECT @@read_only") == "1");
    CHECK(mhad.status()["clusters"][0]["awaiting_rejoin"] == json::array());
    // It catches up: every row of the new master reaches it.
    REQUIRE(sandbox_sql(1, "INSERT INTO mha_test.acked VALUES (800000)").empty());
    CHECK(wait_until(15s, [&] { return ids_on(0) == ids_on(1); }));
    for (int id : acked) CHECK(ids_on(1).count(id) == 1);
    // Back in the topology: the cluster is healthy again with three servers.
    CHECK(wait_until(15s, [&] { return mhad.status()["clusters"][0]["health"] == "ok"; }));
  }

  SECTION("errant: a row written on the old master first") {
    REQUIRE(sandbox_sql(0, "INSERT INTO mha_test.acked VALUES (700000)").empty());
    const std::string errant = sandbox_sql(0, "SELECT @@gtid_binlog_pos");
    auto r = mhactl(mhad, fmt::format("rejoin {}", k_loopback_hosts[0]));
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("errant_gtid") != std::string::npos);
    CHECK(r.out.find(errant) != std::string::npos);     // names the GTID
    CHECK(r.out.find("mariadb-backup") != std::string::npos);  // and the way out
    CHECK(r.out.find("--force") != std::string::npos);
    // Nothing changed: it replicates from nobody and stays fenced.
    CHECK(sandbox_sql(0, "SHOW SLAVE STATUS").empty());
    CHECK(mhad.status()["clusters"][0]["awaiting_rejoin"] == json::array({"master"}));
  }
}

TEST_CASE("auto_rejoin: a killed-then-restarted old master comes back as a replica with no command",
          "[integration][rejoin]") {
  FreshSandboxAfter fresh;
  const std::string dir = failover_config_dir();
  add_cluster_keys(dir, "auto_rejoin = true\n");
  Mhad mhad(dir);
  start_ready(mhad);
  fail_over_and_restart_old_master(mhad);
  std::string seen;
  bool rejoined = wait_until(30s, [&] { return old_master_follows_slave1(&seen); });
  INFO(seen << "\n" << mhad.log());
  CHECK(rejoined);
  CHECK(wait_until(10s, [&] { return mhad.status()["clusters"][0]["awaiting_rejoin"] == json::array(); }));
  CHECK(sandbox_sql(0, "SELECT @@read_only") == "1");
  CHECK(mhad.log().find("automatic (auto_rejoin) rejoin of 'master'") != std::string::npos);
}

TEST_CASE("maintenance on: a killed master is reported dead and not failed over; off: the next death is",
          "[integration][maintenance]") {
  FreshSandboxAfter fresh;
  Mhad mhad(failover_config_dir());
  start_ready(mhad);
  auto on = mhactl(mhad, "maintenance on --reason 'kernel upgrade'");
  INFO(on.out);
  REQUIRE(on.exit_code == 0);
  auto status = mhactl(mhad, "status");
  CHECK(status.out.find("maintenance since") != std::string::npos);
  CHECK(status.out.find("kernel upgrade") != std::string::npos);

  // Persisted: a restarted mhad is still in maintenance.
  mhad.stop();
  start_ready(mhad);
  REQUIRE(mhad.status()["clusters"][0]["maintenance"].is_object());

  REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
  REQUIRE(wait_until(20s, [&] {
    auto v = mhad.status()["clusters"][0]["detection"]["verdict"];
    return v == "dead" || v == "dead_host";
  }));
  std::this_thread::sleep_for(3s);
  CHECK(last_failover(mhad.status()).is_null());
  CHECK(mhad.log().find("automatic failover is paused") != std::string::npos);
  CHECK(sandbox_sql(1, "SELECT @@read_only") == "1");

  // Off, the master back; its next death is failed over.
  REQUIRE(mhactl(mhad, "maintenance off").exit_code == 0);
  REQUIRE(run(sandbox_script() + " start-server 0").exit_code == 0);
  REQUIRE(wait_until(30s, [&] { return mhad.status()["clusters"][0]["health"] == "ok"; }));
  std::this_thread::sleep_for(3s);
  auto acked = kill_master_under_load();
  json failover;
  REQUIRE(wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); }));
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", mhad);
}
