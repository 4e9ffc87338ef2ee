// DaemonApp's glue, in-process: the real loop, pool, control socket and
// state store, the scripted cluster behind the seams. A master that dies is
// judged dead by the monitor and DaemonApp starts the failover on its own;
// the socket then reports it; in maintenance it does not.
#include "daemon/app/daemon_app.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct AppFixture {
  FakeCluster cluster{FlavorKind::mariadb, 2};
  std::filesystem::path dir;
  std::unique_ptr<DaemonApp> app;
  std::thread thread;

  AppFixture() {
    log_set_level(LogLevel::error);
    char tmpl[] = "/tmp/mhad-app-test-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cluster.config.ping_interval = 100ms;
    cluster.config.ping_failures = 2;
    cluster.config.min_failover_interval = 0ms;
  }
  ~AppFixture() {
    if (app) {
      app->stop();
      if (thread.joinable()) thread.join();
    }
    std::filesystem::remove_all(dir);
  }
  std::string socket() const { return (dir / "mhad.sock").string(); }
  // The configuration start() gives the app, as files too, for a reload
  // (the daemon reads them again); the seams stay the scripted cluster.
  void write_config_files() const {
    std::filesystem::create_directories(dir / "clusters.d");
    auto secret = [&](const std::string& name, const std::string& value) {
      const auto path = dir / name;
      std::ofstream(path) << value << "\n";
      std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      return path.string();
    };
    std::ofstream(dir / "mhad.toml") << "[daemon]\nsocket = \"" << socket() << "\"\nstate_dir = \""
                                     << (dir / "state").string()
                                     << "\"\nadmin_group = \"root\"\nworker_threads = 4\n";
    std::ofstream out(dir / "clusters.d" / (cluster.config.name + ".toml"));
    out << "user = \"" << cluster.config.user << "\"\npassword_file = \""
        << secret("mha.password", std::string(cluster.config.password.reveal())) << "\"\nrepl_user = \""
        << cluster.config.repl_user << "\"\nrepl_password_file = \""
        << secret("repl.password", std::string(cluster.config.repl_password.reveal()))
        << "\"\nping_interval = \"100ms\"\nping_failures = 2\nmin_failover_interval = \"0s\"\n";
    for (const auto& server : cluster.config.servers)
      out << "\n[[server]]\nname = \"" << server.name << "\"\nhost = \"" << server.host << "\"\n"
          << (server.candidate_master ? "candidate_master = true\n" : "");
  }
  void start() {
    Config config;
    config.main_file = dir / "mhad.toml";
    config.daemon.socket = socket();
    config.daemon.state_dir = (dir / "state").string();
    config.daemon.admin_group = "root";
    config.daemon.worker_threads = 4;
    config.clusters.push_back(cluster.config);
    Seams seams;
    seams.make_sql = [this] { return cluster.make_sql(); };
    seams.make_shell = [this](const SshEndpoint& e) -> std::unique_ptr<RemoteShell> {
      for (const auto& s : cluster.config.servers)
        if (s.ssh_host == e.host) return cluster.make_shell(s);
      return nullptr;
    };
    seams.tcp_probe = [](const std::string&, std::uint16_t, std::chrono::milliseconds) { return TcpState::refused; };
    app = std::make_unique<DaemonApp>(dir / "mhad.toml", std::move(config), std::move(seams));
    thread = std::thread([this] { app->run(); });
    REQUIRE(wait([&] { return !request({{"id", 1}, {"cmd", "version"}}).is_null(); }, 5s));
  }
  json request(const json& rq) const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return nullptr;
    }
    const std::string line = rq.dump() + "\n";
    (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    std::string reply;
    char c;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      if (::read(fd, &c, 1) != 1) break;
      if (c != '\n') {
        reply += c;
        continue;
      }
      auto doc = json::parse(reply, nullptr, false);
      reply.clear();
      if (!doc.is_discarded() && doc.contains("event")) continue;
      ::close(fd);
      return doc.is_discarded() ? json(nullptr) : doc;
    }
    ::close(fd);
    return nullptr;
  }
  json cluster_status() const {
    auto r = request({{"id", 2}, {"cmd", "status"}});
    if (!r.is_object() || r.value("ok", false) != true) return nullptr;
    return r["result"]["clusters"][0];
  }
  static bool wait(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return done();
  }
};

}  // namespace

TEST_CASE("daemon: the monitor's dead verdict starts the failover; status reports it and the new master",
          "[daemon]") {
  AppFixture fx;
  fx.start();
  REQUIRE(AppFixture::wait([&] { return fx.cluster_status().value("health", "") == "ok"; }, 5s));
  fx.cluster.kill("master");
  json last;
  REQUIRE(AppFixture::wait([&] {
    auto c = fx.cluster_status();
    if (!c.is_object()) return false;
    last = c.value("last_failover", json(nullptr));
    return !last.is_null();
  }, 10s));
  INFO(last.dump(2));
  CHECK(last["old_master"] == "master");
  CHECK(last["new_master"] == "slave1");
  CHECK((last["result"] == "completed" || last["result"] == "completed_with_errors"));
  {
    std::lock_guard lock(fx.cluster.mutex);
    CHECK_FALSE(fx.cluster.server("slave1").read_only);
  }
  REQUIRE(AppFixture::wait([&] { return fx.cluster_status().value("master", "") == "slave1"; }, 5s));
  CHECK(fx.cluster_status()["awaiting_rejoin"] == json::array({"master"}));
}

TEST_CASE("daemon: in maintenance the dead verdict starts nothing", "[daemon]") {
  AppFixture fx;
  fx.start();
  REQUIRE(AppFixture::wait([&] { return fx.cluster_status().value("health", "") == "ok"; }, 5s));
  auto on = fx.request({{"id", 3}, {"cmd", "maintenance"}, {"mode", "on"}, {"reason", "test"}});
  REQUIRE(on.value("ok", false));
  fx.cluster.kill("master");
  REQUIRE(AppFixture::wait([&] {
    auto v = fx.cluster_status()["detection"].value("verdict", "");
    return v == "dead" || v == "dead_host";
  }, 10s));
  std::this_thread::sleep_for(500ms);
  CHECK(fx.cluster_status()["last_failover"].is_null());
  std::lock_guard lock(fx.cluster.mutex);
  CHECK(fx.cluster.server("slave1").read_only);
}

TEST_CASE("daemon: a reload during a switchover: the switchover stays the one operation and runs to its end, the "
          "reloaded monitor does not judge the master meanwhile",
          "[daemon]") {
  AppFixture fx;
  fx.write_config_files();
  fx.start();
  REQUIRE(AppFixture::wait([&] { return fx.cluster_status().value("health", "") == "ok"; }, 5s));
  {
    // The target's catch-up takes 1.5 s and then fails: the switchover is
    // running when the reload comes, and ends rolled back.
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("slave1").hang_on["SELECT MASTER_GTID_WAIT"] = 1500ms;
  }
  json switched;
  std::thread client([&] { switched = fx.request({{"id", 7}, {"cmd", "switchover"}, {"cluster", "app1"},
                                                  {"to", "slave1"}}); });
  REQUIRE(AppFixture::wait([&] { return !fx.cluster_status().value("operation_running", json()).is_null(); }, 3s));
  auto reloaded = fx.request({{"id", 8}, {"cmd", "reload"}});
  INFO(reloaded.dump());
  CHECK(reloaded.value("ok", false));
  // The new monitor knows the switchover is running, and the master; a
  // second operation is refused.
  CHECK_FALSE(fx.cluster_status().value("operation_running", json()).is_null());
  CHECK(fx.cluster_status()["master"] == "master");
  auto second = fx.request({{"id", 9}, {"cmd", "failover"}, {"cluster", "app1"}});
  CHECK_FALSE(second.value("ok", true));
  client.join();
  INFO(switched.dump());
  CHECK(switched.value("ok", true) == false);
  CHECK(switched["error"]["code"] == "rolled_back");
  REQUIRE(AppFixture::wait([&] { return fx.cluster_status().value("operation_running", json(1)).is_null(); }, 3s));
  auto status = fx.cluster_status();
  CHECK(status["master"] == "master");
  CHECK(status["last_failover"].is_null());
  {
    std::lock_guard lock(fx.cluster.mutex);
    CHECK_FALSE(fx.cluster.server("master").read_only);
    CHECK(fx.cluster.server("slave1").read_only);
  }
}
