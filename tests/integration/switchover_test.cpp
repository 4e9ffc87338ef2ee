// Switchover against real servers, under an application's write load that
// reconnects on error: back and forth on the netns sandbox through the VIP,
// refusals that change nothing, a rollback, and MHA's
// master_ip_online_change script moving the VIP.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "common/replica_status.h"
#include "daemon/mariadb_session.h"
#include "integration/failover_support.h"
#include "integration/netns_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* const k_names[] = {"master", "slave1", "slave2"};

CommandOutput mhactl(const Mhad& mhad, const std::string& args) {
  return run(mhactl_path() + " --socket " + mhad.socket() + " " + args + " 2>&1");
}

// Host `i` replicates from `source_ip` with both threads running.
bool replicates_from(const std::string& ip, const std::string& source_ip, std::string* seen) {
  MariadbSession s;
  if (!s.connect(SqlEndpoint{ip, 3306, "mha", "mhapass"})) return false;
  auto rows = s.query("SHOW SLAVE STATUS");
  if (!rows || rows->rows.empty()) {
    if (seen) *seen = ip + ": no replication";
    return false;
  }
  auto st = parse_replica_status(rows->row_map(0));
  if (!st) return false;
  if (seen)
    *seen = fmt::format("{}: from {} io={} sql={} {}", ip, st->master_host, st->io_running == ReplicaStatus::ThreadState::yes,
                        st->sql_running, st->last_io_error);
  return st->replicating() && st->master_host == source_ip;
}

// server_id reached through the VIP, as an application would connect.
std::string server_id_through(const std::string& vip) {
  MariadbSession s;
  SqlEndpoint e{vip, 3306, "app", "apppass"};
  e.connect_timeout = e.read_timeout = 1s;
  if (!s.connect(e)) return "";
  auto rows = s.query("SELECT @@server_id");
  return rows && !rows->rows.empty() ? rows->rows[0][0].value_or("") : "";
}

void edit_cluster_config(const std::string& file, const std::string& before_key, const std::string& lines) {
  std::string config;
  {
    std::ifstream in(file);
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto at = config.find(before_key);
  REQUIRE(at != std::string::npos);
  config.insert(at, lines);
  std::ofstream(file) << config;
}

}  // namespace

TEST_CASE("netns: 10 switchovers back and forth under a write load through the VIP: no acknowledged write lost, "
          "one writable master, everyone follows it, the VIP leads to it",
          "[integration][netns][switchover]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  const std::string vip = sandbox.vip();
  std::vector<std::string> ips(3);
  {
    std::istringstream in(sandbox.env.at("MHA_SANDBOX_HOSTS"));
    for (int i = 0; i < 3; ++i) in >> ips[static_cast<std::size_t>(i)];
  }
  ReconnectingWriteLoad load(vip);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 25; }));
  load.take_gaps();

  std::vector<long> windows;
  int master = 0;
  for (int round = 0; round < 10; ++round) {
    const int target = master == 0 ? 1 : 0;
    auto r = mhactl(mhad, fmt::format("switchover --to {}", k_names[target]));
    INFO("round " << round << ": " << r.out << "\n" << mhad.log().substr(std::max<std::size_t>(mhad.log().size(), 6000) - 6000));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("phase wait_catchup") != std::string::npos);  // progress, phase by phase
    CHECK(r.out.find("Switchover Report") != std::string::npos);
    master = target;
    // Exactly one writable server, and it is the target.
    for (int i = 0; i < 3; ++i) CHECK(sql(i, "SELECT @@read_only") == (i == master ? "0" : "1"));
    // Every other server, the old master included, follows it.
    for (int i = 0; i < 3; ++i) {
      if (i == master) continue;
      std::string seen;
      bool following = wait_until(10s, [&] { return replicates_from(ips[i], ips[master], &seen); });
      INFO(seen);
      CHECK(following);
    }
    CHECK(holds_vip(sandbox, master));
    CHECK_FALSE(holds_vip(sandbox, master == 0 ? 1 : 0));
    CHECK(server_id_through(vip) == sql(master, "SELECT @@server_id"));
    // Writes through the VIP go on.
    const auto before = load.acked().size();
    REQUIRE(wait_until(10s, [&] { return load.acked().size() >= before + 10; }));
    auto gaps = load.take_gaps();
    windows.push_back(gaps.empty() ? 0 : *std::max_element(gaps.begin(), gaps.end()));
  }
  load.stop();
  const auto acked = load.acked();
  REQUIRE(wait_until(20s, [&] { return ids_on_netns(0) == ids_on_netns(1) && ids_on_netns(1) == ids_on_netns(2); }));
  CHECK(missing_from(acked, ids_on_netns(master)).empty());
  std::sort(windows.begin(), windows.end());
  WARN("netns switchover: longest write gap per switchover, ms (sorted): " << json(windows).dump() << "; client errors: "
                                                                           << load.errors());
  CHECK(mhad.status()["clusters"][0]["master"] == k_names[master]);
  CHECK(mhad.log().find("mhapass") == std::string::npos);
}

TEST_CASE("switchover refusals change nothing: unknown target, lagging target; a catch-up that times out is "
          "rolled back and the old master takes writes again",
          "[integration][switchover]") {
  FreshSandboxAfter fresh;
  const std::string dir = failover_config_dir();
  edit_cluster_config(dir + "/clusters.d/sandbox.toml", "auto_failover", "running_seconds_limit = \"2s\"\n");
  Mhad mhad(dir);
  start_ready(mhad);

  SECTION("an unknown --to lists the valid names") {
    auto r = mhactl(mhad, "switchover --to nosuch");
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("unknown_server") != std::string::npos);
    CHECK(r.out.find("slave1") != std::string::npos);
    CHECK(sandbox_sql(0, "SELECT @@read_only") == "0");
  }

  SECTION("a target behind by more than running_seconds_limit is refused before anything changes") {
    sandbox_sql(1, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=6; START SLAVE");
    WriteLoad load(k_loopback_hosts[0]);
    // Behind by 3 s and more, as mhad's own status sees it.
    REQUIRE(wait_until(20s, [&] {
      auto s = mhad.status();
      if (!s.is_object()) return false;
      for (const auto& server : s["clusters"][0]["servers"])
        if (server["name"] == "slave1") {
          auto lag = server.value("seconds_behind", json(nullptr));
          return lag.is_number() && lag.get<int>() >= 3;
        }
      return false;
    }));
    auto r = mhactl(mhad, "switchover --to slave1");
    load.stop();
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("target_lagging") != std::string::npos);
    CHECK(r.out.find("running_seconds_limit") != std::string::npos);
    CHECK(sandbox_sql(0, "SELECT @@read_only") == "0");
    CHECK(sandbox_sql(1, "SELECT @@read_only") == "1");
    std::string seen;
    CHECK(replicates_from(k_loopback_hosts[2], k_loopback_hosts[0], &seen));
    sandbox_sql(1, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE");
  }

  SECTION("the target's SQL thread held: the catch-up wait times out, everything is put back") {
    WriteLoad before(k_loopback_hosts[0]);
    REQUIRE(wait_until(10s, [&] { return before.acked().size() >= 20; }));
    before.stop();
    // A read lock on the target holds its SQL thread at the next commit.
    MariadbSession lock;
    REQUIRE(lock.connect(SqlEndpoint{k_loopback_hosts[1], 3306, "mha", "mhapass"}));
    REQUIRE(lock.execute("FLUSH TABLES WITH READ LOCK"));
    REQUIRE(sandbox_sql(0, "INSERT INTO mha_test.acked VALUES (900000)").empty());
    auto r = mhactl(mhad, "switchover --to slave1");
    lock.close();
    INFO(r.out << "\n" << mhad.log());
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("rolled_back") != std::string::npos);
    CHECK(r.out.find("did not execute the old master's final position") != std::string::npos);
    // The old master takes writes again; the replicas follow it.
    CHECK(sandbox_sql(0, "SELECT @@read_only") == "0");
    MariadbSession app;  // as the application: no SUPER, read_only would stop it
    REQUIRE(app.connect(SqlEndpoint{k_loopback_hosts[0], 3306, "app", "apppass"}));
    CHECK(app.execute("INSERT INTO mha_test.acked VALUES (900001)"));
    std::string seen;
    CHECK(wait_until(10s, [&] { return replicates_from(k_loopback_hosts[1], k_loopback_hosts[0], &seen); }));
    CHECK(wait_until(10s, [&] { return replicates_from(k_loopback_hosts[2], k_loopback_hosts[0], &seen); }));
    CHECK(mhad.status()["clusters"][0]["master"] == "master");
    auto last = mhad.status()["clusters"][0]["last_operation"];
    CHECK(last["result"] == "rolled_back");
    CHECK(mhad.status()["clusters"][0]["needs_operator"].is_null());
  }
}

TEST_CASE("netns: the MHA field guide's master_ip_online_change script moves the VIP in a switchover, unchanged",
          "[integration][netns][switchover]") {
  NetnsSandbox sandbox;
  const std::string script = k_netns_dir + "/master_ip_online_change";
  REQUIRE(run("install -m 0755 " + std::string(MHA_SOURCE_DIR) +
              "/tests/fixtures/seed001_master_ip_online_change.pl " + script)
              .exit_code == 0);
  // The script calls plain `ssh HOST`: a wrapper first in mhad's PATH adds
  // the sandbox's key, as ~/.ssh would on a real manager host.
  const std::string bin = k_netns_dir + "/bin";
  REQUIRE(run("mkdir -p " + bin).exit_code == 0);
  {
    std::ofstream wrapper(bin + "/ssh");
    wrapper << "#!/bin/sh\nexec /usr/bin/ssh -i " << sandbox.env.at("MHA_SANDBOX_SSH_KEY")
            << " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR "
               "\"$@\"\n";
  }
  REQUIRE(run("chmod 0755 " + bin + "/ssh").exit_code == 0);
  edit_cluster_config(k_netns_dir + "/mhad/clusters.d/sandbox.toml", "auto_failover",
                      "master_ip_online_change_script = \"" + script + "\"\n");
  Mhad mhad(k_netns_dir + "/mhad");
  REQUIRE(mhad.start({{"PATH", bin + ":" + std::string(std::getenv("PATH"))}}));
  REQUIRE(wait_until(20s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  // As the guide sets it up: the VIP as a /32 on the master's interface.
  const std::string vip32 = sandbox.vip() + "/32";
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip addr add " + vip32 + " dev eth0").exit_code == 0);
  std::this_thread::sleep_for(2s);
  ReconnectingWriteLoad load(sandbox.vip());
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 25; }));
  auto r = mhactl(mhad, "switchover --to slave1");
  const auto log = mhad.log();
  INFO(r.out << "\n" << log);
  REQUIRE(r.exit_code == 0);
  CHECK(holds_vip(sandbox, 1));
  CHECK_FALSE(holds_vip(sandbox, 0));
  CHECK(log.find("master_ip_online_change_script --command=stop") != std::string::npos);
  CHECK(log.find("master_ip_online_change_script --command=start") != std::string::npos);
  const auto before = load.acked().size();
  CHECK(wait_until(10s, [&] { return load.acked().size() >= before + 10; }));
  load.stop();
  CHECK(sql(1, "SELECT @@read_only") == "0");
  CHECK(sql(0, "SELECT @@read_only") == "1");
  CHECK(missing_from(load.acked(), ids_on_netns(1)).empty());
  CHECK(log.find("mhapass") == std::string::npos);  // the script gets it on its command line, the log never
}

TEST_CASE("netns: a switchover whose catch-up times out is rolled back: the VIP is back on the old master and "
          "writes through it go on",
          "[integration][netns][switchover]") {
  NetnsSandbox sandbox;
  edit_cluster_config(k_netns_dir + "/mhad/clusters.d/sandbox.toml", "auto_failover", "running_seconds_limit = \"2s\"\n");
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  std::string slave1_ip;
  {
    std::istringstream in(sandbox.env.at("MHA_SANDBOX_HOSTS"));
    in >> slave1_ip >> slave1_ip;
  }
  ReconnectingWriteLoad load(sandbox.vip());
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 25; }));
  // A read lock on the target holds its SQL thread at the next commit.
  MariadbSession lock;
  REQUIRE(lock.connect(SqlEndpoint{slave1_ip, 3306, "mha", "mhapass"}));
  REQUIRE(lock.execute("FLUSH TABLES WITH READ LOCK"));
  auto r = mhactl(mhad, "switchover --to slave1");
  lock.close();
  INFO(r.out << "\n" << mhad.log());
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("rolled_back") != std::string::npos);
  CHECK(r.out.find("rollback: VIP back on 'master'") != std::string::npos);
  CHECK(holds_vip(sandbox, 0));
  CHECK_FALSE(holds_vip(sandbox, 1));
  CHECK(sql(0, "SELECT @@read_only") == "0");
  // The application, reconnecting through the VIP, writes to the old master again.
  const auto before = load.acked().size();
  CHECK(wait_until(15s, [&] { return load.acked().size() >= before + 10; }));
  load.stop();
  CHECK(missing_from(load.acked(), ids_on_netns(0)).empty());
  CHECK(wait_until(15s, [&] { return ids_on_netns(1) == ids_on_netns(0); }));
  auto last = mhad.status()["clusters"][0]["last_operation"];
  CHECK(last["result"] == "rolled_back");
  CHECK(mhad.status()["clusters"][0]["master"] == "master");
}
