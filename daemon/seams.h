// Factories for the seams to the outside world (DESIGN.md "The seams"):
// main.cpp fills them with the real classes, unit tests with fakes. Monitor,
// checks and operations take these and never include each other for them.
#pragma once

#include "daemon/remote_shell.h"
#include "daemon/sql_session.h"
#include "daemon/tcp_probe.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mha {

struct Seams {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  std::function<std::unique_ptr<RemoteShell>(const SshEndpoint&)> make_shell;
  std::function<TcpState(const std::string&, std::uint16_t, std::chrono::milliseconds)> tcp_probe = mha::tcp_probe;
};

}  // namespace mha
