// The TCP probes against real loopback sockets: a listener that sends its
// first bytes greets, one that only accepts (as a SIGSTOPped mysqld: the
// kernel completes the handshake) accepts, a closed port is refused.
#include <catch2/catch.hpp>

#include "daemon/tcp_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace mha;
using namespace std::chrono_literals;

namespace {

// A listening socket on 127.0.0.1, port chosen by the kernel.
struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

}  // namespace

TEST_CASE("greeting probe: greets, only accepts, refused", "[tcp_probe]") {
  SECTION("a server that sends its handshake greets") {
    Listener l;
    std::thread server([&] {
      int c = ::accept(l.fd, nullptr, nullptr);
      if (c >= 0) {
        (void)::write(c, "J", 1);
        std::this_thread::sleep_for(300ms);
        ::close(c);
      }
    });
    CHECK(tcp_greeting_probe("127.0.0.1", l.port, 1000ms) == TcpState::greets);
    server.join();
  }
  SECTION("a server that never accept()s (frozen) only accepts, within the timeout") {
    Listener l;  // the kernel completes the handshake from the backlog
    const auto started = std::chrono::steady_clock::now();
    CHECK(tcp_greeting_probe("127.0.0.1", l.port, 300ms) == TcpState::accepts);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    CHECK(tcp_probe("127.0.0.1", l.port, 300ms) == TcpState::accepts);
  }
  SECTION("nothing listens: refused") {
    std::uint16_t port;
    {
      Listener l;
      port = l.port;
    }
    CHECK(tcp_greeting_probe("127.0.0.1", port, 300ms) == TcpState::refused);
  }
}
