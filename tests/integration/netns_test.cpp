// Tests that need real separate hosts: a netns sandbox (one network
// namespace per host, a bridge with no uplink) started by the test itself
// beside the loopback one, and stopped again even when the test fails.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>

#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string k_dir = "/tmp/mha-it-netns";

struct NetnsSandbox {
  std::map<std::string, std::string> env;
  bool started = false;

  NetnsSandbox() {
    auto r = run(sandbox_script() + " start --mode netns --dir " + k_dir);
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    started = true;
    auto e = run(sandbox_script() + " env --dir " + k_dir);
    std::istringstream in(e.out);
    std::string line;
    while (std::getline(in, line)) {
      // export NAME='value'
      auto eq = line.find('=');
      if (line.rfind("export ", 0) != 0 || eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '\'') value = value.substr(1, value.size() - 2);
      env[line.substr(7, eq - 7)] = value;
    }
    REQUIRE(run(sandbox_script() + " gen-config " + k_dir + "/mhad --ping-interval 1s --dir " + k_dir).exit_code == 0);
  }
  ~NetnsSandbox() {
    if (started) run(sandbox_script() + " stop --purge --dir " + k_dir);
  }
  std::string ns(int host) const {
    std::istringstream in(env.at("MHA_SANDBOX_NETNS"));
    std::string name;
    for (int i = 0; i <= host; ++i) in >> name;
    return name;
  }
};

std::string verdict_of(const json& status) {
  if (!status.is_object()) return "";
  return status["clusters"][0]["detection"]["verdict"];
}

}  // namespace

TEST_CASE("master's SQL port blocked for mhad only: unreachable_from_manager, never dead", "[integration][netns]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_dir + "/mhad");
  REQUIRE(mhad.start());
  REQUIRE(wait_until(20s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));

  // The VIP on the master's host is seen over SSH.
  std::string vip = sandbox.env.at("MHA_SANDBOX_VIP");
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip addr add " + vip + " dev eth0").exit_code == 0);
  json vip_status;
  CHECK(wait_until(15s, [&] {
    vip_status = mhad.status()["clusters"][0]["vip"];
    return vip_status["state"] == "held";
  }));
  INFO(vip_status.dump());
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
