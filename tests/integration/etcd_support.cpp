#include "integration/etcd_support.h"

#include <catch2/catch.hpp>

#include <fstream>

namespace mha::it {

EtcdSandbox::EtcdSandbox() {
  auto started = run(sandbox_script() + " etcd-start");
  INFO(started.out);
  REQUIRE(started.exit_code == 0);
  const auto at = started.out.find("MHA_SANDBOX_ETCD_ENDPOINTS=");
  REQUIRE(at != std::string::npos);
  endpoints = started.out.substr(at + 27, started.out.find('\n', at) - at - 27);
}

EtcdSandbox::~EtcdSandbox() {
  run(sandbox_script() + " etcd-stop");
  run("rm -rf -- '" + sandbox_dir() + "/etcd'");
}

std::string etcd_config_dir(const std::string& name, const EtcdSandbox& etcd) {
  const std::string dir = sandbox_dir() + "/etcd-" + name;
  run("rm -rf -- '" + dir + "'");
  auto generated = run(sandbox_script() + " gen-config " + dir + " --ping-interval 2s");
  INFO(generated.out);
  REQUIRE(generated.exit_code == 0);
  std::string urls;
  for (std::size_t from = 0; from <= etcd.endpoints.size();) {
    auto comma = etcd.endpoints.find(',', from);
    if (comma == std::string::npos) comma = etcd.endpoints.size();
    urls += (urls.empty() ? "\"" : ", \"") + etcd.endpoints.substr(from, comma - from) + "\"";
    from = comma + 1;
  }
  // mhad.toml holds only [daemon]: appended lines land in it.
  std::ofstream(dir + "/mhad.toml", std::ios::app)
      << "coordination = \"etcd\"\netcd_endpoints = [" << urls << "]\ninstance_name = \"" << name << "\"\n";
  return dir;
}

nlohmann::json coordination_of(const Mhad& mhad) {
  auto s = mhad.status();
  if (!s.is_object() || !s["clusters"].is_array() || s["clusters"].empty()) return nullptr;
  return s["clusters"][0].value("coordination", nlohmann::json());
}

std::string single_active(const std::vector<Mhad*>& instances) {
  std::string active;
  int count = 0;
  for (const Mhad* m : instances) {
    auto c = coordination_of(*m);
    if (c.is_object() && c.value("role", "") == "active") {
      ++count;
      active = c.value("this_instance", "");
    }
  }
  return count == 1 ? active : "";
}

}  // namespace mha::it
