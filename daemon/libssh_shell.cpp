#include "daemon/libssh_shell.h"

#include <libssh/libssh.h>

#include "daemon/host_key_policy.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace mha {

LibsshShell::LibsshShell(SshEndpoint endpoint) : m_endpoint(std::move(endpoint)) {}

LibsshShell::~LibsshShell() { close(); }

void LibsshShell::close() {
  if (m_session != nullptr) {
    ssh_disconnect(m_session);
    ssh_free(m_session);
    m_session = nullptr;
  }
}

namespace {
// libssh's timeout options in seconds plus microseconds: sub-second bounds.
void set_timeout(ssh_session session, std::chrono::milliseconds bound) {
  long seconds = static_cast<long>(bound.count() / 1000);
  long micros = static_cast<long>((bound.count() % 1000) * 1000);
  if (seconds == 0 && micros == 0) micros = 1000;
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT_USEC, &micros);
}
// The key the server showed, as OpenSSH prints it: "ssh-ed25519 SHA256:...";
// "" if libssh cannot tell.
std::string presented_key(ssh_session session) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK || key == nullptr) return "";
  std::unique_ptr<ssh_key_struct, decltype(&ssh_key_free)> owned(key, &ssh_key_free);
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != 0) return "";
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  ssh_clean_pubkey_hash(&hash);
  if (text == nullptr) return "";
  std::string out = fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), text);
  ssh_string_free_char(text);
  return out;
}

}  // namespace

Result<void> LibsshShell::connect(std::chrono::milliseconds bound) {
  ssh_session session = ssh_new();
  if (session == nullptr) return make_error(Errc::internal, "ssh_new failed");
  auto fail = [&](Errc code, std::string_view doing) {
    Error error{code, fmt::format("ssh {}@{}:{}: {}: {}", m_endpoint.user, m_endpoint.host,
                                  m_endpoint.port, doing, ssh_get_error(session))};
    ssh_disconnect(session);
    ssh_free(session);
    return error;
  };
  unsigned int port = m_endpoint.port;
  int no = 0;
  ssh_options_set(session, SSH_OPTIONS_HOST, m_endpoint.host.c_str());
  ssh_options_set(session, SSH_OPTIONS_PORT, &port);
  ssh_options_set(session, SSH_OPTIONS_USER, m_endpoint.user.c_str());
  set_timeout(session, std::min(bound, m_endpoint.connect_timeout));
  // Don't read ~/.ssh/config: the cluster config is the one source of truth.
  ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &no);
  if (!m_endpoint.known_hosts.empty()) ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, m_endpoint.known_hosts.c_str());
  if (ssh_connect(session) != SSH_OK) {
    std::string text = ssh_get_error(session);
    Errc code = text.find("refused") != std::string::npos   ? Errc::refused
                : text.find("imed out") != std::string::npos ? Errc::timeout
                                                             : Errc::network;
    return fail(code, "connect");
  }
  // The host must be who known_hosts says before anything is sent to it
  // (daemon/host_key_policy.h). Never a prompt: a failover must not stall.
  KnownHostState state = KnownHostState::error;
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK: state = KnownHostState::ok; break;
    case SSH_KNOWN_HOSTS_CHANGED: state = KnownHostState::changed; break;
    case SSH_KNOWN_HOSTS_OTHER: state = KnownHostState::other_type; break;
    case SSH_KNOWN_HOSTS_UNKNOWN: state = KnownHostState::unknown; break;
    case SSH_KNOWN_HOSTS_NOT_FOUND: state = KnownHostState::no_file; break;
    case SSH_KNOWN_HOSTS_ERROR: state = KnownHostState::error; break;
  }
  HostKeyDecision decision = decide_host_key(m_endpoint.host_key_checking, state, m_endpoint.host, m_endpoint.port,
                                             m_endpoint.known_hosts, presented_key(session));
  if (!decision.accept) {
    Error error = make_error(Errc::auth, "ssh {}@{}:{}: {}", m_endpoint.user, m_endpoint.host, m_endpoint.port,
                             decision.why);
    ssh_disconnect(session);
    ssh_free(session);
    return error;
  }
  if (decision.add && ssh_session_update_known_hosts(session) != SSH_OK)
    return fail(Errc::io, "recording the host key (ssh_host_key_checking = \"accept-new\")");
  int rc = SSH_AUTH_DENIED;
  if (!m_endpoint.key_file.empty()) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(m_endpoint.key_file.c_str(), nullptr, nullptr, nullptr, &key) !=
        SSH_OK) {
      Error error = make_error(Errc::config, "ssh: cannot read private key '{}'", m_endpoint.key_file);
      ssh_disconnect(session);
      ssh_free(session);
      return error;
    }
    rc = ssh_userauth_publickey(session, nullptr, key);
    ssh_key_free(key);
  } else {
    rc = ssh_userauth_publickey_auto(session, nullptr, nullptr);
  }
  if (rc != SSH_AUTH_SUCCESS) return fail(Errc::auth, "public key authentication");
  m_session = session;
  return {};
}

Result<CommandResult> LibsshShell::run(std::string_view command, std::chrono::milliseconds timeout) {
  return run_large(command, timeout, k_max_command_output);
}

Result<CommandResult> LibsshShell::run_large(std::string_view command, std::chrono::milliseconds timeout,
                                             std::size_t max_output) {
  // One retry with a fresh login: a kept session may have been closed by the
  // other end (sshd restarted, idle timeout) since the last command.
  // A closed session fails at once and is worth one fresh login; one that
  // hangs (the host vanished, no FIN) is not: the kept session's channel
  // open is bounded by the command's timeout, and no second wait follows.
  const auto started = std::chrono::steady_clock::now();
  const auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(timeout -
                                                                 (std::chrono::steady_clock::now() - started));
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool fresh = m_session == nullptr;
    // The whole call, a fresh login included, stays within `timeout`.
    if (fresh)
      if (auto r = connect(std::max(left(), std::chrono::milliseconds(1))); !r) return r.error();
    // Blocking steps (channel open, exec) wait at most the connect timeout,
    // and never longer than the command has left; output is read with the
    // command's own deadline below.
    const auto blocking = std::max(std::min(left(), m_endpoint.connect_timeout), std::chrono::milliseconds(1));
    set_timeout(m_session, blocking);
    ssh_channel channel = ssh_channel_new(m_session);
    if (channel == nullptr || ssh_channel_open_session(channel) != SSH_OK) {
      if (channel != nullptr) ssh_channel_free(channel);
      close();
      if (fresh) return make_error(Errc::network, "ssh {}: cannot open a channel", m_endpoint.host);
      // A kept session closed by the other end fails at once: one fresh
      // login is worth it. One that hung until the bound (vanished host)
      // is not: no second wait.
      if (left() < timeout / 2)
        return make_error(Errc::timeout, "ssh {}: the kept session does not answer (no channel within {} ms)",
                          m_endpoint.host, blocking.count());
      continue;
    }
    std::string cmd(command);
    if (ssh_channel_request_exec(channel, cmd.c_str()) != SSH_OK) {
      ssh_channel_free(channel);
      close();
      if (fresh) return make_error(Errc::network, "ssh {}: exec request refused", m_endpoint.host);
      continue;
    }
    CommandResult result;
    auto deadline = started + timeout;
    char buffer[4096];
    bool timed_out = false;
    bool too_much = false;
    auto room = [&] { return result.out.size() + result.err.size() <= max_output; };
    while (!ssh_channel_is_eof(channel)) {
      if (!room()) {
        too_much = true;
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      int n = ssh_channel_read_timeout(channel, buffer, sizeof buffer, 0,
                                       static_cast<int>(std::min<long>(left.count(), 200)));
      if (n > 0) result.out.append(buffer, static_cast<std::size_t>(n));
      int e = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1);
      if (e > 0) result.err.append(buffer, static_cast<std::size_t>(e));
      if (n == SSH_ERROR || e == SSH_ERROR) break;
    }
    int e;
    while (!too_much && (e = ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1)) > 0) {
      result.err.append(buffer, static_cast<std::size_t>(e));
      too_much = !room();
    }
    too_much = too_much || !room();
    ssh_channel_send_eof(channel);
    result.exit_status = timed_out || too_much ? -1 : ssh_channel_get_exit_status(channel);
    ssh_channel_close(channel);
    ssh_channel_free(channel);
    if (too_much) {
      // The session may still hold data for the channel: a fresh login next time.
      close();
      return make_error(Errc::io, "ssh {}: the command sent more than {} bytes of output; stopped reading",
                        m_endpoint.host, max_output);
    }
    if (timed_out) {
      close();
      return make_error(Errc::timeout, "ssh {}: command did not finish within {} ms", m_endpoint.host,
                        timeout.count());
    }
    return result;
  }
  return make_error(Errc::network, "ssh {}: session lost", m_endpoint.host);
}

}  // namespace mha
