// What the etcd integration tests share: the sandbox's 3-member etcd
// (sandbox.sh etcd-start), started per test and stopped with its data
// removed when the test ends, pass or fail (no leader key or operation
// state leaks into the next test), and mhad configs for several instances
// of one sandbox, each with its own instance_name, socket and state dir.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "integration/harness.h"

namespace mha::it {

struct EtcdSandbox {
  // options: "" or etcd-start's "--tls --auth" (https with client
  // certificates required, etcd authentication on).
  explicit EtcdSandbox(const std::string& options = "");
  ~EtcdSandbox();
  std::string endpoints;  // "http://127.0.0.1:23791,..."
  // With --tls / --auth (else ""): what mhad's etcd_* keys take.
  std::string ca, cert, key, user, password_file;
};

// sandbox_dir()/etcd-NAME: the sandbox config with ping_interval 2s and
// [daemon] coordination = "etcd" as instance NAME.
std::string etcd_config_dir(const std::string& name, const EtcdSandbox& etcd);

// status.clusters[0].coordination, or null.
nlohmann::json coordination_of(const Mhad& mhad);
// The instance that says it is active, or "" unless exactly one does.
std::string single_active(const std::vector<Mhad*>& instances);

}  // namespace mha::it
