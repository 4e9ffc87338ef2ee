#include "daemon/detection/replica_host_probe.h"

#include "common/text.h"

#include <fmt/format.h>

namespace mha {

namespace {
constexpr std::string_view k_marker = "mhad-tcp ";
}

std::string replica_host_probe_command(std::string_view address, std::uint16_t port,
                                       std::chrono::milliseconds timeout) {
  // $0/$1 inside the single-quoted script are bash's positional words: the
  // values never become shell text. timeout(1) takes fractions of seconds.
  return fmt::format("timeout {:.3f} bash -c 'exec 3<>\"/dev/tcp/$0/$1\"' {} {} 2>&1; echo \"{}$?\"",
                     static_cast<double>(timeout.count()) / 1000.0, shell_quote(address),
                     shell_quote(std::to_string(port)), k_marker);
}

TcpState parse_replica_host_probe(const CommandResult& result) {
  const std::string& out = result.out;
  auto at = out.rfind(k_marker);
  if (at == std::string::npos) return TcpState::unknown;
  int code = std::atoi(out.c_str() + at + k_marker.size());
  const std::string text = out.substr(0, at) + result.err;
  if (code == 0) return TcpState::accepts;
  if (code == 124) return TcpState::timeout;  // timeout(1): the connect did not finish
  if (text.find("refused") != std::string::npos) return TcpState::refused;
  if (text.find("No route") != std::string::npos || text.find("unreachable") != std::string::npos)
    return TcpState::unreachable;
  if (text.find("timed out") != std::string::npos) return TcpState::timeout;
  return TcpState::unknown;  // 127: no bash/timeout; anything else proves nothing
}

TcpState probe_from_host(RemoteShell& shell, const std::string& address, std::uint16_t port,
                         std::chrono::milliseconds timeout) {
  // The SSH round trip on a kept session costs milliseconds; allow it one
  // second on top of the connect's own timeout.
  auto result = shell.run(replica_host_probe_command(address, port, timeout), timeout + std::chrono::seconds(1));
  if (!result) return TcpState::unknown;  // the replica's host says nothing: no opinion
  return parse_replica_host_probe(*result);
}

}  // namespace mha
