#include "daemon/seams.h"

namespace mha {

SshEndpoint ssh_endpoint_of(const ClusterConfig& cluster, const ServerConfig& server,
                            std::optional<std::chrono::milliseconds> connect_timeout) {
  SshEndpoint e;
  e.host = server.ssh_host.empty() ? server.host : server.ssh_host;
  e.port = server.ssh_port;
  e.user = server.ssh_user;
  e.key_file = server.ssh_key;
  e.connect_timeout = connect_timeout.value_or(server.ssh_connection_timeout);
  e.known_hosts = cluster.ssh_known_hosts;
  e.host_key_checking = std::string(host_key_checking_name(cluster.ssh_host_key_checking));
  return e;
}

}  // namespace mha
