// Is the operation done from the clients' side? Connects through the VIP, as
// an application would, and checks by server_id that it lands on the new
// master. ARP caches may point at the old host for a moment, hence retries
// within a bound. Blocking (operation threads).
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "daemon/operations/operation_clock.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mha {

struct VipCheckSettings {
  std::chrono::milliseconds timeout{3000};
  std::chrono::milliseconds retry{200};
};

// The VIP's address without the prefix length ("10.0.0.100/24" -> "10.0.0.100"),
// or "" when no [vip] address is configured.
std::string vip_host(const ClusterConfig& cluster);

// Ok: one line for the report. Error: why the VIP does not lead to
// `new_master` (the last connection's error or the server_id it reached).
Result<std::string> verify_vip(const ClusterConfig& cluster, const ServerConfig& new_master,
                               std::uint32_t expected_server_id,
                               const std::function<std::unique_ptr<SqlSession>()>& make_sql,
                               const VipCheckSettings& settings, OperationClock& clock);

}  // namespace mha
