#include "daemon/operations/vip_check.h"

#include "common/flavor.h"
#include "daemon/operations/server_sessions.h"

#include <fmt/format.h>

namespace mha {

std::string vip_host(const ClusterConfig& cluster) {
  if (!cluster.vip || cluster.vip->address.empty()) return "";
  return cluster.vip->address.substr(0, cluster.vip->address.find('/'));
}

Result<std::string> verify_vip(const ClusterConfig& cluster, const ServerConfig& new_master,
                               std::uint32_t expected_server_id,
                               const std::function<std::unique_ptr<SqlSession>()>& make_sql,
                               const VipCheckSettings& settings, OperationClock& clock) {
  const std::string vip = vip_host(cluster);
  if (vip.empty()) return make_error(Errc::config, "no [vip] address in the configuration");
  SqlEndpoint through_vip = endpoint_of(cluster, new_master, settings.timeout);
  through_vip.host = vip;
  through_vip.connect_timeout = settings.timeout;
  const auto deadline = clock.now() + settings.timeout;
  std::string last;
  for (;;) {
    auto sql = make_sql ? make_sql() : nullptr;
    if (!sql) return make_error(Errc::internal, "no SQL session available");
    if (auto c = sql->connect(through_vip); !c) {
      last = c.error().message;
    } else if (auto rows = sql->query(Flavor::server_id_sql()); !rows || rows->rows.empty()) {
      last = rows ? "no answer to SELECT @@server_id" : rows.error().message;
      sql->close();
    } else {
      const std::string id = rows->rows[0][0].value_or("");
      sql->close();
      if (id == std::to_string(expected_server_id))
        return fmt::format("{}: connected through the VIP {}: server_id {}, the new master.",
                           server_address(new_master), vip, id);
      last = fmt::format("it leads to server_id {}, not {} ('{}')", id, expected_server_id, new_master.name);
    }
    if (clock.now() >= deadline) break;
    clock.sleep_for(settings.retry);
  }
  return make_error(Errc::network, "a connection to {}:{} does not reach the new master '{}' within {}ms: {}", vip,
                    new_master.port, new_master.name, settings.timeout.count(), last);
}

}  // namespace mha
