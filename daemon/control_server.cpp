#include "daemon/control_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace mha {

using namespace std::chrono_literals;

bool Peer::in_group(gid_t group) const {
  return gid == group || std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::optional<Error> check_access(const Peer& peer, std::string_view command, Access access,
                                  const AccessGroups& groups) {
  if (peer.uid == 0) return std::nullopt;
  const bool admin = groups.admin_gid && peer.in_group(*groups.admin_gid);
  if (access == Access::change) {
    if (admin) return std::nullopt;
    return make_error(Errc::permission_denied,
                      "'{}' changes a cluster and needs root or group '{}'; uid {} is not in it{}", command,
                      groups.admin_group.empty() ? "(none: root only)" : groups.admin_group, peer.uid,
                      groups.admin_group.empty() ? "" : " (usermod -aG " + groups.admin_group + " USER)");
  }
  if (admin || (groups.socket_gid && peer.in_group(*groups.socket_gid))) return std::nullopt;
  return make_error(Errc::permission_denied, "'{}' needs root or group '{}'; uid {} is in neither '{}' nor '{}'",
                    command, groups.socket_group.empty() ? "(none: root only)" : groups.socket_group, peer.uid,
                    groups.socket_group, groups.admin_group);
}

struct ControlServer::Command {
  CommandHandler handler;
  CommandSpec spec;
  std::size_t running = 0;
};

struct ControlServer::Client {
  int fd = -1;
  std::uint64_t id = 0;  // distinguishes a reused fd number from the client that had it
  Peer peer;
  std::string input;
  std::string output;
  TimerId idle_timer = 0;
  TimerId line_timer = 0;
  std::size_t in_flight = 0;  // requests not yet answered with ok or fail
  MonoTime last_request{};    // for choosing whom to evict when full
  bool closing = false;       // flush what is queued, then close
};

class ControlServer::ClientResponder final : public Responder {
 public:
  ClientResponder(std::shared_ptr<std::atomic<ControlServer*>> server, EventLoop& loop, int fd, std::uint64_t client_id,
                  nlohmann::json id, std::string command)
      : m_server(std::move(server)),
        m_loop(loop),
        m_fd(fd),
        m_client_id(client_id),
        m_id(std::move(id)),
        m_command(std::move(command)) {}

  // A handler that lost its responder without answering would hold its
  // slots for good; give them back. The last owner may be a worker thread:
  // the bookkeeping belongs to the loop. A server that is gone has no slots
  // (and its loop may be gone too).
  ~ClientResponder() override {
    if (m_done || m_server->load() == nullptr) return;
    m_loop.post([server = m_server, fd = m_fd, id = m_client_id, command = m_command] {
      if (ControlServer* live = server->load()) live->finished(fd, id, command);
    });
  }

  void event(std::string_view event, const nlohmann::json& body) override {
    if (!m_done) deliver(protocol::event_reply(m_id, event, body));
  }
  void ok(const nlohmann::json& result) override { end(protocol::ok_reply(m_id, result)); }
  void fail(const Error& error) override { end(protocol::error_reply(m_id, error)); }

 private:
  void end(std::string text) {
    if (m_done) return;
    m_done = true;
    deliver(std::move(text));
    if (ControlServer* server = m_server->load()) server->finished(m_fd, m_client_id, m_command);
  }
  void deliver(std::string text) {
    ControlServer* server = m_server->load();
    if (server == nullptr) return;
    auto it = server->m_clients.find(m_fd);
    if (it == server->m_clients.end() || it->second->id != m_client_id) return;  // gone
    server->send(m_fd, std::move(text));
  }

  std::shared_ptr<std::atomic<ControlServer*>> m_server;
  EventLoop& m_loop;
  int m_fd;
  std::uint64_t m_client_id;
  nlohmann::json m_id;
  std::string m_command;
  bool m_done = false;
};

ControlServer::ControlServer(EventLoop& loop, ControlServerOptions options)
    : m_loop(loop), m_options(std::move(options)), m_self(std::make_shared<std::atomic<ControlServer*>>(this)) {
  m_groups.socket_group = m_options.group;
  m_groups.admin_group = m_options.admin_group;
}

ControlServer::~ControlServer() {
  m_self->store(nullptr);
  for (auto& [fd, client] : m_clients) {
    m_loop.cancel(client->idle_timer);
    m_loop.cancel(client->line_timer);
    m_loop.unwatch(fd);
    ::close(fd);
  }
  if (m_listen_fd >= 0) {
    m_loop.unwatch(m_listen_fd);
    ::close(m_listen_fd);
    ::unlink(m_options.path.c_str());
  }
}

namespace {

std::optional<gid_t> gid_of(const std::string& name) {
  if (name.empty()) return std::nullopt;
  const group* gr = ::getgrnam(name.c_str());
  if (gr == nullptr) return std::nullopt;
  return gr->gr_gid;
}

}  // namespace

Result<void> ControlServer::start() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (m_options.path.size() >= sizeof addr.sun_path)
    return make_error(Errc::config, "socket path '{}' is longer than {} bytes; choose a shorter [daemon] socket",
                      m_options.path, sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, m_options.path.c_str(), m_options.path.size() + 1);

  // Another mhad answering on the path? Then we must not steal its socket.
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    bool alive = ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(probe);
    if (alive)
      return make_error(Errc::io, "another mhad is already listening on '{}'; stop it first (systemctl stop mhad)",
                        m_options.path);
  }
  ::unlink(m_options.path.c_str());  // stale socket of a crashed mhad

  m_listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (m_listen_fd < 0) return make_error(Errc::io, "socket: {}", std::strerror(errno));
  // Create it 0660 from the start: no window in which others could connect.
  mode_t old_mask = ::umask(0117);
  int rc = ::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0)
    return make_error(Errc::io, "cannot bind control socket '{}': {}", m_options.path, std::strerror(errno));
  // A failed group change is not fatal: the socket then stays root-only,
  // which is safe; the error says what to fix.
  (void)set_groups(m_options.group, m_options.admin_group);
  if (::listen(m_listen_fd, 64) != 0)
    return make_error(Errc::io, "listen on '{}': {}", m_options.path, std::strerror(errno));
  return m_loop.watch(m_listen_fd, EPOLLIN, [this](std::uint32_t) { accept_clients(); });
}

Result<void> ControlServer::set_groups(std::string group, std::string admin_group) {
  const bool socket_changed = group != m_groups.socket_group || !m_groups.socket_gid;
  m_groups.socket_group = std::move(group);
  m_groups.socket_gid = gid_of(m_groups.socket_group);
  m_groups.admin_group = std::move(admin_group);
  m_groups.admin_gid = gid_of(m_groups.admin_group);
  std::optional<Error> problem;
  if (!m_groups.admin_group.empty() && !m_groups.admin_gid) {
    auto e = make_error(Errc::config,
                        "admin_group '{}' does not exist: only root may run changing commands (mhactl failover, "
                        "switchover, rejoin, maintenance, reload); create it (groupadd {}) and reload, or set "
                        "[daemon] admin_group",
                        m_groups.admin_group, m_groups.admin_group);
    log_warning({}, "{}", e.message);
    problem = e;
  }
  if (socket_changed)
    if (auto r = apply_socket_group(); !r) problem = r.error();
  if (problem) return *problem;
  return {};
}

Result<void> ControlServer::apply_socket_group() {
  if (m_listen_fd < 0) return {};
  const std::string& path = m_options.path;
  if (::chmod(path.c_str(), 0660) != 0) {
    auto e = make_error(Errc::io, "cannot set mode 0660 on control socket '{}': {}; check that mhad owns it",
                        path, std::strerror(errno));
    log_error({}, "{}", e.message);
    return e;
  }
  if (m_groups.socket_group.empty()) return {};
  if (!m_groups.socket_gid) {
    auto e = make_error(Errc::config,
                        "socket_group '{}' does not exist: control socket '{}' stays root-only and mhactl works for "
                        "root only; create the group (systemd-sysusers, or groupadd {}) and reload, or set [daemon] "
                        "socket_group",
                        m_groups.socket_group, path, m_groups.socket_group);
    log_error({}, "{}", e.message);
    return e;
  }
  if (::chown(path.c_str(), static_cast<uid_t>(-1), *m_groups.socket_gid) != 0) {
    auto e = make_error(Errc::io,
                        "cannot give control socket '{}' to group '{}': {}; members of '{}' cannot use mhactl until "
                        "mhad runs as root (or as a member of '{}') and is restarted",
                        path, m_groups.socket_group, std::strerror(errno), m_groups.socket_group,
                        m_groups.socket_group);
    log_error({}, "{}", e.message);
    return e;
  }
  return {};
}

void ControlServer::add_command(std::string name, CommandHandler handler, CommandSpec spec) {
  m_commands[std::move(name)] = Command{std::move(handler), spec, 0};
}

// At the cap: evicts the client that has nothing running and asked least
// recently (a dribbler or an idle connection), so that an operator's mhactl
// still gets in. False when every client waits for an answer.
bool ControlServer::make_room() {
  Client* victim = nullptr;
  for (auto& [fd, client] : m_clients)
    if (client->in_flight == 0 && (!victim || client->last_request < victim->last_request)) victim = client.get();
  if (!victim) return false;
  int fd = victim->fd;
  send(fd, protocol::error_reply(nullptr, make_error(Errc::busy,
                                                     "closing this connection: {} control clients are connected "
                                                     "(the limit) and this one was idle longest",
                                                     m_clients.size())));
  drop(fd, "evicted for a new client");
  return true;
}

void ControlServer::accept_clients() {
  for (;;) {
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log_warning({}, "accept on control socket: {}, ignoring", std::strerror(errno));
      return;
    }
    if (m_clients.size() >= m_options.max_clients && !make_room()) {
      std::string text = protocol::error_reply(
          nullptr, make_error(Errc::busy, "too many control clients ({}), each waiting for an answer; try again later",
                              m_clients.size()));
      [[maybe_unused]] auto n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      // Once a minute at most: a flood of connections must not flood the journal.
      ++m_turned_away;
      if (m_loop.now() - m_last_full_warning >= 60s) {
        log_warning({}, "control socket full ({} clients, all waiting for answers): {} connection(s) turned away",
                    m_clients.size(), m_turned_away);
        m_last_full_warning = m_loop.now();
        m_turned_away = 0;
      }
      continue;
    }
    auto client = std::make_unique<Client>();
    client->fd = fd;
    client->id = m_next_client_id++;
    client->last_request = m_loop.now();
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      client->peer.pid = cred.pid;
      client->peer.uid = cred.uid;
      client->peer.gid = cred.gid;
    }
    // The peer's groups as the kernel saw them at connect(): no user
    // database lookup per request, and no race with a later usermod.
    std::vector<gid_t> groups(64);
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
      groups.resize(glen / sizeof(gid_t) + 1);
      glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
    }
    groups.resize(glen / sizeof(gid_t));
    client->peer.groups = std::move(groups);
    log_debug({}, "control client connected: pid {} uid {}", client->peer.pid, client->peer.uid);
    Client& ref = *client;
    m_clients[fd] = std::move(client);
    if (auto r = m_loop.watch(fd, EPOLLIN | EPOLLRDHUP, [this, fd](std::uint32_t ev) { on_client_event(fd, ev); });
        !r) {
      m_clients.erase(fd);
      ::close(fd);
      continue;
    }
    arm_idle(ref);
  }
}

// Idle means: nothing running and no request for idle_timeout. Armed when
// the last answer has gone out or a request arrives; while a request runs
// there is no idle timer at all.
void ControlServer::arm_idle(Client& client) {
  m_loop.cancel(client.idle_timer);
  client.idle_timer = 0;
  if (client.in_flight > 0) return;
  int fd = client.fd;
  std::uint64_t id = client.id;
  client.idle_timer = m_loop.after(m_options.idle_timeout, [this, fd, id] {
    auto it = m_clients.find(fd);
    if (it != m_clients.end() && it->second->id == id) {
      it->second->idle_timer = 0;
      drop(fd, "idle");
    }
  });
}

// From the first byte of a line: absolute, not pushed back by more bytes.
void ControlServer::arm_line_deadline(Client& client) {
  m_loop.cancel(client.line_timer);
  int fd = client.fd;
  std::uint64_t id = client.id;
  client.line_timer = m_loop.after(m_options.line_timeout, [this, fd, id] {
    auto it = m_clients.find(fd);
    if (it == m_clients.end() || it->second->id != id) return;
    it->second->line_timer = 0;
    send(fd, protocol::error_reply(nullptr, make_error(Errc::bad_request,
                                                       "request line not finished within {} ms of its first byte; "
                                                       "closing",
                                                       m_options.line_timeout.count())));
    drop(fd, "line too slow");
  });
}

// Reads at most read_per_event bytes: the line-length check below runs
// before the buffer can grow further, and one fast writer cannot keep the
// loop to itself. False when the client was dropped.
bool ControlServer::read_input(Client& client, bool& eof) {
  char buffer[16384];
  std::size_t total = 0;
  while (total < m_options.read_per_event) {
    std::size_t want = std::min(sizeof buffer, m_options.read_per_event - total);
    ssize_t n = ::read(client.fd, buffer, want);
    if (n > 0) {
      client.input.append(buffer, static_cast<std::size_t>(n));
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      eof = true;  // answer what it already sent, then close
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    drop(client.fd, std::strerror(errno));
    return false;
  }
  m_peak_input = std::max(m_peak_input, client.input.size());
  return true;
}

void ControlServer::on_client_event(int fd, std::uint32_t events) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  Client& client = *it->second;
  const std::uint64_t id = client.id;
  if (events & EPOLLOUT) {
    flush(client);
    if (m_clients.find(fd) == m_clients.end()) return;
  }
  // HUP: the peer closed both directions; nobody can read an answer. (A
  // half-close, SHUT_WR, is RDHUP: its requests are still answered.)
  const bool hung_up = events & (EPOLLHUP | EPOLLERR);
  if (client.closing) {
    if (hung_up || (client.output.empty() && client.in_flight == 0)) drop(fd, "closed by peer");
    return;
  }
  if (!(events & (EPOLLIN | EPOLLRDHUP)) && !hung_up) return;
  const bool had_partial = !client.input.empty();
  bool eof = false;
  if (!read_input(client, eof)) return;
  std::size_t start = 0;
  for (;;) {
    std::size_t newline = client.input.find('\n', start);
    if (newline == std::string::npos) break;
    std::string_view line(client.input.data() + start, newline - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) handle_line(client, line);
    // A handler may have dropped this client; its buffer is gone then.
    auto again = m_clients.find(fd);
    if (again == m_clients.end() || again->second->id != id) return;
    start = newline + 1;
  }
  if (hung_up && !(events & EPOLLIN)) {
    drop(fd, "peer gone");
    return;
  }
  client.input.erase(0, start);
  if (client.input.size() > protocol::k_max_line_bytes) {
    client.input.clear();
    client.input.shrink_to_fit();
    client.closing = true;
    m_loop.cancel(client.line_timer);
    client.line_timer = 0;
    send(fd, protocol::error_reply(nullptr, make_error(Errc::bad_request, "request line longer than {} bytes; closing",
                                                        protocol::k_max_line_bytes)));
    return;  // send() closes once the error is out and nothing runs any more
  }
  if (client.input.empty()) {
    m_loop.cancel(client.line_timer);
    client.line_timer = 0;
  } else if (!had_partial || start > 0) {
    arm_line_deadline(client);  // a new line began in this read
  }
  if (eof) {
    // Stop reading; close when the answers are out. Set only now: an answer
    // given while the lines above ran must not close before the next line.
    client.closing = true;
    flush(client);
  }
}

void ControlServer::handle_line(Client& client, std::string_view line) {
  const int fd = client.fd;
  const std::uint64_t id = client.id;
  // An answer may overflow the client's output and drop it: look it up again.
  auto reply_now = [&](const nlohmann::json& request_id, const Error& error) {
    send(fd, protocol::error_reply(request_id, error));
    if (auto it = m_clients.find(fd); it != m_clients.end() && it->second->id == id) arm_idle(*it->second);
  };
  client.last_request = m_loop.now();
  auto request = protocol::parse_request(line);
  if (!request) return reply_now(nullptr, request.error());
  auto it = m_commands.find(request->cmd);
  if (it == m_commands.end()) {
    std::string known;
    for (const auto& [name, command] : m_commands) known += (known.empty() ? "" : ", ") + name;
    return reply_now(request->id, make_error(Errc::unknown_command, "unknown command '{}'; known commands: {}",
                                             request->cmd, known));
  }
  Command& command = it->second;
  if (auto denied = check_access(client.peer, request->cmd, command.spec.access, m_groups)) {
    log_warning({{"EVENT", "refused_permission"}}, "control command '{}' from uid {} pid {} refused: {}",
                request->cmd, client.peer.uid, client.peer.pid, denied->message);
    return reply_now(request->id, *denied);
  }
  if (client.in_flight >= m_options.max_in_flight)
    return reply_now(request->id,
                     make_error(Errc::busy, "{} requests of this connection are still running (at most {}); wait "
                                            "for their answers before sending more",
                                client.in_flight, m_options.max_in_flight));
  if (command.spec.max_running > 0 && command.running >= command.spec.max_running)
    return reply_now(request->id, make_error(Errc::busy, "'{}' is already running {} time(s), the most at once; try "
                                                         "again when one has answered",
                                             request->cmd, command.running));
  ++client.in_flight;
  ++command.running;
  arm_idle(client);  // cancels it: a running request is never idle
  auto responder = std::make_shared<ClientResponder>(m_self, m_loop, fd, id, request->id, request->cmd);
  // Handlers read typed arguments and report bad ones; this is the last
  // line: no exception from one request may end the daemon (and with it a
  // running failover).
  const Peer peer = client.peer;  // the handler may drop the client
  try {
    command.handler(*request, peer, responder);
  } catch (const std::exception& e) {
    log_error({}, "control command '{}' from pid {} failed: {}", request->cmd, peer.pid, e.what());
    responder->fail(make_error(Errc::internal, "'{}' failed inside mhad: {}", request->cmd, e.what()));
  }
}

// A request has had its answer (or its responder was lost): its slots free up.
void ControlServer::finished(int fd, std::uint64_t client_id, const std::string& command) {
  if (auto it = m_commands.find(command); it != m_commands.end() && it->second.running > 0) --it->second.running;
  auto it = m_clients.find(fd);
  if (it == m_clients.end() || it->second->id != client_id) return;
  Client& client = *it->second;
  if (client.in_flight > 0) --client.in_flight;
  if (client.in_flight > 0) return;
  if (client.closing && client.output.empty()) {
    drop(fd, "closed by peer");
    return;
  }
  arm_idle(client);
}

void ControlServer::send(int fd, std::string text) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  Client& client = *it->second;
  client.output += text;
  if (client.output.size() > m_options.max_output_bytes) {
    drop(fd, "not reading its replies");
    return;
  }
  flush(client);
}

void ControlServer::flush(Client& client) {
  int fd = client.fd;
  while (!client.output.empty()) {
    ssize_t n = ::send(fd, client.output.data(), client.output.size(), MSG_NOSIGNAL);
    if (n > 0) {
      client.output.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      (void)m_loop.modify(fd, client.closing ? EPOLLOUT : EPOLLIN | EPOLLRDHUP | EPOLLOUT);
      return;
    }
    drop(fd, "write failed");
    return;
  }
  // Half-closed: EPOLLIN would fire for ever on the EOF; wait for answers only.
  (void)m_loop.modify(fd, client.closing ? 0 : EPOLLIN | EPOLLRDHUP);
  if (client.closing && client.in_flight == 0) drop(fd, "done");
}

void ControlServer::drop(int fd, std::string_view why) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  log_debug({}, "control client pid {} dropped: {}", it->second->peer.pid, why);
  m_loop.cancel(it->second->idle_timer);
  m_loop.cancel(it->second->line_timer);
  m_loop.unwatch(fd);
  ::close(fd);
  m_clients.erase(it);
}

}  // namespace mha
