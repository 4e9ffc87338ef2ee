// Whether an SSH host key is trusted, by the cluster's ssh_host_key_checking
// (OpenSSH's StrictHostKeyChecking words) and what known_hosts says about
// it. Pure: LibsshShell asks libssh for the state and does what this says.
// A changed key is refused whatever the setting but "no": whoever answers on
// a database host's address (a machine that took over a dead master's IP)
// would otherwise be trusted with binlog events applied as SQL, the VIP and
// the failure detector's evidence.
#pragma once

#include <string>
#include <string_view>

namespace mha {

enum class KnownHostState {
  ok,          // the key is in known_hosts
  changed,     // known_hosts has another key of this type for the host
  other_type,  // known_hosts has a key of another type only
  unknown,     // the host is not in known_hosts
  no_file,     // no known_hosts file at all
  error,       // the file could not be read
};

struct HostKeyDecision {
  bool accept = false;
  bool add = false;   // accept-new: write the key to known_hosts
  std::string why;    // refusal: the problem and the fix
};

// mode: "yes", "accept-new" or "no"; host/port/file for the messages;
// presented_key, the key the host showed ("ssh-ed25519 SHA256:..."), named
// in a refusal so that the operator can compare it with the host's own.
HostKeyDecision decide_host_key(std::string_view mode, KnownHostState state, std::string_view host,
                                unsigned port, std::string_view known_hosts_file,
                                std::string_view presented_key = "");

}  // namespace mha
