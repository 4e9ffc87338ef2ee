#include "daemon/control_server.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace mha {

struct ControlServer::Client {
  int fd = -1;
  std::uint64_t id = 0;  // distinguishes a reused fd number from the client that had it
  Peer peer;
  std::string input;
  std::string output;
  TimerId idle_timer = 0;
  bool closing = false;  // flush what is queued, then close
};

class ControlServer::ClientResponder final : public Responder {
 public:
  ClientResponder(ControlServer& server, int fd, std::uint64_t client_id, nlohmann::json id)
      : m_server(server), m_fd(fd), m_client_id(client_id), m_id(std::move(id)) {}

  void event(std::string_view event, const nlohmann::json& body) override {
    deliver(protocol::event_reply(m_id, event, body));
  }
  void ok(const nlohmann::json& result) override { deliver(protocol::ok_reply(m_id, result)); }
  void fail(const Error& error) override { deliver(protocol::error_reply(m_id, error)); }

 private:
  void deliver(std::string text) {
    auto it = m_server.m_clients.find(m_fd);
    if (it == m_server.m_clients.end() || it->second->id != m_client_id) return;  // gone
    m_server.send(m_fd, std::move(text));
  }

  ControlServer& m_server;
  int m_fd;
  std::uint64_t m_client_id;
  nlohmann::json m_id;
};

ControlServer::ControlServer(EventLoop& loop, ControlServerOptions options)
    : m_loop(loop), m_options(std::move(options)) {}

ControlServer::~ControlServer() {
  for (auto& [fd, client] : m_clients) {
    m_loop.cancel(client->idle_timer);
    m_loop.unwatch(fd);
    ::close(fd);
  }
  if (m_listen_fd >= 0) {
    m_loop.unwatch(m_listen_fd);
    ::close(m_listen_fd);
    ::unlink(m_options.path.c_str());
  }
}

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
  ::chmod(m_options.path.c_str(), 0660);
  if (!m_options.group.empty()) {
    if (const group* gr = ::getgrnam(m_options.group.c_str()))
      [[maybe_unused]] int ignored = ::chown(m_options.path.c_str(), static_cast<uid_t>(-1), gr->gr_gid);
    else
      log_info({}, "group '{}' does not exist: control socket '{}' stays root-only, ignoring",
               m_options.group, m_options.path);
  }
  if (::listen(m_listen_fd, 64) != 0)
    return make_error(Errc::io, "listen on '{}': {}", m_options.path, std::strerror(errno));
  return m_loop.watch(m_listen_fd, EPOLLIN, [this](std::uint32_t) { accept_clients(); });
}

void ControlServer::add_command(std::string name, CommandHandler handler) {
  m_commands[std::move(name)] = std::move(handler);
}

void ControlServer::accept_clients() {
  for (;;) {
    int fd = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log_warning({}, "accept on control socket: {}, ignoring", std::strerror(errno));
      return;
    }
    if (m_clients.size() >= m_options.max_clients) {
      std::string text = protocol::error_reply(nullptr, make_error(Errc::io, "too many control clients"));
      [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
      ::close(fd);
      continue;
    }
    auto client = std::make_unique<Client>();
    client->fd = fd;
    client->id = m_next_client_id++;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      client->peer.pid = cred.pid;
      client->peer.uid = cred.uid;
      client->peer.gid = cred.gid;
    }
    log_debug({}, "control client connected: pid {} uid {}", client->peer.pid, client->peer.uid);
    Client& ref = *client;
    m_clients[fd] = std::move(client);
    if (auto r = m_loop.watch(fd, EPOLLIN | EPOLLRDHUP, [this, fd](std::uint32_t ev) { on_client_event(fd, ev); });
        !r) {
      m_clients.erase(fd);
      ::close(fd);
      continue;
    }
    touch(ref);
  }
}

void ControlServer::touch(Client& client) {
  m_loop.cancel(client.idle_timer);
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

void ControlServer::on_client_event(int fd, std::uint32_t events) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  Client& client = *it->second;
  if (events & EPOLLOUT) {
    flush(client);
    if (m_clients.find(fd) == m_clients.end()) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    char buffer[65536];
    bool peer_closed = false;
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n > 0) {
        client.input.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) {
        peer_closed = true;  // answer what it already sent, then close
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      drop(fd, std::strerror(errno));
      return;
    }
    touch(client);
    std::size_t start = 0;
    for (;;) {
      std::size_t newline = client.input.find('\n', start);
      if (newline == std::string::npos) break;
      std::string_view line(client.input.data() + start, newline - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::uint64_t id = client.id;
      if (!line.empty()) handle_line(client, line);
      // A handler may have dropped this client; its buffer is gone then.
      auto again = m_clients.find(fd);
      if (again == m_clients.end() || again->second->id != id) return;
      start = newline + 1;
    }
    client.input.erase(0, start);
    if (peer_closed) client.closing = true;
    if (client.input.size() > protocol::k_max_line_bytes) {
      send(fd, protocol::error_reply(nullptr, make_error(Errc::bad_request,
                                                          "request line longer than {} bytes; closing",
                                                          protocol::k_max_line_bytes)));
      if (m_clients.count(fd)) {
        m_clients[fd]->closing = true;
        m_clients[fd]->input.clear();
        flush(*m_clients[fd]);
      }
      return;
    }
    if (client.closing && client.output.empty()) drop(fd, "closed by peer");
  }
}

void ControlServer::handle_line(Client& client, std::string_view line) {
  auto request = protocol::parse_request(line);
  if (!request) {
    send(client.fd, protocol::error_reply(nullptr, request.error()));
    return;
  }
  auto responder = std::make_shared<ClientResponder>(*this, client.fd, client.id, request->id);
  auto it = m_commands.find(request->cmd);
  if (it == m_commands.end()) {
    std::string known;
    for (const auto& [name, handler] : m_commands) known += (known.empty() ? "" : ", ") + name;
    responder->fail(make_error(Errc::unknown_command, "unknown command '{}'; known commands: {}",
                               request->cmd, known));
    return;
  }
  // Handlers read typed arguments and report bad ones; this is the last
  // line: no exception from one request may end the daemon (and with it a
  // running failover).
  try {
    it->second(*request, client.peer, responder);
  } catch (const std::exception& e) {
    log_error({}, "control command '{}' from pid {} failed: {}", request->cmd, client.peer.pid, e.what());
    responder->fail(make_error(Errc::internal, "'{}' failed inside mhad: {}", request->cmd, e.what()));
  }
}

void ControlServer::send(int fd, std::string text) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  Client& client = *it->second;
  client.output += text;
  touch(client);  // a client waiting on a long operation is not idle
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
      (void)m_loop.modify(fd, EPOLLIN | EPOLLRDHUP | EPOLLOUT);
      return;
    }
    drop(fd, "write failed");
    return;
  }
  (void)m_loop.modify(fd, EPOLLIN | EPOLLRDHUP);
  if (client.closing) drop(fd, "done");
}

void ControlServer::drop(int fd, std::string_view why) {
  auto it = m_clients.find(fd);
  if (it == m_clients.end()) return;
  log_debug({}, "control client pid {} dropped: {}", it->second->peer.pid, why);
  m_loop.cancel(it->second->idle_timer);
  m_loop.unwatch(fd);
  ::close(fd);
  m_clients.erase(it);
}

}  // namespace mha
