#include "integration/netns_support.h"

#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

namespace mha::it {

using namespace std::chrono_literals;
using nlohmann::json;

NetnsSandbox::NetnsSandbox() {
  auto r = run(sandbox_script() + " start --mode netns --dir " + k_netns_dir);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  started = true;
  auto e = run(sandbox_script() + " env --dir " + k_netns_dir);
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
  REQUIRE(run(sandbox_script() + " gen-config " + k_netns_dir + "/mhad --ping-interval 1s --dir " + k_netns_dir)
              .exit_code == 0);
}

NetnsSandbox::~NetnsSandbox() {
  if (started) run(sandbox_script() + " stop --purge --dir " + k_netns_dir);
}

std::string NetnsSandbox::ns(int host) const {
  std::istringstream in(env.at("MHA_SANDBOX_NETNS"));
  std::string name;
  for (int i = 0; i <= host; ++i) in >> name;
  return name;
}

std::string NetnsSandbox::vip() const {
  const std::string& v = env.at("MHA_SANDBOX_VIP");
  return v.substr(0, v.find('/'));
}

std::string sql(int host, const std::string& statement) {
  auto r = run(sandbox_script() + " sql " + std::to_string(host) + " \"" + statement + "\" --dir " + k_netns_dir);
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

std::set<int> ids_on_netns(int host) {
  std::set<int> ids;
  std::istringstream in(sql(host, "SELECT id FROM mha_test.acked"));
  int id;
  while (in >> id) ids.insert(id);
  return ids;
}

bool holds_vip(const NetnsSandbox& sandbox, int host) {
  std::string vip = sandbox.env.at("MHA_SANDBOX_VIP");
  auto r = run("ip netns exec " + sandbox.ns(host) + " ip -o addr show dev eth0");
  return r.out.find(vip.substr(0, vip.find('/')) + "/") != std::string::npos;
}

// Starts mhad on the netns sandbox with the VIP on the master, waits until
// status sees it there and the master's SSH session is open.
void start_with_vip(Mhad& mhad, const NetnsSandbox& sandbox,
                    const std::vector<std::pair<std::string, std::string>>& env) {
  REQUIRE(mhad.start(env));
  REQUIRE(wait_until(20s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  std::string vip = sandbox.env.at("MHA_SANDBOX_VIP");
  REQUIRE(run("ip netns exec " + sandbox.ns(0) + " ip addr add " + vip + " dev eth0").exit_code == 0);
  REQUIRE(wait_until(15s, [&] { return mhad.status()["clusters"][0]["vip"]["holder"] == "master"; }));
  std::this_thread::sleep_for(2s);
}

std::vector<int> missing_from(const std::set<int>& acked, const std::set<int>& present) {
  std::vector<int> missing;
  for (int id : acked)
    if (!present.count(id)) missing.push_back(id);
  return missing;
}

std::string verdict_of(const json& status) {
  if (!status.is_object()) return "";
  return status["clusters"][0]["detection"]["verdict"];
}

}  // namespace mha::it
