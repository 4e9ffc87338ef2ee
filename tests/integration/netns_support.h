// What the netns integration tests share: a netns sandbox (one network
// namespace per host, a bridge with no uplink) started by the test itself and
// stopped again even when the test fails, SQL on its hosts, the VIP's holder.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "integration/harness.h"

namespace mha::it {

inline const std::string k_netns_dir = "/tmp/mha-it-netns";

struct NetnsSandbox {
  std::map<std::string, std::string> env;
  bool started = false;

  NetnsSandbox();
  ~NetnsSandbox();
  std::string ns(int host) const;
  // The VIP's address without the prefix length.
  std::string vip() const;
};

// SQL as root on netns host i; REQUIREs success.
std::string sql(int host, const std::string& statement);
std::set<int> ids_on_netns(int host);
bool holds_vip(const NetnsSandbox& sandbox, int host);
// Starts mhad on the netns sandbox with the VIP on the master, waits until
// status sees it there and the master's SSH session is open.
void start_with_vip(Mhad& mhad, const NetnsSandbox& sandbox,
                    const std::vector<std::pair<std::string, std::string>>& env = {});
std::vector<int> missing_from(const std::set<int>& acked, const std::set<int>& present);
std::string verdict_of(const nlohmann::json& status);

}  // namespace mha::it
