// The monitor's glue, driven in-process: a real event loop and worker pool,
// the scripted cluster behind the SQL and SSH seams and a fake TCP probe.
// A failed check makes the master suspect, the opinion round asks the
// replicas, the host and the port, and the verdict comes out once, with its
// evidence; a master only mhad cannot reach is never called dead; a fenced
// old master back writable is handed to the daemon to fence.
#include "daemon/app/cluster_monitor.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

#include <thread>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;

namespace {

struct MonitorFixture {
  FakeCluster cluster{FlavorKind::mariadb, 2};
  EventLoop loop;
  WorkerPool pool{4};
  Seams seams;
  TcpState tcp = TcpState::refused;
  std::vector<VerdictEvent> verdicts;
  std::vector<std::string> fence_requests;
  std::vector<bool> fence_vip;  // whether each request asked for the VIP too
  std::shared_ptr<ClusterMonitor> monitor;

  MonitorFixture() {
    log_set_level(LogLevel::error);
    REQUIRE(loop.init({}));
    cluster.config.ping_interval = 100ms;
    cluster.config.ping_failures = 2;
    seams.make_sql = [this] { return cluster.make_sql(); };
    seams.make_shell = [this](const SshEndpoint& e) -> std::unique_ptr<RemoteShell> {
      for (const auto& s : cluster.config.servers)
        if (s.ssh_host == e.host) return cluster.make_shell(s);
      return nullptr;
    };
    seams.tcp_probe = [this](const std::string&, std::uint16_t, std::chrono::milliseconds) { return tcp; };
  }
  ~MonitorFixture() {
    if (monitor) monitor->stop();
    // A job still waiting on a hung fake server must end before the cluster
    // and the pool go away.
    REQUIRE(pool.shutdown(10s));
  }
  void start() {
    monitor = std::make_shared<ClusterMonitor>(loop, pool, seams, cluster.config);
    monitor->on_verdict = [this](const VerdictEvent& e) { verdicts.push_back(e); };
    monitor->on_fence_needed = [this](const std::string& server, bool, bool vip) {
      fence_requests.push_back(server);
      fence_vip.push_back(vip);
    };
    monitor->start();
  }
  // After a failover to slave1: slave1 writable, the old master back
  // writable and fenced; the monitor started on that topology.
  void start_failed_over_to_slave1() {
    {
      std::lock_guard lock(cluster.mutex);
      auto& s1 = cluster.server("slave1");
      s1.configured = false;
      s1.io = "No";
      s1.sql_running = false;
      s1.read_only = false;
      cluster.server("slave2").master_host = s1.host;
    }
    start();
    monitor->restore_master("slave1");
    monitor->set_fenced({"master"});
  }
  // Runs the loop until `done` or `limit`. Both timers are cancelled before
  // returning: they refer to this call's locals, and a later run would fire
  // them (ASan: stack-use-after-scope; and an early stop of that run).
  void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    TimerId next_poll = 0;
    std::function<void()> poll = [&] {
      if (done()) return loop.stop();
      next_poll = loop.after(20ms, poll);
    };
    next_poll = loop.after(20ms, poll);
    const TimerId stop_at = loop.after(limit, [&] { loop.stop(); });
    loop.run();
    loop.cancel(next_poll);
    loop.cancel(stop_at);
  }
};

}  // namespace

TEST_CASE("monitor: a killed master is declared dead once, with evidence; a healthy one never", "[monitor]") {
  MonitorFixture fx;
  fx.start();
  fx.run_until([&] { return false; }, 600ms);
  CHECK(fx.verdicts.empty());  // healthy: no verdict at all
  REQUIRE(fx.monitor->master() == std::optional<std::size_t>(0));
  CHECK(fx.monitor->health() == ClusterHealth::ok);

  fx.cluster.kill("master");  // refused, replicas' IO threads connecting (takes the cluster's lock)
  fx.run_until([&] { return !fx.verdicts.empty(); }, 5s);
  REQUIRE(fx.verdicts.size() == 1);
  const auto& v = fx.verdicts[0];
  CHECK(v.server == "master");
  CHECK((v.verdict == Verdict::dead || v.verdict == Verdict::dead_host));
  CHECK_FALSE(v.evidence.empty());
  CHECK(fx.monitor->verdict() == v.verdict);
  // Still dead a while later: reported once, not every cycle.
  fx.run_until([&] { return false; }, 400ms);
  CHECK(fx.verdicts.size() == 1);
}

TEST_CASE("monitor: a master that only mhad cannot reach is unreachable_from_manager, never dead", "[monitor]") {
  MonitorFixture fx;
  fx.start();
  fx.run_until([&] { return fx.monitor->master().has_value(); }, 2s);
  {
    std::lock_guard lock(fx.cluster.mutex);
    // Every statement of mhad's times out, new connections too; the
    // replicas' IO threads still hear the master.
    fx.cluster.server("master").connect_error = Error{Errc::timeout, "connect timed out"};
    fx.cluster.server("master").fail[""] = Error{Errc::timeout, "read timed out"};
  }
  fx.tcp = TcpState::timeout;
  fx.run_until([&] { return !fx.verdicts.empty() && fx.verdicts.back().verdict != Verdict::suspect; }, 5s);
  fx.run_until([&] { return false; }, 500ms);
  REQUIRE_FALSE(fx.verdicts.empty());
  for (const auto& v : fx.verdicts) {
    CHECK(v.verdict != Verdict::dead);
    CHECK(v.verdict != Verdict::dead_host);
  }
  CHECK(fx.monitor->verdict() == Verdict::unreachable_from_manager);
}

TEST_CASE("monitor: a fenced old master seen writable is handed to the daemon to fence, never made master",
          "[monitor]") {
  MonitorFixture fx;
  fx.start_failed_over_to_slave1();
  fx.run_until([&] { return !fx.fence_requests.empty(); }, 2s);
  REQUIRE_FALSE(fx.fence_requests.empty());
  CHECK(fx.fence_requests.front() == "master");
  CHECK(fx.monitor->master() == std::optional<std::size_t>(1));
  // The monitor itself changed nothing on the server.
  CHECK(fx.cluster.actions("master").empty());
}

TEST_CASE("monitor: a fenced old master back writable gets its VIP taken off too, before any VIP look",
          "[monitor]") {
  MonitorFixture fx;
  fx.cluster.config.vip = VipConfig{"10.0.0.100/24", "eth0", false};
  fx.start_failed_over_to_slave1();
  fx.run_until([&] { return !fx.fence_requests.empty(); }, 2s);
  REQUIRE_FALSE(fx.fence_requests.empty());
  CHECK(fx.fence_requests.front() == "master");
  // The first request, before the monitor has seen where the VIP is.
  CHECK(fx.fence_vip.front());
}

TEST_CASE("monitor: a server that is not the master and holds the VIP gets it taken off; the master keeps it",
          "[monitor]") {
  MonitorFixture fx;
  fx.cluster.config.vip = VipConfig{"10.0.0.100/24", "eth0", false};
  SECTION("the master holds it") {
    fx.start();
    fx.run_until([&] { return fx.monitor->status(MonoClock::now())["vip"]["holder"] == "master"; }, 3s);
    CHECK(fx.monitor->status(MonoClock::now())["vip"]["holder"] == "master");
    fx.run_until([&] { return false; }, 1s);
    CHECK(fx.fence_requests.empty());
  }
  SECTION("a replica holds it (an old master rejoined before the VIP look saw it)") {
    {
      std::lock_guard lock(fx.cluster.mutex);
      fx.cluster.vip_holder = "slave2";
    }
    fx.start();
    fx.run_until([&] { return !fx.fence_requests.empty(); }, 3s);
    REQUIRE_FALSE(fx.fence_requests.empty());
    CHECK(fx.fence_requests.front() == "slave2");
    CHECK(fx.fence_vip.front());
  }
}

TEST_CASE("monitor: a master check that does not answer within ping_interval counts as failed at once",
          "[monitor]") {
  MonitorFixture fx;
  fx.cluster.config.ping_failures = 4;
  fx.start();
  fx.run_until([&] { return fx.monitor->master().has_value(); }, 2s);
  REQUIRE(fx.monitor->verdict() == Verdict::healthy);
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang = 1500ms;  // each statement takes 1.5 s, then times out
  }
  const auto hung_at = std::chrono::steady_clock::now();
  fx.run_until([&] { return fx.monitor->verdict() == Verdict::suspect; }, 1400ms);
  const auto took = std::chrono::steady_clock::now() - hung_at;
  INFO(fx.monitor->evidence().size());
  CHECK(fx.monitor->verdict() == Verdict::suspect);
  CHECK(took < 800ms);  // within about two ping intervals, long before the 1.5 s read timeout
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang = 0ms;
  }
}

TEST_CASE("monitor: ping_type connect: a master that greets no new client but answers a kept connection is not "
          "frozen; one that answers neither is",
          "[monitor]") {
  // After a master <-> replicas partition heals, MariaDB greets no new
  // client for 10 s and more while kept connections answer; the replicas'
  // IO threads are reconnecting meanwhile. A connect ping alone would see
  // "the port accepts, nothing more" and the frozen rule would kill it.
  MonitorFixture fx;
  fx.cluster.config.ping_type = PingType::connect;
  fx.cluster.config.frozen_master_timeout = 500ms;
  fx.start();
  fx.run_until([&] { return fx.monitor->master().has_value(); }, 2s);
  fx.run_until([&] { return false; }, 300ms);  // a good check or two: the witness is connected
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").connect_error = Error{Errc::timeout, "handshake: reading initial communication packet"};
    for (const char* r : {"slave1", "slave2"}) {
      auto& s = fx.cluster.server(r);
      s.io = "Connecting";
      s.last_io_errno = 2013;
      s.last_io_error = "Lost connection to server at 'handshake: reading initial communication packet'";
    }
  }
  fx.tcp = TcpState::accepts;
  fx.run_until([&] { return false; }, 1500ms);  // 3 x frozen_master_timeout
  INFO(fx.monitor->evidence().size());
  CHECK(fx.verdicts.size() <= 1);
  for (const auto& v : fx.verdicts) CHECK(v.verdict == Verdict::unreachable_from_manager);
  CHECK(fx.monitor->verdict() != Verdict::dead);

  // Frozen for real: the kept connection hangs too. Then it is dead.
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang = 300ms;
  }
  fx.run_until([&] { return fx.monitor->verdict() == Verdict::dead; }, 4s);
  CHECK(fx.monitor->verdict() == Verdict::dead);
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang = 0ms;
  }
}

TEST_CASE("monitor: a SHOW SLAVE HOSTS that hangs does not fail the master's check", "[monitor]") {
  // After a master <-> replicas partition heals, MariaDB holds SHOW SLAVE
  // HOSTS and every new connection until the replicas' old dump threads
  // die, while queries on kept connections answer: the master is alive.
  MonitorFixture fx;
  fx.start();
  fx.run_until([&] { return fx.monitor->master().has_value(); }, 2s);
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang_on["SHOW SLAVE HOSTS"] = 1500ms;
    fx.cluster.server("master").connect_error = Error{Errc::timeout, "handshake: reading initial communication packet"};
    fx.cluster.server("master").replica_hosts = {{9, "10.0.0.9"}};
  }
  fx.tcp = TcpState::accepts;
  fx.run_until([&] { return false; }, 2s);
  CHECK(fx.verdicts.empty());
  CHECK(fx.monitor->verdict() == Verdict::healthy);
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("master").hang_on.clear();
    fx.cluster.server("master").connect_error.reset();
  }
  // Once it answers again, its rows still reach the topology warnings.
  auto unknown_reported = [&] {
    auto problems = fx.monitor->status(MonoClock::now())["topology_problems"];
    for (const auto& p : problems)
      if (p.get<std::string>().find("server_id 9") != std::string::npos) return true;
    return false;
  };
  fx.run_until(unknown_reported, 6s);  // read every 30 cycles (3 s here)
  CHECK(unknown_reported());
  CHECK(fx.verdicts.empty());
}

TEST_CASE("monitor: a lent SSH session is given back by server name; a name no longer configured is refused",
          "[monitor]") {
  MonitorFixture fx;
  int shells_made = 0;
  auto make = fx.seams.make_shell;
  fx.seams.make_shell = [&](const SshEndpoint& e) {
    ++shells_made;
    return make(e);
  };
  fx.start();
  const int at_start = shells_made;
  auto lent = fx.monitor->lend_shell(0);
  REQUIRE(lent);
  SECTION("by name: a fresh session for that server") {
    CHECK(fx.monitor->return_shell("master"));
    CHECK(shells_made == at_start + 1);
    CHECK(fx.monitor->return_shell("master"));  // it has one again: nothing more made
    CHECK(shells_made == at_start + 1);
  }
  SECTION("a server a reload removed (or an index past the new list): false, nothing indexed") {
    CHECK_FALSE(fx.monitor->return_shell("old-master-removed-by-reload"));
    CHECK(shells_made == at_start);
  }
}

TEST_CASE("monitor: a session a look of the monitor is still using is lent all the same, and stays with the borrower",
          "[monitor]") {
  // The failover that a verdict starts often finds the master's session in
  // the monitor's next look: lending it then saves the salvage a new login.
  MonitorFixture fx;
  int shells_made = 0;
  auto make = fx.seams.make_shell;
  fx.seams.make_shell = [&](const SshEndpoint& e) {
    ++shells_made;
    return make(e);
  };
  fx.cluster.ssh_slow[fx.cluster.config.servers[0].name] = 600ms;
  fx.start();
  const int at_start = shells_made;
  auto a_look_runs = [&] {
    std::lock_guard lock(fx.cluster.mutex);
    return fx.cluster.ssh_started[fx.cluster.config.servers[0].name] > 0;
  };
  fx.run_until(a_look_runs, 3s);
  REQUIRE(a_look_runs());
  auto lent = fx.monitor->lend_shell(0);
  REQUIRE(lent);
  // The borrower runs a command on it; it waits for the look's command.
  std::thread borrower([lent] { (void)lent->run("true", 2s); });
  fx.run_until([] { return false; }, 1500ms);  // the look ends meanwhile
  borrower.join();
  // The look's end did not put it back: nothing to lend until it is returned.
  CHECK_FALSE(fx.monitor->lend_shell(0));
  CHECK(fx.monitor->return_shell("master"));
  CHECK(shells_made == at_start + 1);
  CHECK(fx.monitor->lend_shell(0));
}

TEST_CASE("monitor: with ping_type = insert, a standby's checks only read; the active one writes the heartbeat",
          "[monitor]") {
  MonitorFixture fx;
  fx.cluster.config.ping_type = PingType::insert;
  auto heartbeats = [&] {
    std::lock_guard lock(fx.cluster.mutex);
    int n = 0;
    for (const auto& e : fx.cluster.server("master").log)
      if (e.sql == Flavor::heartbeat_write_sql()) ++n;
    return n;
  };
  auto writes_anywhere = [&] {
    std::lock_guard lock(fx.cluster.mutex);
    int n = 0;
    for (const auto& s : fx.cluster.servers)
      for (const auto& e : s.log)
        if (e.sql.rfind("INSERT", 0) == 0 || e.sql.rfind("CREATE", 0) == 0) ++n;
    return n;
  };
  fx.start();
  fx.monitor->set_writes_allowed(false);  // a standby (coordination = "etcd")
  fx.run_until([&] { return false; }, 600ms);
  REQUIRE(fx.monitor->master() == std::optional<std::size_t>(0));
  CHECK(writes_anywhere() == 0);
  CHECK(fx.verdicts.empty());  // the master is still checked (SELECT), and healthy

  fx.monitor->set_writes_allowed(true);  // it became the active instance
  fx.run_until([&] { return heartbeats() >= 2; }, 1s);
  CHECK(heartbeats() >= 2);
}
