#include "daemon/failover/fence_returning.h"

#include "common/flavor.h"
#include "daemon/failover/vip.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/operations/server_sessions.h"

#include <fmt/format.h>

namespace mha {

FenceResult fence_returning(const ClusterConfig& cluster, const ServerConfig& server, bool writes, bool vip,
                            const Seams& seams, const LeaseDeadline& lease) {
  FenceResult out;
  std::string errors;
  auto leased = [&](std::string_view step) {
    auto held = lease.budget(std::chrono::milliseconds(0), MonoClock::now(), step);
    if (!held) errors += fmt::format("{}{}", errors.empty() ? "" : "; ", held.error().message);
    return static_cast<bool>(held);
  };
  if (writes && leased("setting read_only on the returning old master")) {
    auto sql = seams.make_sql ? seams.make_sql() : nullptr;
    Result<void> done = make_error(Errc::internal, "no SQL session available");
    if (sql) {
      done = sql->connect(endpoint_of(cluster, server, cluster.read_timeout));
      Result<std::string> version = done ? Result<std::string>(std::string()) : Result<std::string>(done.error());
      if (done) {
        auto rows = sql->query(Flavor::version_sql());
        version = rows && rows->scalar() ? Result<std::string>(*rows->scalar())
                                         : Result<std::string>(rows ? make_error(Errc::parse, "no version") : rows.error());
      }
      if (version) {
        auto flavor = Flavor::from_version(*version);
        done = flavor ? make_read_only(*sql, *flavor) : Result<void>(flavor.error());
      } else {
        done = version.error();
      }
      sql->close();
    }
    out.read_only_set = static_cast<bool>(done);
    if (!done) errors += "setting read_only: " + done.error().message;
  }
  if (vip && cluster.vip && cluster.master_ip_failover_script.empty() && seams.make_shell &&
      leased("taking the VIP off the returning old master")) {
    auto shell = seams.make_shell(ssh_endpoint_of(cluster, server));
    auto removed = shell ? shell->run(ShellVip::release_command(*cluster.vip, server), ShellVip::release_timeout(server))
                         : Result<CommandResult>(make_error(Errc::internal, "no SSH session available"));
    out.vip_removed = removed && removed->exit_status == 0;
    if (!out.vip_removed)
      errors += fmt::format("{}removing the VIP: {}", errors.empty() ? "" : "; ",
                            removed ? removed->err : removed.error().message);
  }
  out.error = scrub_secrets(errors, cluster);
  return out;
}

}  // namespace mha
