#include "daemon/tcp_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mha {

std::string_view tcp_state_name(TcpState state) {
  switch (state) {
    case TcpState::unknown: return "unknown";
    case TcpState::accepts: return "accepts";
    case TcpState::refused: return "refused";
    case TcpState::timeout: return "timeout";
    case TcpState::unreachable: return "unreachable";
    case TcpState::greets: return "greets";
  }
  return "unknown";
}

static TcpState from_errno(int error) {
  switch (error) {
    case 0: return TcpState::accepts;
    case ECONNREFUSED: return TcpState::refused;
    case ETIMEDOUT: return TcpState::timeout;
    default: return TcpState::unreachable;  // EHOSTUNREACH, ENETUNREACH, ...
  }
}

namespace {

// Connects; on success leaves the socket open in *fd for the caller.
TcpState connect_with_deadline(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                               int* fd_out) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr)
    return TcpState::unreachable;
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(found);
    return TcpState::unknown;
  }
  TcpState state;
  if (::connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
    state = TcpState::accepts;
  } else if (errno != EINPROGRESS) {
    state = from_errno(errno);
  } else {
    pollfd p{fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
      state = TcpState::timeout;
    } else {
      int error = 0;
      socklen_t len = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      state = from_errno(error);
    }
  }
  ::freeaddrinfo(found);
  if (state == TcpState::accepts) *fd_out = fd;
  else ::close(fd);
  return state;
}

}  // namespace

TcpState tcp_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = -1;
  TcpState state = connect_with_deadline(host, port, timeout, &fd);
  if (fd >= 0) ::close(fd);
  return state;
}

TcpState tcp_greeting_probe(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  int fd = -1;
  TcpState state = connect_with_deadline(host, port, timeout, &fd);
  if (fd < 0) return state;
  const auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) > 0) {
    char byte;
    if (::recv(fd, &byte, 1, MSG_PEEK) > 0) state = TcpState::greets;
  }
  ::close(fd);
  return state;
}

}  // namespace mha
