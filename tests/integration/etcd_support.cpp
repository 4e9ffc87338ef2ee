#include "integration/etcd_support.h"

#include <catch2/catch.hpp>

#include <fstream>

namespace mha::it {

namespace {

// The value of `export NAME=VALUE` (quotes removed) in etcd-start's output, or "".
std::string exported(const std::string& out, const std::string& name) {
  const std::string tag = "export " + name + "=";
  const auto at = out.find(tag);
  if (at == std::string::npos) return "";
  std::string value = out.substr(at + tag.size(), out.find('\n', at) - at - tag.size());
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
  return value;
}

}  // namespace

EtcdSandbox::EtcdSandbox(const std::string& options) {
  auto started = run(sandbox_script() + " etcd-start " + options);
  INFO(started.out);
  REQUIRE(started.exit_code == 0);
  endpoints = exported(started.out, "MHA_SANDBOX_ETCD_ENDPOINTS");
  REQUIRE_FALSE(endpoints.empty());
  ca = exported(started.out, "MHA_SANDBOX_ETCD_CA");
  cert = exported(started.out, "MHA_SANDBOX_ETCD_CERT");
  key = exported(started.out, "MHA_SANDBOX_ETCD_KEY");
  user = exported(started.out, "MHA_SANDBOX_ETCD_USER");
  password_file = exported(started.out, "MHA_SANDBOX_ETCD_PASSWORD_FILE");
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
  std::ofstream toml(dir + "/mhad.toml", std::ios::app);
  toml << "coordination = \"etcd\"\netcd_endpoints = [" << urls << "]\ninstance_name = \"" << name << "\"\n";
  for (const auto& [k, v] : {std::pair<const char*, const std::string&>{"etcd_ca", etcd.ca}, {"etcd_cert", etcd.cert},
                             {"etcd_key", etcd.key}, {"etcd_user", etcd.user},
                             {"etcd_password_file", etcd.password_file}})
    if (!v.empty()) toml << k << " = \"" << v << "\"\n";
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
