#include "ctl/client.h"

#include "ctl/help.h"

#include <fmt/format.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace mha::ctl {

namespace {

using std::chrono::milliseconds;

class Socket {
 public:
  explicit Socket(int fd) : m_fd(fd) {}
  ~Socket() {
    if (m_fd >= 0) ::close(m_fd);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return m_fd; }

 private:
  int m_fd;
};

std::string seconds_text(milliseconds timeout) {
  if (timeout.count() % 1000 != 0) return fmt::format("{}ms", timeout.count());
  return fmt::format("{}s", timeout.count() / 1000);
}

Error unreachable(std::string_view path, int err) {
  std::string reason = std::strerror(err);
  if (err == EACCES || err == EPERM) reason += " (are you in mhad's socket_group, 'mhad' by default?)";
  return make_error(Errc::refused,
                    "cannot connect to mhad at {}: {}; is mhad running? systemctl status mhad", path,
                    reason);
}

Error silent(std::string_view path, milliseconds timeout, std::string_view what) {
  return make_error(Errc::timeout, "mhad at {} {} within {}; is it stuck? systemctl status mhad",
                    path, what, seconds_text(timeout));
}

// A malformed line is quoted, shortened, so that the operator can tell a
// version mismatch from garbage without a screenful of it.
std::string excerpt(std::string_view line) {
  constexpr std::size_t k_max = 120;
  std::string out;
  for (char c : line.substr(0, k_max)) {
    auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  if (line.size() > k_max) out += "...";
  return out;
}

// Connect with the timeout as SO_SNDTIMEO: on Linux a blocking AF_UNIX connect
// to a listener whose backlog is full waits up to that long, then fails with
// EAGAIN. The same option bounds the request write.
Result<void> connect_to(const Socket& socket, std::string_view path, milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
  if (::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
    return unreachable(path, errno);

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return unreachable(path, ENAMETOOLONG);
  std::memcpy(address.sun_path, path.data(), path.size());
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    int err = errno;
    if (err == EAGAIN || err == EINPROGRESS) return silent(path, timeout, "did not accept the connection");
    return unreachable(path, err);
  }
  return {};
}

Result<void> send_all(const Socket& socket, std::string_view path, std::string_view data,
                      milliseconds timeout) {
  while (!data.empty()) {
    ssize_t sent = ::send(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return silent(path, timeout, "did not take the request");
      return make_error(Errc::parse, "mhad at {} closed the connection before taking the request: {}",
                        path, std::strerror(err));
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return {};
}

}  // namespace

Result<protocol::Reply> call(std::string_view socket_path, std::string_view request_line,
                             const nlohmann::json& id, milliseconds timeout,
                             const EventHandler& on_event) {
  Socket socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return unreachable(socket_path, errno);
  if (auto connected = connect_to(socket, socket_path, timeout); !connected) return connected.error();
  if (auto sent = send_all(socket, socket_path, request_line, timeout); !sent) return sent.error();

  // One line decoded. nullopt: an event, keep reading.
  auto handle = [&](std::string_view line) -> std::optional<Result<protocol::Reply>> {
    auto reply = protocol::parse_reply(line);
    if (!reply)
      return Result<protocol::Reply>(make_error(Errc::parse, "malformed reply from mhad ({}): {}",
                                                reply.error().message, excerpt(line)));
    // An error about a request mhad could not even read carries a null id.
    const bool null_id_error = reply->kind == protocol::Reply::Kind::error && reply->id.is_null();
    if (reply->id != id && !null_id_error)
      return Result<protocol::Reply>(make_error(Errc::parse, "mhad answered request {} instead of {}: {}",
                                                reply->id.dump(), id.dump(), excerpt(line)));
    if (reply->kind == protocol::Reply::Kind::event) {
      if (on_event) on_event(reply->body);
      return std::nullopt;
    }
    return Result<protocol::Reply>(std::move(*reply));
  };

  std::string buffer;
  std::size_t scanned = 0;  // bytes of buffer known to hold no newline
  char chunk[65536];
  for (;;) {
    for (auto newline = buffer.find('\n', scanned); newline != std::string::npos;
         newline = buffer.find('\n')) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      scanned = 0;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      if (auto done = handle(line)) return std::move(*done);
    }
    scanned = buffer.size();
    if (buffer.size() > k_max_reply_line_bytes)
      return make_error(Errc::parse, "mhad sent a reply line longer than {} bytes, giving up",
                        k_max_reply_line_bytes);

    // The timeout restarts with every chunk received: long operations stream
    // events, and only a silent mhad is a stuck one.
    pollfd poll_fd{socket.fd(), POLLIN, 0};
    int ready = ::poll(&poll_fd, 1, static_cast<int>(timeout.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::parse, "waiting for mhad's reply: {}", std::strerror(errno));
    }
    if (ready == 0) return silent(socket_path, timeout, "sent no reply");

    ssize_t got = ::read(socket.fd(), chunk, sizeof chunk);
    if (got < 0) {
      int err = errno;
      if (err == EINTR || err == EAGAIN) continue;
      return make_error(Errc::parse, "mhad closed the connection mid-reply: {}", std::strerror(err));
    }
    if (got == 0) {
      // A last line without its newline is still a whole reply if it parses;
      // anything else is a reply cut short.
      if (buffer.find_first_not_of(" \t\r") != std::string::npos) {
        if (!protocol::parse_reply(buffer))
          return make_error(Errc::parse, "mhad closed the connection mid-reply, after {} bytes of a line",
                            buffer.size());
        if (auto done = handle(buffer)) return std::move(*done);
      }
      return make_error(Errc::parse, "mhad closed the connection before sending a result");
    }
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

int exit_code_for(const Error& error) {
  switch (error.code) {
    case Errc::refused:
    case Errc::timeout:
      return exit_code::unreachable;
    default:
      return exit_code::bad_reply;
  }
}

}  // namespace mha::ctl
