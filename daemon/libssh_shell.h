// RemoteShell over libssh: one kept-open session per host, public-key login.
#pragma once

#include "daemon/remote_shell.h"

struct ssh_session_struct;

namespace mha {

class LibsshShell final : public RemoteShell {
 public:
  explicit LibsshShell(SshEndpoint endpoint);
  ~LibsshShell() override;

  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds timeout) override;
  Result<CommandResult> run_large(std::string_view command, std::chrono::milliseconds timeout,
                                  std::size_t max_output) override;
  void close() override;

 private:
  Result<void> connect(std::chrono::milliseconds bound);

  SshEndpoint m_endpoint;
  ssh_session_struct* m_session = nullptr;
};

}  // namespace mha
