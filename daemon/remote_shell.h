// The SSH seam: run a command on a host and get its exit status and output.
// The real implementation is LibsshShell (libssh); unit tests use a fake.
// Blocking: call it from a worker, never from the event loop.
#pragma once

#include "common/result.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mha {

struct SshEndpoint {
  std::string host;
  std::uint16_t port = 22;
  std::string user = "root";
  std::string key_file;  // empty: the user's default identities (~/.ssh/id_*)
  std::chrono::milliseconds connect_timeout{5000};
  // The host's key is checked against these before anything is sent
  // (OpenSSH's StrictHostKeyChecking words; see HostKeyChecking).
  std::string known_hosts;          // "" = ~/.ssh/known_hosts, then /etc/ssh/ssh_known_hosts
  std::string host_key_checking = "yes";  // yes | accept-new | no
};

struct CommandResult {
  int exit_status = -1;
  std::string out;
  std::string err;
};

// What a command may send back (stdout + stderr) before it is failed: a
// host (or whoever answers on its address) must not be able to make mhad
// buffer without bound. Every command but the binlog salvage prints a few
// lines; 16 MiB is far above any of them.
inline constexpr std::size_t k_max_command_output = std::size_t{16} << 20;

// Calls may come from two threads at once (a look of the monitor still
// running on a shell it lent to the failover): implementations run them one
// at a time.
class RemoteShell {
 public:
  virtual ~RemoteShell() = default;
  // Connects if needed (the session is kept open and reused: a fresh login
  // costs ~370 ms, a command on an open session a few ms). More output than
  // k_max_command_output fails the command (Errc::io, naming host and cap).
  virtual Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) = 0;
  // The same with another cap, for the one command whose output is data
  // (the binlog salvage, bounded by its own max_output_bytes). Fakes that
  // never send much may keep this default, which ignores the cap.
  virtual Result<CommandResult> run_large(std::string_view command, std::chrono::milliseconds timeout,
                                          std::size_t max_output) {
    (void)max_output;
    return run(command, timeout);
  }
  virtual void close() = 0;
};

}  // namespace mha
