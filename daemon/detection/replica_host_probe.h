// The replicas' hosts as witnesses: from each replica's host, over the SSH
// session mhad already keeps there, a bare TCP connect to the master's SQL
// port with a sub-second timeout (what MHA's masterha_secondary_check does,
// without a new SSH login each time). A replica's IO thread notices a
// vanished master only after slave_net_timeout; its host's kernel answers
// at once. "accepts" from any replica host means the master is alive for
// the network and only mhad is cut off from it: never a dead_host verdict.
// Command building and parsing are pure; probe_from_host() runs the command
// through the RemoteShell seam (worker thread only).
#pragma once

#include "daemon/remote_shell.h"
#include "daemon/tcp_probe.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mha {

// One shell command for the replica's host: bash's /dev/tcp under
// coreutils' timeout, then a marker line with the exit status. The address
// and port are quoted once (shell_quote), never pasted into quotes.
std::string replica_host_probe_command(std::string_view address, std::uint16_t port,
                                       std::chrono::milliseconds timeout);

// accepts (connected), refused, unreachable (no route), timeout, or unknown
// (no bash or timeout on the host, or output without the marker).
TcpState parse_replica_host_probe(const CommandResult& result);

TcpState probe_from_host(RemoteShell& shell, const std::string& address, std::uint16_t port,
                         std::chrono::milliseconds timeout);

}  // namespace mha
