// The SSH seam: run a command on a host and get its exit status and output.
// The real implementation is LibsshShell (libssh); unit tests use a fake.
// Blocking: call it from a worker, never from the event loop.
#pragma once

#include "common/result.h"

#include <chrono>
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

class RemoteShell {
 public:
  virtual ~RemoteShell() = default;
  // Connects if needed (the session is kept open and reused: a fresh login
  // costs ~370 ms, a command on an open session a few ms).
  virtual Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) = 0;
  virtual void close() = 0;
};

}  // namespace mha
