#include "daemon/host_key_policy.h"

#include <fmt/format.h>

namespace mha {

HostKeyDecision decide_host_key(std::string_view mode, KnownHostState state, std::string_view host, unsigned port,
                                std::string_view known_hosts_file, std::string_view presented_key) {
  const std::string key = presented_key.empty() ? "" : fmt::format(" (it shows {})", presented_key);
  const std::string file = known_hosts_file.empty() ? "~/.ssh/known_hosts" : std::string(known_hosts_file);
  const std::string scan =
      fmt::format("ssh-keyscan{} {} >> {}", port == 22 ? "" : fmt::format(" -p {}", port), host, file);
  if (mode == "no") return {true, false, ""};
  switch (state) {
    case KnownHostState::ok: return {true, false, ""};
    case KnownHostState::changed:
    case KnownHostState::other_type:
      return {false, false,
              fmt::format("the host key of {}:{}{} is not the one in {} ({}): another machine may answer on its "
                          "address. If the host was reinstalled, check its key and replace it: ssh-keygen -R '{}' "
                          "-f {}; then {}",
                          host, port, key, file, state == KnownHostState::changed ? "it changed" : "another key type",
                          port == 22 ? std::string(host) : fmt::format("[{}]:{}", host, port), file, scan)};
    case KnownHostState::unknown:
    case KnownHostState::no_file:
      if (mode == "accept-new") return {true, true, ""};
      return {false, false,
              fmt::format("{}:{}{} is not in {} and ssh_host_key_checking = \"yes\": add its key after checking it "
                          "({}), or set ssh_host_key_checking = \"accept-new\" to record it on first contact",
                          host, port, key, file, scan)};
    case KnownHostState::error: break;
  }
  return {false, false, fmt::format("cannot read {} to check the host key of {}:{}", file, host, port)};
}

}  // namespace mha
