// The control socket against real sockets and a real loop (in a thread):
// bad clients get an error or are dropped, and never affect others.
#include <catch2/catch.hpp>

#include <future>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "daemon/control_server.h"

using namespace mha;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

ControlServerOptions test_options(std::chrono::milliseconds idle = 2000ms) {
  ControlServerOptions options;
  options.path = (std::filesystem::temp_directory_path() / ("mha-ctl-test-" + std::to_string(::getpid()) + ".sock")).string();
  options.idle_timeout = idle;
  return options;
}

struct ServerFixture {
  std::string path;
  EventLoop loop;
  std::unique_ptr<ControlServer> server;
  std::thread thread;

  explicit ServerFixture(std::chrono::milliseconds idle = 2000ms) : ServerFixture(test_options(idle), {}) {}
  // `setup` adds commands (or anything else) before the loop thread starts.
  ServerFixture(ControlServerOptions options, const std::function<void(ControlServer&)>& setup) {
    path = options.path;
    REQUIRE(loop.init({}));
    server = std::make_unique<ControlServer>(loop, options);
    REQUIRE(server->start());
    server->add_command("echo", [](const protocol::Request& rq, const Peer& peer, std::shared_ptr<Responder> out) {
      out->ok(json{{"args", rq.args}, {"uid", peer.uid}});
    });
    if (setup) setup(*server);
    thread = std::thread([this] { loop.run(); });
  }
  ~ServerFixture() {
    loop.post([this] { loop.stop(); });
    thread.join();
    server.reset();
  }
  // Runs fn on the loop thread and waits for it: the server is the loop's.
  template <typename Fn>
  auto on_loop(Fn fn) {
    std::promise<decltype(fn())> done;
    loop.post([&] { done.set_value(fn()); });
    return done.get_future().get();
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

namespace {

// A command that answers only when told: stands for a switchover waiting
// 60 s or a check logging in everywhere.
struct Held {
  std::vector<std::shared_ptr<Responder>> waiting;
  int started = 0;
};

CommandHandler hold_into(Held& held) {
  return [&held](const protocol::Request& rq, const Peer&, std::shared_ptr<Responder> out) {
    ++held.started;
    out->event("phase", json{{"id", rq.id}});
    held.waiting.push_back(std::move(out));
  };
}

// Every reply line until `count` lines came or the server went quiet.
std::vector<json> read_lines(int fd, std::size_t count, std::chrono::milliseconds timeout = 3000ms) {
  std::vector<json> lines;
  while (lines.size() < count) {
    auto line = read_line(fd, timeout);
    if (line.empty()) break;
    lines.push_back(json::parse(line));
  }
  return lines;
}

}  // namespace

TEST_CASE("check_access: reading is for the socket's and the admin group, changing for root and admin_group",
          "[control]") {
  AccessGroups groups{"mhad", 900, "mhad-admin", 901};
  Peer root;
  root.uid = 0;
  root.gid = 0;
  Peer reader;
  reader.uid = 1001;
  reader.gid = 1001;
  reader.groups = {1001, 900};
  Peer admin;
  admin.uid = 1002;
  admin.gid = 901;  // primary group counts as well as supplementary ones
  Peer stranger;
  stranger.uid = 1003;
  stranger.gid = 1003;

  CHECK_FALSE(check_access(root, "failover", Access::change, groups));
  CHECK_FALSE(check_access(reader, "status", Access::read, groups));
  CHECK_FALSE(check_access(admin, "failover", Access::change, groups));
  CHECK_FALSE(check_access(admin, "status", Access::read, groups));

  auto refused = check_access(reader, "failover", Access::change, groups);
  REQUIRE(refused);
  CHECK(refused->code == Errc::permission_denied);
  CHECK(refused->message ==
        "'failover' changes a cluster and needs root or group 'mhad-admin'; uid 1001 is not in it (usermod -aG "
        "mhad-admin USER)");
  auto stranger_read = check_access(stranger, "status", Access::read, groups);
  REQUIRE(stranger_read);
  CHECK(stranger_read->message == "'status' needs root or group 'mhad'; uid 1003 is in neither 'mhad' nor 'mhad-admin'");

  SECTION("a group that does not exist admits nobody but root") {
    AccessGroups missing{"mhad", std::nullopt, "mhad-admin", std::nullopt};
    CHECK(check_access(reader, "status", Access::read, missing));
    CHECK(check_access(admin, "failover", Access::change, missing));
    CHECK_FALSE(check_access(root, "failover", Access::change, missing));
  }
}

TEST_CASE("control socket: a peer outside admin_group may read but not change, over a real socket", "[control]") {
  // The peer is a forked child with another uid (nobody when the tests run
  // as root, else this uid): root would pass every check.
  const bool as_root = ::getuid() == 0;
  const uid_t peer_uid = as_root ? 65534 : ::getuid();
  const gid_t peer_gid = as_root ? 65534 : ::getgid();
  const group* gr = ::getgrgid(peer_gid);
  REQUIRE(gr != nullptr);
  auto options = test_options();
  options.group = gr->gr_name;          // the peer's own group: it may connect and read
  options.admin_group = "mha-no-such-group";  // nobody but root may change
  int changes = 0;
  ServerFixture fx(options, [&](ControlServer& server) {
    server.add_command("failover", [&](const protocol::Request&, const Peer&, std::shared_ptr<Responder> out) {
      ++changes;
      out->ok(json::object());
    }, CommandSpec{Access::change, 0});
  });
  struct stat st{};
  REQUIRE(::stat(fx.path.c_str(), &st) == 0);
  CHECK(st.st_gid == peer_gid);

  // The child only makes system calls on buffers prepared before fork().
  const std::string requests = "{\"id\":1,\"cmd\":\"echo\"}\n{\"id\":2,\"cmd\":\"failover\",\"cluster\":\"app1\"}\n";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, fx.path.c_str(), sizeof addr.sun_path - 1);
  int out_pipe[2];
  REQUIRE(::pipe(out_pipe) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(out_pipe[0]);
    if (as_root && (::setgroups(0, nullptr) != 0 || ::setgid(peer_gid) != 0 || ::setuid(peer_uid) != 0)) _exit(3);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) _exit(4);
    if (::write(fd, requests.data(), requests.size()) != static_cast<ssize_t>(requests.size())) _exit(5);
    char buffer[4096];
    int newlines = 0;
    while (newlines < 2) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) newlines += buffer[i] == '\n';
      if (::write(out_pipe[1], buffer, static_cast<std::size_t>(n)) != n) _exit(6);
    }
    _exit(0);
  }
  ::close(out_pipe[1]);
  std::string replies;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out_pipe[0], buffer, sizeof buffer)) > 0;) replies.append(buffer, static_cast<std::size_t>(n));
  ::close(out_pipe[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  auto newline = replies.find('\n');
  REQUIRE(newline != std::string::npos);
  auto read_reply = json::parse(replies.substr(0, newline));
  auto change_reply = json::parse(replies.substr(newline + 1));
  CHECK(read_reply["ok"] == true);
  CHECK(read_reply["result"]["uid"] == peer_uid);
  CHECK(change_reply["id"] == 2);
  CHECK(change_reply["ok"] == false);
  CHECK(change_reply["error"]["code"] == "permission_denied");
  CHECK(change_reply["error"]["message"] ==
        fmt::format("'failover' changes a cluster and needs root or group 'mha-no-such-group'; uid {} is not in it "
                    "(usermod -aG mha-no-such-group USER)",
                    peer_uid));
  CHECK(fx.on_loop([&] { return changes; }) == 0);
}

TEST_CASE("control socket: a group that does not exist is an error naming it and the fix; a new group is applied",
          "[control]") {
  ServerFixture fx;
  auto missing = fx.on_loop([&] { return fx.server->set_groups("mha-no-such-group", "mha-no-such-admin"); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "socket_group 'mha-no-such-group' does not exist: control socket '" + fx.path +
            "' stays root-only and mhactl works for root only; create the group (systemd-sysusers, or groupadd "
            "mha-no-such-group) and reload, or set [daemon] socket_group");
  // A reload naming a group that exists gives the socket to it.
  const group* own = ::getgrgid(::getgid());
  REQUIRE(own != nullptr);
  const std::string name = own->gr_name;
  auto applied = fx.on_loop([&] { return fx.server->set_groups(name, name); });
  CHECK(applied);
  struct stat st{};
  REQUIRE(::stat(fx.path.c_str(), &st) == 0);
  CHECK(st.st_gid == ::getgid());
  CHECK((st.st_mode & 0777) == 0660);
}

TEST_CASE("control socket: a line dribbled byte by byte is dropped at its absolute deadline", "[control]") {
  auto options = test_options(5000ms);
  options.line_timeout = 300ms;
  ServerFixture fx(options, {});
  int fd = connect_to(fx.path);
  const std::string request = "{\"id\":1,\"cmd\":\"echo\",\"pad\":\"" + std::string(200, 'x') + "\"}";
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (char c : request) {
    if (::send(fd, &c, 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(20ms);  // far more often than any idle timeout
    if (std::chrono::steady_clock::now() - start > 2s) break;
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  std::string reply = read_line(fd);
  INFO(reply);
  REQUIRE_FALSE(reply.empty());
  auto doc = json::parse(reply);
  CHECK(doc["error"]["code"] == "bad_request");
  CHECK(doc["error"]["message"] == "request line not finished within 300 ms of its first byte; closing");
  CHECK(closed_by_server(fd, 2000ms));
  CHECK((closed || elapsed < 2s));
  ::close(fd);
  // Whole lines sent slowly, one after another, are fine: each has its own deadline.
  int steady = connect_to(fx.path);
  for (int i = 0; i < 3; ++i) {
    send_all(steady, "{\"id\":" + std::to_string(i) + ",");
    std::this_thread::sleep_for(150ms);
    send_all(steady, "\"cmd\":\"echo\"}\n");
    CHECK(json::parse(read_line(steady))["id"] == i);
  }
  ::close(steady);
}

TEST_CASE("control socket: a fast writer never makes the server buffer more than a line and one read", "[control]") {
  auto options = test_options();
  options.read_per_event = 4096;
  ServerFixture fx(options, {});
  int fd = connect_to(fx.path);
  std::thread writer([fd] { send_all(fd, std::string(8 * protocol::k_max_line_bytes, 'x')); });
  auto reply = json::parse(read_line(fd));
  CHECK(reply["error"]["message"] == "request line longer than 1048576 bytes; closing");
  CHECK(closed_by_server(fd, 3000ms));
  ::close(fd);
  writer.join();
  auto peak = fx.on_loop([&] { return fx.server->peak_input_bytes(); });
  CHECK(peak > protocol::k_max_line_bytes);
  CHECK(peak <= protocol::k_max_line_bytes + 4096);
}

TEST_CASE("control socket: a pipelined flood gets busy errors beyond the per-client and per-command limits",
          "[control]") {
  auto options = test_options();
  options.max_in_flight = 3;
  Held held, checks;
  ServerFixture fx(options, [&](ControlServer& server) {
    server.add_command("hold", hold_into(held));
    server.add_command("check", hold_into(checks), CommandSpec{Access::read, 2});
  });

  SECTION("one client, more requests than max_in_flight in one write") {
    int fd = connect_to(fx.path);
    std::string flood;
    for (int i = 1; i <= 5; ++i) flood += "{\"id\":" + std::to_string(i) + ",\"cmd\":\"hold\"}\n";
    send_all(fd, flood);
    auto lines = read_lines(fd, 5);  // three progress events, two busy errors
    REQUIRE(lines.size() == 5);
    std::vector<json> busy;
    for (const auto& line : lines)
      if (line.contains("error")) busy.push_back(line);
    REQUIRE(busy.size() == 2);
    CHECK(busy[0]["id"] == 4);
    CHECK(busy[1]["id"] == 5);
    CHECK(busy[0]["error"]["code"] == "busy");
    CHECK(busy[0]["error"]["message"] ==
          "3 requests of this connection are still running (at most 3); wait for their answers before sending more");
    CHECK(fx.on_loop([&] { return held.started; }) == 3);
    // Once they are answered, the client may send again.
    fx.on_loop([&] {
      for (auto& out : held.waiting) out->ok(json::object());
      held.waiting.clear();
      return 0;
    });
    CHECK(read_lines(fd, 3).size() == 3);
    send_all(fd, "{\"id\":6,\"cmd\":\"echo\"}\n");
    CHECK(json::parse(read_line(fd))["id"] == 6);
    ::close(fd);
  }

  SECTION("check: at most two at once over all clients") {
    int a = connect_to(fx.path);
    int b = connect_to(fx.path);
    send_all(a, "{\"id\":1,\"cmd\":\"check\"}\n{\"id\":2,\"cmd\":\"check\"}\n");
    CHECK(read_lines(a, 2).size() == 2);  // both started: their progress events
    send_all(b, "{\"id\":3,\"cmd\":\"check\"}\n");
    auto refused = json::parse(read_line(b));
    CHECK(refused["id"] == 3);
    CHECK(refused["error"]["code"] == "busy");
    CHECK(refused["error"]["message"] == "'check' is already running 2 time(s), the most at once; try again when one has answered");
    CHECK(fx.on_loop([&] { return checks.started; }) == 2);
    fx.on_loop([&] {
      checks.waiting.front()->ok(json::object());
      checks.waiting.erase(checks.waiting.begin());
      return 0;
    });
    send_all(b, "{\"id\":4,\"cmd\":\"check\"}\n");
    CHECK(json::parse(read_line(b))["event"] == "phase");
    CHECK(fx.on_loop([&] { return checks.started; }) == 3);
    ::close(a);
    ::close(b);
  }
}

TEST_CASE("control socket: a client waiting for a long answer is not dropped as idle", "[control]") {
  Held held;
  ServerFixture fx(test_options(200ms), [&](ControlServer& server) { server.add_command("hold", hold_into(held)); });
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":1,\"cmd\":\"hold\"}\n");
  CHECK(json::parse(read_line(fd))["event"] == "phase");
  std::this_thread::sleep_for(700ms);  // over three idle timeouts without a byte either way
  fx.on_loop([&] {
    held.waiting.front()->ok(json{{"done", true}});
    return 0;
  });
  auto reply = json::parse(read_line(fd));
  CHECK(reply["id"] == 1);
  CHECK(reply["result"]["done"] == true);
  // Answered, it is idle again, and dropped as such.
  CHECK(closed_by_server(fd, 2000ms));
  ::close(fd);
}

TEST_CASE("control socket: a handler that loses its responder gives its slot back", "[control]") {
  auto options = test_options();
  options.max_in_flight = 1;
  int forgotten = 0;
  ServerFixture fx(options, [&](ControlServer& server) {
    server.add_command("forget", [&](const protocol::Request&, const Peer&, std::shared_ptr<Responder>) { ++forgotten; });
  });
  int fd = connect_to(fx.path);
  for (int i = 0; i < 3; ++i) {
    send_all(fd, "{\"id\":1,\"cmd\":\"forget\"}\n");
    std::this_thread::sleep_for(50ms);
  }
  send_all(fd, "{\"id\":2,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(fd))["id"] == 2);
  CHECK(fx.on_loop([&] { return forgotten; }) == 3);
  ::close(fd);
}

TEST_CASE("control socket: at max_clients the longest idle client makes room; when all wait, a new one gets busy",
          "[control]") {
  auto options = test_options(10000ms);
  options.max_clients = 3;
  Held held;
  ServerFixture fx(options, [&](ControlServer& server) { server.add_command("hold", hold_into(held)); });
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(connect_to(fx.path));
    std::this_thread::sleep_for(20ms);  // a distinct age each
  }
  int fd = connect_to(fx.path);
  send_all(fd, "{\"id\":1,\"cmd\":\"echo\"}\n");
  CHECK(json::parse(read_line(fd))["id"] == 1);
  auto evicted = json::parse(read_line(idle[0]));
  CHECK(evicted["error"]["code"] == "busy");
  CHECK(evicted["error"]["message"] ==
        "closing this connection: 3 control clients are connected (the limit) and this one was idle longest");
  CHECK(closed_by_server(idle[0], 2000ms));
  ::close(idle[0]);

  // Now every client waits for an answer: nobody can be evicted.
  for (int c : {idle[1], idle[2], fd}) {
    send_all(c, "{\"id\":2,\"cmd\":\"hold\"}\n");
    CHECK(json::parse(read_line(c))["event"] == "phase");
  }
  int turned_away = connect_to(fx.path);
  auto busy = json::parse(read_line(turned_away));
  CHECK(busy["error"]["code"] == "busy");
  CHECK(busy["error"]["message"] == "too many control clients (3), each waiting for an answer; try again later");
  CHECK(closed_by_server(turned_away, 2000ms));
  ::close(turned_away);
  for (int c : {idle[1], idle[2], fd}) ::close(c);
}
