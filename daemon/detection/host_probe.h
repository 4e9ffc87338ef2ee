// The SSH opinion on a suspect master: is its host reachable, does anything
// still listen on the SQL port, and in what state is that process (running,
// or stopped/frozen)? Command building and output parsing are pure; only
// probe_host() runs the command through the RemoteShell seam (worker thread).
#pragma once

#include "common/clock.h"
#include "daemon/remote_shell.h"

#include <optional>
#include <string>
#include <vector>

namespace mha {

struct ListenerProcess {
  int pid = 0;
  std::string state;  // ps STAT: "Ssl", "Tl" (stopped), "Dl" (uninterruptible) ...
};

struct HostOpinion {
  bool ssh_ok = false;
  std::string ssh_error;
  // Something listens on the server's address and port; nullopt when the
  // host could not tell (no SSH, no `ss`): never read that as "gone".
  std::optional<bool> listener_present;
  std::vector<ListenerProcess> processes;
  MonoTime at{};

  // SIGSTOP/ptrace: the process exists but cannot run.
  bool process_stopped() const;
};

// One shell command (no secrets) printing the listeners of `port` and the
// ps state of their processes.
std::string host_probe_command(std::uint16_t port);

// Parses that command's output for a server listening on `address`:`port`
// (a wildcard listener 0.0.0.0 / * / [::] counts too).
HostOpinion parse_host_probe(std::string_view output, std::string_view address, std::uint16_t port);

HostOpinion probe_host(RemoteShell& shell, const std::string& address, std::uint16_t port,
                       std::chrono::milliseconds timeout, MonoTime now);

}  // namespace mha
