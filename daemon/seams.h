// Factories for the seams to the outside world (DESIGN.md "The seams"):
// main.cpp fills them with the real classes, unit tests with fakes. Monitor,
// checks and operations take these and never include each other for them.
#pragma once

#include "common/config.h"
#include "daemon/remote_shell.h"
#include "daemon/sql_session.h"
#include "daemon/tcp_probe.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace mha {

struct Seams {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  std::function<std::unique_ptr<RemoteShell>(const SshEndpoint&)> make_shell;
  std::function<TcpState(const std::string&, std::uint16_t, std::chrono::milliseconds)> tcp_probe = mha::tcp_probe;
  // The suspect master's repeated probe (tcp_greeting_probe in mhad). Unset
  // (unit tests): tcp_probe is used.
  std::function<TcpState(const std::string&, std::uint16_t, std::chrono::milliseconds)> greeting_probe;
};

// How mhad logs in to `server`'s host: its ssh_host/port/user/key, the
// cluster's known_hosts and host key policy, and `connect_timeout`
// (server.ssh_connection_timeout unless a caller needs a shorter bound).
SshEndpoint ssh_endpoint_of(const ClusterConfig& cluster, const ServerConfig& server,
                            std::optional<std::chrono::milliseconds> connect_timeout = std::nullopt);

}  // namespace mha
