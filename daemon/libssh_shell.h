// RemoteShell over libssh: one kept-open session per host, public-key login,
// and on it one kept-open shell that runs the commands one after another.
#pragma once

#include "daemon/remote_shell.h"

#include <cstdint>
#include <mutex>
#include <string>

struct ssh_session_struct;
struct ssh_channel_struct;

namespace mha {

class LibsshShell final : public RemoteShell {
 public:
  explicit LibsshShell(SshEndpoint endpoint);
  ~LibsshShell() override;

  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) override;
  Result<CommandResult> run_large(std::string_view command, std::chrono::milliseconds timeout,
                                  std::size_t max_output) override;
  void close() override;
  // Shells opened on this object so far (a new one after each failure).
  std::uint64_t shells_opened() const { return m_generation; }

 private:
  Result<void> connect(std::chrono::milliseconds bound);
  Result<void> open_shell(std::chrono::milliseconds bound);
  void close_shell();

  Result<CommandResult> run_locked(std::string_view command, std::chrono::milliseconds timeout,
                                   std::size_t max_output);
  void close_locked();

  // One command at a time: commands share one shell channel, and libssh's
  // session is not for two threads at once.
  std::mutex m_mutex;
  SshEndpoint m_endpoint;
  ssh_session_struct* m_session = nullptr;
  ssh_channel_struct* m_shell = nullptr;
  std::string m_nonce;
  std::uint64_t m_sequence = 0;
  std::uint64_t m_generation = 0;  // shells opened so far
};

}  // namespace mha
