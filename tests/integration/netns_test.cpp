// Tests that need real separate hosts: a netns sandbox (one network
// namespace per host, a bridge with no uplink) started by the test itself
// beside the loopback one, and stopped again even when the test fails.
// Partitions (a port blocked for mhad only, a host's link down) and failovers
// that move the VIP.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <thread>

#include "daemon/mariadb_session.h"
#include "integration/failover_support.h"
#include "integration/netns_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;


TEST_CASE("master's SQL port blocked for mhad only: unreachable_from_manager, never dead", "[integration][netns]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);  // the VIP on the master's host is seen over SSH
  json vip_status = mhad.status()["clusters"][0]["vip"];
  INFO(vip_status.dump());
  CHECK(vip_status["state"] == "held");
  CHECK(vip_status["holder"] == "master");

  std::string manager = sandbox.env.at("MHA_SANDBOX_MANAGER_ADDR");
  std::string rule = "INPUT -s " + manager + " -p tcp --dport 3306 -j DROP";
  auto blocked = run("ip netns exec " + sandbox.ns(0) + " iptables -I " + rule);
  INFO(blocked.out);
  REQUIRE(blocked.exit_code == 0);
  bool ever_dead = false;
  std::string last;
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 35s) {
    last = verdict_of(mhad.status());
    if (last == "dead" || last == "dead_host") ever_dead = true;
    std::this_thread::sleep_for(250ms);
  }
  auto history = mhad.status()["clusters"][0]["history"];
  run("ip netns exec " + sandbox.ns(0) + " iptables -D " + rule);
  INFO(history.dump(2) << "\n" << mhad.log());
  CHECK_FALSE(ever_dead);
  CHECK(last == "unreachable_from_manager");
  for (const auto& v : history) CHECK(v["verdict"] != "dead");
  CHECK(mhad.log().find("replicas still hear it: no failover") != std::string::npos);
  // Unblocked: the master answers again.
  CHECK(wait_until(20s, [&] { return verdict_of(mhad.status()) == "alive"; }));
}

TEST_CASE("netns: SIGKILL of the master, async: the VIP moves and leads to the new master; writes through it resume",
          "[integration][netns][failover]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  const std::string vip = sandbox.env.at("MHA_SANDBOX_VIP").substr(0, sandbox.env.at("MHA_SANDBOX_VIP").find('/'));
  sql(0, "SET GLOBAL rpl_semi_sync_master_enabled = 0");
  WriteLoad load(vip);  // the application writes through the VIP
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run(sandbox_script() + " kill 0 KILL --dir " + k_netns_dir).exit_code == 0);
  const auto killed_at = std::chrono::steady_clock::now();
  load.stop();
  auto acked = load.acked();

  // The application reconnects through the VIP until a write is acknowledged.
  std::chrono::steady_clock::time_point resumed;
  bool writes_resumed = wait_until(30s, [&] {
    MariadbSession s;
    SqlEndpoint e{vip, 3306, "app", "apppass"};
    e.connect_timeout = e.read_timeout = 1s;
    if (!s.connect(e) || !s.execute("INSERT INTO mha_test.acked VALUES (100000)")) return false;
    resumed = std::chrono::steady_clock::now();
    return true;
  });
  json failover;
  bool done = wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto log = mhad.log();
  INFO(log);
  REQUIRE(done);
  REQUIRE(writes_resumed);
  WARN("netns SIGKILL: writes through the VIP resumed " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               resumed - killed_at)
                                                               .count()
                                                        << " ms after the kill (mhad failover "
                                                        << failover["duration_ms"] << " ms)");
  CHECK(failover["result"] == "completed");
  CHECK(failover["new_master"] == "slave1");
  CHECK(holds_vip(sandbox, 1));
  CHECK_FALSE(holds_vip(sandbox, 0));
  CHECK_FALSE(holds_vip(sandbox, 2));
  CHECK(log.find("connected through the VIP") != std::string::npos);
  CHECK(sql(1, "SELECT @@read_only") == "0");
  CHECK(sql(2, "SELECT @@read_only") == "1");
  auto on_master = ids_on_netns(1);
  CHECK(missing_from(acked, on_master).empty());
  CHECK(on_master.count(100000) == 1);  // the write through the VIP landed on the new master
  CHECK(wait_until(15s, [&] { return ids_on_netns(2) == ids_on_netns(1); }));
}

TEST_CASE("netns: the master's whole host cut off (link down), semi-sync on: no acknowledged write lost; "
          "when it returns it is fenced and loses the VIP",
          "[integration][netns][failover]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  REQUIRE(sql(0, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'").find("ON") != std::string::npos);
  const std::string master_ip = sandbox.env.at("MHA_SANDBOX_MASTER");
  WriteLoad load(master_ip);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip link set eth0 down").exit_code == 0);
  const auto cut_at = std::chrono::steady_clock::now();
  load.stop();  // the INSERT in flight never gets its answer: not acknowledged
  auto acked = load.acked();

  json failover;
  bool done = wait_until(90s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - cut_at);
  INFO(mhad.log());
  REQUIRE(done);
  WARN("netns link down: failover reported " << took.count() << " ms after the cut (mhad failover "
                                             << failover["duration_ms"] << " ms); lost writes risk: "
                                             << failover["lost_writes_risk"]);
  auto history = mhad.status()["clusters"][0]["history"];
  for (const auto& v : history)
    if (v["verdict"] != "alive")
      WARN("verdict " << v["verdict"] << " " << v["detection_ms"] << " ms after the first failed check: " << v["evidence"].dump());
  CHECK(failover["result"] == "completed");
  CHECK(failover["new_master"] == "slave1");
  CHECK(failover["lost_writes_risk"].get<std::string>().rfind("low: ", 0) == 0);  // semi-sync was on
  CHECK(holds_vip(sandbox, 1));
  CHECK(sql(1, "SELECT @@read_only") == "0");
  CHECK(missing_from(acked, ids_on_netns(1)).empty());

  // The old host comes back, its mariadbd still running writable with the VIP.
  REQUIRE(holds_vip(sandbox, 0));
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip link set eth0 up").exit_code == 0);
  bool fenced = wait_until(30s, [&] { return sql(0, "SELECT @@read_only") == "1" && !holds_vip(sandbox, 0); });
  INFO(mhad.log());
  CHECK(fenced);
  CHECK(holds_vip(sandbox, 1));
  CHECK(mhad.status()["clusters"][0]["awaiting_rejoin"] == json::array({"master"}));
}

TEST_CASE("netns: the MHA field guide's master_ip_failover script moves the VIP in a real failover, unchanged",
          "[integration][netns][failover]") {
  NetnsSandbox sandbox;
  // The script as MHA users run it (tests/fixtures: only its VIP constant
  // changed). It calls plain `ssh HOST`: a wrapper first in mhad's PATH adds
  // the sandbox's key, as ~/.ssh would on a real manager host.
  const std::string script = k_netns_dir + "/master_ip_failover";
  REQUIRE(run("install -m 0755 " + std::string(MHA_SOURCE_DIR) + "/tests/fixtures/seed001_master_ip_failover.pl " +
              script)
              .exit_code == 0);
  const std::string bin = k_netns_dir + "/bin";
  REQUIRE(run("mkdir -p " + bin).exit_code == 0);
  {
    std::ofstream wrapper(bin + "/ssh");
    wrapper << "#!/bin/sh\nexec /usr/bin/ssh -i " << sandbox.env.at("MHA_SANDBOX_SSH_KEY")
            << " -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR "
               "\"$@\"\n";
  }
  REQUIRE(run("chmod 0755 " + bin + "/ssh").exit_code == 0);
  const std::string cluster_file = k_netns_dir + "/mhad/clusters.d/sandbox.toml";
  std::string config;
  {
    std::ifstream in(cluster_file);
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto at = config.find("auto_failover = true\n");
  REQUIRE(at != std::string::npos);
  config.insert(at, "master_ip_failover_script = \"" + script + "\"\n");
  std::ofstream(cluster_file) << config;

  Mhad mhad(k_netns_dir + "/mhad");
  REQUIRE(mhad.start({{"PATH", bin + ":" + std::string(std::getenv("PATH"))}}));
  REQUIRE(wait_until(20s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  // As the guide sets it up: the VIP as a /32 on the master's interface.
  std::string vip = sandbox.env.at("MHA_SANDBOX_VIP");
  vip = vip.substr(0, vip.find('/')) + "/32";
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip addr add " + vip + " dev eth0").exit_code == 0);
  std::this_thread::sleep_for(6s);
  WriteLoad load(sandbox.env.at("MHA_SANDBOX_MASTER"));
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run(sandbox_script() + " kill 0 KILL --dir " + k_netns_dir).exit_code == 0);
  load.stop();
  auto acked = load.acked();
  json failover;
  bool done = wait_until(60s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto log = mhad.log();
  INFO(log);
  REQUIRE(done);
  CHECK(failover["result"] == "completed");
  CHECK(failover["new_master"] == "slave1");
  // The script's own work: the VIP (as /32) moved from the old master's host
  // to the new master's, over the script's ssh calls.
  CHECK(holds_vip(sandbox, 1));
  CHECK_FALSE(holds_vip(sandbox, 0));
  CHECK(log.find("master_ip_failover") != std::string::npos);
  CHECK(log.find("connected through the VIP") != std::string::npos);
  CHECK(sql(1, "SELECT @@read_only") == "0");
  CHECK(missing_from(acked, ids_on_netns(1)).empty());
  // MHA's interface hands the script the password on its command line; it
  // must still never reach mhad's log.
  CHECK(log.find("mhapass") == std::string::npos);
}
