#include "daemon/libssh_shell.h"

#include <libssh/libssh.h>

#include "daemon/host_key_policy.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <chrono>
#include <memory>

namespace mha {

LibsshShell::LibsshShell(SshEndpoint endpoint) : m_endpoint(std::move(endpoint)) {
  // Per shell object: a command's output can never end a later command's wait.
  std::random_device random;
  m_nonce = fmt::format("{:08x}{:08x}", random(), random());
}

LibsshShell::~LibsshShell() { close(); }

void LibsshShell::close() {
  std::lock_guard lock(m_mutex);
  close_locked();
}

void LibsshShell::close_locked() {
  close_shell();
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

// One shell per host, kept open on one channel: a command on it costs a
// write and a read (a few ms), where a channel per command paid sshd's
// session start each time (150-280 ms measured, issue 9). Each command is
// written as `( COMMAND\n) </dev/null` followed by two end markers, one on
// stdout carrying $?, one on stderr; the parentheses keep `cd`, variables
// and `exit` inside the command, and mean a command that reached the host
// only in part is a syntax error at EOF, never run.
namespace {
constexpr std::string_view k_marker = "MHAD-END-";
}  // namespace

Result<void> LibsshShell::open_shell(std::chrono::milliseconds bound) {
  set_timeout(m_session, bound);
  ssh_channel channel = ssh_channel_new(m_session);
  if (channel == nullptr) return make_error(Errc::network, "ssh {}: cannot open a channel", m_endpoint.host);
  if (ssh_channel_open_session(channel) != SSH_OK) {
    ssh_channel_free(channel);
    return make_error(Errc::timeout, "ssh {}: the kept session does not answer (no channel within {} ms)",
                      m_endpoint.host, bound.count());
  }
  // The user's login shell, as an exec request would have used, reading
  // commands from the channel.
  if (ssh_channel_request_exec(channel, "exec \"${SHELL:-/bin/sh}\"") != SSH_OK) {
    ssh_channel_free(channel);
    return make_error(Errc::network, "ssh {}: exec request refused", m_endpoint.host);
  }
  m_shell = channel;
  ++m_generation;
  return {};
}

void LibsshShell::close_shell() {
  if (m_shell != nullptr) {
    ssh_channel_close(m_shell);
    ssh_channel_free(m_shell);
    m_shell = nullptr;
  }
}

Result<CommandResult> LibsshShell::run(std::string_view command, std::chrono::milliseconds timeout) {
  return run_large(command, timeout, k_max_command_output);
}

Result<CommandResult> LibsshShell::run_large(std::string_view command, std::chrono::milliseconds timeout,
                                             std::size_t max_output) {
  std::lock_guard lock(m_mutex);
  return run_locked(command, timeout, max_output);
}

// Past max_output (stdout + stderr) the shell is closed and the command
// reported failed: whoever answers on a host's address cannot make mhad
// buffer without bound.
Result<CommandResult> LibsshShell::run_locked(std::string_view command, std::chrono::milliseconds timeout,
                                              std::size_t max_output) {
  // A kept session or shell may have been closed by the other end (sshd
  // restarted, idle timeout) since the last command: that fails at once,
  // before anything of this command is sent, and is worth one fresh login.
  // One that hangs (the host vanished, no FIN) is not: the channel open is
  // bounded by the command's timeout, and no second wait follows. Once the
  // command is written, it is never written again, whatever happens.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  const auto left = [&] {
    return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()),
                    std::chrono::milliseconds(1));
  };
  const std::uint64_t sequence = ++m_sequence;
  const std::string end_out = fmt::format("\n{}{}-{} ", k_marker, m_nonce, sequence);
  const std::string end_err = fmt::format("\n{}{}-{}\n", k_marker, m_nonce, sequence);
  const std::string framed =
      fmt::format("( {}\n) </dev/null; printf '\\n{}{}-{} %d\\n' $?; printf '\\n{}{}-{}\\n' >&2\n", command,
                  k_marker, m_nonce, sequence, k_marker, m_nonce, sequence);
  bool written = false;
  for (int attempt = 0; attempt < 2 && !written; ++attempt) {
    const bool fresh = m_session == nullptr;
    if (fresh)
      if (auto r = connect(left()); !r) return r.error();
    // A shell that ended since the last command (killed, sshd restarted)
    // is seen only once libssh reads what came in: look without waiting.
    if (m_shell != nullptr) {
      if (ssh_channel_poll(m_shell, 0) == SSH_ERROR) {
        close_locked();
        if (fresh) return make_error(Errc::network, "ssh {}: session lost", m_endpoint.host);
        continue;  // nothing of this command was sent: one fresh login
      }
    }
    if (m_shell == nullptr || ssh_channel_is_eof(m_shell) || !ssh_channel_is_open(m_shell)) {
      close_shell();
      const auto bound = std::min(left(), m_endpoint.connect_timeout);
      if (auto r = open_shell(bound); !r) {
        close_locked();
        // Failed at once on a kept session: one fresh login. Hung until the
        // bound: no second wait.
        if (fresh || left() < timeout / 2) return r.error();
        continue;
      }
    }
    set_timeout(m_session, std::min(left(), m_endpoint.connect_timeout));
    if (ssh_channel_write(m_shell, framed.data(), static_cast<std::uint32_t>(framed.size())) !=
        static_cast<int>(framed.size())) {
      // The shell was gone before the command could be sent (a partial
      // write is a syntax error at EOF on the host, not a run command).
      close_locked();
      if (fresh) return make_error(Errc::network, "ssh {}: cannot send the command", m_endpoint.host);
      continue;
    }
    written = true;
  }
  if (!written) return make_error(Errc::network, "ssh {}: session lost", m_endpoint.host);

  CommandResult result;
  std::string out, err;
  std::size_t out_end = std::string::npos, err_end = std::string::npos;
  std::size_t out_scanned = 0, err_scanned = 0;
  char buffer[16384];
  auto fail = [&](Errc code, std::string message) -> Result<CommandResult> {
    close_locked();  // the shell's state is unknown now: the next command gets a new one
    return Error{code, std::move(message)};
  };
  while (out_end == std::string::npos || err_end == std::string::npos) {
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0)
      return fail(Errc::timeout,
                  fmt::format("ssh {}: command did not finish within {} ms", m_endpoint.host, timeout.count()));
    // Wait on the stream whose end marker is still to come: stdout's comes
    // first, then stderr's. Waiting on stdout once its marker is in would
    // sleep the whole 200 ms slice, since stderr's data does not end a
    // wait on stdout: that made one SSH command in two take 200 ms more.
    const int wait_on = out_end == std::string::npos ? 0 : 1;
    const int slice = static_cast<int>(std::min<long>(remaining.count(), 200));
    int n = 0;
    int e = 0;
    if (wait_on == 0) {
      n = ssh_channel_read_timeout(m_shell, buffer, sizeof buffer, 0, slice);
      if (n > 0) out.append(buffer, static_cast<std::size_t>(n));
    } else {
      e = ssh_channel_read_timeout(m_shell, buffer, sizeof buffer, 1, slice);
      if (e > 0) err.append(buffer, static_cast<std::size_t>(e));
    }
    // Then whatever else already came in, on both streams, without waiting.
    // Bounded by max_output like the waits: a host that streams cannot keep
    // mhad in here.
    const std::size_t bound = max_output + end_out.size() + end_err.size() + 16;
    auto drain = [&](int stream, std::string& into) {
      int r = 0;
      while (out.size() + err.size() <= bound &&
             (r = ssh_channel_read_nonblocking(m_shell, buffer, sizeof buffer, stream)) > 0)
        into.append(buffer, static_cast<std::size_t>(r));
      return r;
    };
    if (n != SSH_ERROR && drain(0, out) == SSH_ERROR) n = SSH_ERROR;
    if (e != SSH_ERROR && drain(1, err) == SSH_ERROR) e = SSH_ERROR;
    // The end markers themselves are not the command's output.
    if (out.size() + err.size() > bound)
      return fail(Errc::io, fmt::format("ssh {}: the command sent more than {} bytes of output; stopped reading",
                                        m_endpoint.host, max_output));
    // Only the new bytes (and a marker's length before them) are searched:
    // a salvage streams up to its max_output_bytes, and searching all of
    // it after every read would be quadratic.
    auto find_from = [](const std::string& text, const std::string& marker, std::size_t* scanned) {
      const std::size_t from = *scanned > marker.size() ? *scanned - marker.size() : 0;
      *scanned = text.size();
      return text.find(marker, from);
    };
    if (out_end == std::string::npos) out_end = find_from(out, end_out, &out_scanned);
    if (err_end == std::string::npos) err_end = find_from(err, end_err, &err_scanned);
    if (n == SSH_ERROR || e == SSH_ERROR ||
        ((out_end == std::string::npos || err_end == std::string::npos) && ssh_channel_is_eof(m_shell)))
      return fail(Errc::network,
                  fmt::format("ssh {}: the shell ended while the command ran (not run again)", m_endpoint.host));
  }
  const std::size_t status_at = out_end + end_out.size();
  const std::size_t status_end = out.find('\n', status_at);
  if (status_end == std::string::npos) {
    // The status line is still arriving: read it to its newline.
    while (out.find('\n', status_at) == std::string::npos) {
      int n = ssh_channel_read_timeout(m_shell, buffer, sizeof buffer, 0, 200);
      if (n <= 0) return fail(Errc::network, fmt::format("ssh {}: the command's status was cut off", m_endpoint.host));
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  result.exit_status = std::atoi(out.c_str() + status_at);
  result.out = out.substr(0, out_end);
  result.err = err.substr(0, err_end);
  return result;
}

}  // namespace mha
