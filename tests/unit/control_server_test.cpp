// The control socket against real sockets and a real loop (in a thread):
// bad clients get an error or are dropped, and never affect others.
#include <catch2/catch.hpp>

#include <future>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "daemon/control_server.h"

using namespace mha;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct ServerFixture {
  std::string path;
  EventLoop loop;
  std::unique_ptr<ControlServer> server;
  std::thread thread;

  explicit ServerFixture(std::chrono::milliseconds idle = 2000ms) {
    path = (std::filesystem::temp_directory_path() / ("mha-ctl-test-" + std::to_string(::getpid()) + ".sock")).string();
    REQUIRE(loop.init({}));
    ControlServerOptions options;
    options.path = path;
    options.idle_timeout = idle;
    server = std::make_unique<ControlServer>(loop, options);
    REQUIRE(server->start());
    server->add_command("echo", [](const protocol::Request& rq, const Peer& peer, std::shared_ptr<Responder> out) {
      out->ok(json{{"args", rq.args}, {"uid", peer.uid}});
    });
    thread = std::thread([this] { loop.run(); });
  }
  ~ServerFixture() {
    loop.post([this] { loop.stop(); });
    thread.join();
    server.reset();
  }
};

int connect_to(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void send_all(int fd, const std::string& text) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close on us mid-way (oversized line)
    sent += static_cast<std::size_t>(n);
  }
}

// Reads one line, or "" on EOF/timeout.
std::string read_line(int fd, std::chrono::milliseconds timeout = 3000ms) {
  std::string line;
  char c;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return line;
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
  char buffer[4096];
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return true;
    if (n < 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("control socket answers a request and records the peer's uid", "[control]") {
  ServerFixture fx;
  struct stat st{};
  REQUIRE(::stat(fx.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":1,\"cmd\":\"echo\",\"x\":2}\n");
  auto reply = json::parse(read_line(fd));
  CHECK(reply["id"] == 1);
  CHECK(reply["ok"] == true);
  CHECK(reply["result"]["args"]["x"] == 2);
  CHECK(reply["result"]["uid"] == ::getuid());
  ::close(fd);
}

TEST_CASE("control socket: malformed JSON and unknown commands get errors, the client stays", "[control]") {
  ServerFixture fx;
  int fd = connect_to(fx.path);
  send_all(fd, "{oops\n");
  auto bad = json::parse(read_line(fd));
  CHECK(bad["ok"] == false);
  CHECK(bad["error"]["code"] == "bad_request");
  send_all(fd, "{\"id\":\"a\",\"cmd\":\"explode\"}\n");
  auto unknown = json::parse(read_line(fd));
  CHECK(unknown["id"] == "a");
  CHECK(unknown["error"]["code"] == "unknown_command");
  CHECK(unknown["error"]["message"] == "unknown command 'explode'; known commands: echo");
  send_all(fd, "{\"id\":2,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(fd))["ok"] == true);
  ::close(fd);
}

TEST_CASE("control socket: a line over 1 MiB is refused and that client dropped, others unaffected", "[control]") {
  ServerFixture fx;
  int other = connect_to(fx.path);
  int fd = connect_to(fx.path);
  std::thread writer([fd] { send_all(fd, std::string(protocol::k_max_line_bytes + 10, 'x')); });
  auto reply = read_line(fd);
  writer.join();
  auto doc = json::parse(reply);
  CHECK(doc["error"]["code"] == "bad_request");
  CHECK(closed_by_server(fd, 2000ms));
  send_all(other, "{\"id\":9,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(other))["id"] == 9);
  ::close(fd);
  ::close(other);
}

TEST_CASE("control socket: a client that says nothing is dropped after the idle timeout", "[control]") {
  ServerFixture fx(200ms);
  int silent = connect_to(fx.path);
  auto start = std::chrono::steady_clock::now();
  CHECK(closed_by_server(silent, 3000ms));
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  ::close(silent);
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":3,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(fd))["id"] == 3);
  ::close(fd);
}

TEST_CASE("control socket: requests sent before the client half-closes are all answered", "[control]") {
  ServerFixture fx;
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":1,\"cmd\":\"echo\"}\n{\"id\":2,\"cmd\":\"echo\"}\n");
  ::shutdown(fd, SHUT_WR);
  CHECK(json::parse(read_line(fd))["id"] == 1);
  CHECK(json::parse(read_line(fd))["id"] == 2);
  CHECK(closed_by_server(fd, 2000ms));
  ::close(fd);
}

TEST_CASE("control socket: a second server on the same live path is refused", "[control]") {
  ServerFixture fx;
  EventLoop loop2;
  REQUIRE(loop2.init({}));
  ControlServerOptions options;
  options.path = fx.path;
  ControlServer second(loop2, options);
  auto r = second.start();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("another mhad is already listening") != std::string::npos);
}

TEST_CASE("control socket: a handler that throws on a malformed request gets an error reply, the daemon lives on",
          "[control]") {
  ServerFixture fx;
  // As a handler that reads `force` with nlohmann's value() would: it
  // throws type_error on {"force":"yes"}. Added on the loop, which owns it.
  std::promise<void> added;
  fx.loop.post([&] {
    fx.server->add_command("throws", [](const protocol::Request& rq, const Peer&, std::shared_ptr<Responder> out) {
      out->ok(json{{"force", rq.args.value("force", false)}});
    });
    added.set_value();
  });
  added.get_future().wait();
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":3,\"cmd\":\"throws\",\"force\":\"yes\"}\n");
  auto reply = json::parse(read_line(fd));
  CHECK(reply["id"] == 3);
  CHECK(reply["ok"] == false);
  CHECK(reply["error"]["code"] == "internal");
  send_all(fd, "{\"id\":4,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(fd))["ok"] == true);
  ::close(fd);
}
