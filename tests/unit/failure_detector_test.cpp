// The failure detector's rules, driven with hand-made opinions: the fast
// unanimous path, frozen masters, a master only the manager cannot reach,
// ambiguous timeouts that need ping_failures, and the manager cut off.
#include <catch2/catch.hpp>

#include "daemon/detection/failure_detector.h"
#include "daemon/detection/replica_host_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

using namespace mha;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  MonoTime t0 = MonoClock::now();
  ServerConfig master;
  FailureDetector detector{DetectorSettings{4, 10000ms, false}};

  Fixture() {
    master.name = "master";
    master.host = master.ip = "127.0.0.11";
    master.port = 3306;
    detector.set_expected_replicas(2);
  }

  void fail(MonoTime at, TcpState tcp, Errc code = Errc::network) {
    detector.on_manager_check(ManagerCheck{false, code, "query failed", tcp, at});
  }

  ServerObservation replica(MonoTime at, ReplicaStatus::ThreadState io, std::string heartbeats = "10",
                            unsigned io_errno = 0) {
    ServerObservation obs;
    obs.checked = obs.reachable = true;
    obs.checked_at = at;
    ReplicaStatus r;
    r.master_host = "127.0.0.11";
    r.master_port = 3306;
    r.io_running = io;
    r.sql_running = true;
    r.last_io_errno = io_errno;
    obs.replica = r;
    obs.status["Slave_received_heartbeats"] = std::move(heartbeats);
    return obs;
  }

  // Second `i` of a cut between mhad and the master: mhad's check times
  // out, SSH is silent, both IO threads are connected and hear nothing new
  // (no writes, a long heartbeat period), and each replica's host gets the
  // given TCP answer from the master's port. Then the detector judges.
  void cut_second(int i, TcpState slave1_host, TcpState slave2_host) {
    const MonoTime at = t0 + i * 1s;
    fail(at, TcpState::timeout, Errc::timeout);
    detector.on_replica("slave1", replica(at, ReplicaStatus::ThreadState::yes, "10"), master);
    detector.on_replica("slave2", replica(at, ReplicaStatus::ThreadState::yes, "10"), master);
    detector.on_replica_host("slave1", slave1_host, at);
    detector.on_replica_host("slave2", slave2_host, at);
    detector.on_host(host(at, false, std::nullopt));
    (void)detector.evaluate(at + 500ms);
  }

  HostOpinion host(MonoTime at, bool ssh_ok, std::optional<bool> listener, std::string state = "Ssl") {
    HostOpinion h;
    h.ssh_ok = ssh_ok;
    h.listener_present = listener;
    if (listener == true) h.processes.push_back({1234, state});
    if (!ssh_ok) h.ssh_error = "connect: Connection refused";
    h.at = at;
    return h;
  }
};

// No final verdict: nothing changed, or only the move to "suspect".
bool no_verdict(const std::optional<VerdictChange>& change) {
  return !change || change->verdict == Verdict::suspect;
}

}  // namespace

TEST_CASE("unanimous evidence gives 'dead' at the first failure", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::refused);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0)));  // suspect: no opinions yet
  CHECK(fx.detector.verdict() == Verdict::suspect);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 20ms, ReplicaStatus::ThreadState::connecting, "10", 2013),
                         fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 20ms, ReplicaStatus::ThreadState::connecting, "10", 2013),
                         fx.master);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 20ms)));  // the host has not answered yet
  fx.detector.on_host(fx.host(fx.t0 + 30ms, true, false));
  auto change = fx.detector.evaluate(fx.t0 + 30ms);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
  CHECK(change->since_first_failure == 30ms);
  CHECK(change->evidence.back() == "host: answers SSH; nothing listens on the server's port");
}

TEST_CASE("a replica that still hears the master makes it unreachable_from_manager, never dead", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_host(fx.host(fx.t0 + 10ms, true, true));
  // slave1 keeps receiving heartbeats; slave2 lost it.
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 1100ms, ReplicaStatus::ThreadState::yes, "11"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
  for (int i = 1; i < 4; ++i) fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 4s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::unreachable_from_manager);
  // Minutes later, still not dead while the replica hears it.
  for (int i = 4; i < 40; ++i) {
    fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
    fx.detector.on_replica("slave1", fx.replica(fx.t0 + i * 1s, ReplicaStatus::ThreadState::yes, std::to_string(11 + i)),
                           fx.master);
    CHECK(no_verdict(fx.detector.evaluate(fx.t0 + i * 1s)));
  }
  CHECK(fx.detector.verdict() == Verdict::unreachable_from_manager);
}

TEST_CASE("unreachable_from_manager turns into dead when the replicas lose the master too", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_host(fx.host(fx.t0 + 10ms, true, true));
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  for (int i = 1; i < 4; ++i) fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 2s, ReplicaStatus::ThreadState::yes, "12"), fx.master);
  REQUIRE(fx.detector.evaluate(fx.t0 + 4s)->verdict == Verdict::unreachable_from_manager);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 5s, ReplicaStatus::ThreadState::connecting), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 5s, ReplicaStatus::ThreadState::connecting), fx.master);
  auto change = fx.detector.evaluate(fx.t0 + 5s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
}

TEST_CASE("a stopped (SIGSTOP) master is dead and marked frozen", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::accepts, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 20ms, true, true, "Tsl"));
  auto change = fx.detector.evaluate(fx.t0 + 20ms);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
  CHECK(change->evidence.front() == "frozen: the port accepts connections but the server does not answer");
}

TEST_CASE("a hung master (port open, running, silent) is dead after frozen_master_timeout", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::accepts, Errc::timeout);
  fx.detector.on_host(fx.host(fx.t0 + 20ms, true, true, "Dsl"));
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.fail(fx.t0 + 4s, TcpState::accepts, Errc::timeout);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 9s)));  // 2 failures, 9 s: not yet
  auto change = fx.detector.evaluate(fx.t0 + 10s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
}

TEST_CASE("a partition that heals while the last check hangs is not a frozen master", "[detector]") {
  // mhad <-> master cut for 18 s (TCP timeouts, SSH silent, the replicas'
  // hosts reach it); the rule is removed, the port accepts at once while
  // the check in flight still hangs: "hung for frozen_master_timeout" must
  // count from the first accept, not from the first failure.
  Fixture fx;
  for (int i = 0; i < 18; ++i) fx.cut_second(i, TcpState::accepts, TcpState::accepts);
  REQUIRE(fx.detector.verdict() == Verdict::unreachable_from_manager);
  fx.detector.on_tcp_probe(TcpState::accepts, fx.t0 + 18s);
  (void)fx.detector.evaluate(fx.t0 + 18100ms);
  CHECK(fx.detector.verdict() == Verdict::unreachable_from_manager);
  // Accepting, silent and hung for a whole frozen_master_timeout: frozen.
  for (int i = 19; i <= 28; ++i) fx.fail(fx.t0 + i * 1s, TcpState::accepts, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 28100ms);
  REQUIRE(change);
  CHECK(change->frozen);
}

TEST_CASE("a hung master whose host does not answer SSH is dead_host and still marked frozen", "[detector]") {
  // The failover must know: a frozen mysqld that cannot be killed over SSH
  // may wake up writable, so it needs fencing (shutdown_script) or a human.
  Fixture fx;
  fx.fail(fx.t0, TcpState::accepts, Errc::timeout);
  fx.detector.on_host(fx.host(fx.t0 + 20ms, false, std::nullopt));
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.fail(fx.t0 + 4s, TcpState::accepts, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 10s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
  CHECK(change->evidence.front() == "frozen: the port accepts connections but the server does not answer");
}

TEST_CASE("timeouts with silent replicas need ping_failures; then dead_host when SSH fails too", "[detector]") {
  // The replicas' IO threads still look connected (no FIN came; production
  // slave_net_timeout is 60 s) but receive nothing: no opinion either way.
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 2s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 2s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 3s, false, std::nullopt));
  for (int i = 1; i < 3; ++i) fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 3s)));  // 3 failures of 4
  fx.fail(fx.t0 + 3s, TcpState::timeout, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 5s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
}

TEST_CASE("a vanished host (every replica lost it, SQL and SSH time out) is dead_host at once", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting, "10", 2003),
                         fx.master);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 10ms)));
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting, "10", 2003),
                         fx.master);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 20ms)));  // SSH has not answered yet
  fx.detector.on_host(fx.host(fx.t0 + 3s, false, std::nullopt));
  auto change = fx.detector.evaluate(fx.t0 + 3s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
  CHECK(fx.detector.failures() == 1);
}

TEST_CASE("a vanished host is dead_host only once it stayed vanished for vanished_confirm", "[detector]") {
  // A link that flaps (down 2 s, up 2 s) looked vanished for a moment.
  DetectorSettings settings{4, 10000ms, false};
  settings.vanished_confirm = 2000ms;
  Fixture fx;
  fx.detector = FailureDetector(settings);
  fx.detector.set_expected_replicas(2);
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  for (const char* name : {"slave1", "slave2"}) {
    fx.detector.on_replica(name, fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes), fx.master);
    fx.detector.on_replica_host(name, TcpState::timeout, fx.t0 + 500ms);
  }
  fx.detector.on_host(fx.host(fx.t0 + 1s, false, std::nullopt));
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 1s)));
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 1900ms)));
  auto change = fx.detector.evaluate(fx.t0 + 2s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
}

TEST_CASE("a vanished host with one replica still connected is not dead", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting, "10", 2003),
                         fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 3s, false, std::nullopt));
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 3s)));
}

TEST_CASE("replica hosts that cannot connect to the master, SSH silent: dead_host at the first failure", "[detector]") {
  // The link is cut: the IO threads still look connected (they wait for
  // slave_net_timeout), but a fresh TCP connect from each replica's host
  // times out, as does mhad's own; the host is silent on SSH.
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica_host("slave1", TcpState::timeout, fx.t0 + 10ms);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 600ms)));  // slave2's host has not answered yet
  fx.detector.on_replica_host("slave2", TcpState::timeout, fx.t0 + 10ms);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 600ms)));  // SSH to the master's host has not failed yet
  fx.detector.on_host(fx.host(fx.t0 + 1s, false, std::nullopt));
  auto change = fx.detector.evaluate(fx.t0 + 1s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
  CHECK(fx.detector.failures() == 1);
  bool named = false;
  for (const auto& e : change->evidence) named = named || e.find("TCP from its host: timeout") != std::string::npos;
  CHECK(named);
}

TEST_CASE("a master that one replica's host still connects to is never dead, only unreachable_from_manager",
          "[detector]") {
  // mhad <-> master cut only: mhad's connect and SSH time out, the IO
  // threads hear nothing new (no writes, long heartbeat period), but the
  // replicas' hosts reach the port.
  Fixture fx;
  for (int i = 0; i < 8; ++i) {
    fx.cut_second(i, TcpState::timeout, TcpState::accepts);
    CHECK(fx.detector.verdict() != Verdict::dead);
    CHECK(fx.detector.verdict() != Verdict::dead_host);
  }
  CHECK(fx.detector.verdict() == Verdict::unreachable_from_manager);
}

TEST_CASE("replicas reconnecting while mhad is cut from the master: their hosts still connect, so not dead_host",
          "[detector]") {
  // Seen in bench/partitions: the replicas' IO threads were reconnecting
  // (from an earlier cut) when mhad lost the master; SQL and SSH timed out
  // for mhad, but both replicas' hosts connected to the master's port.
  Fixture fx;
  fx.fail(fx.t0, TcpState::timeout, Errc::timeout);
  for (const char* name : {"slave1", "slave2"}) {
    fx.detector.on_replica(name, fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
    fx.detector.on_replica_host(name, TcpState::accepts, fx.t0 + 20ms);
  }
  fx.detector.on_host(fx.host(fx.t0 + 1s, false, std::nullopt));
  fx.detector.on_tcp_probe(TcpState::timeout, fx.t0 + 1s);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 1s)));
  for (int i = 1; i < 6; ++i) fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 6s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::unreachable_from_manager);
}

TEST_CASE("a frozen master is dead (frozen) although the replicas' hosts still connect to its port", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::accepts, Errc::timeout);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica_host("slave1", TcpState::accepts, fx.t0 + 10ms);
  fx.detector.on_replica_host("slave2", TcpState::accepts, fx.t0 + 10ms);
  fx.detector.on_host(fx.host(fx.t0 + 20ms, true, true, "Tl"));
  auto change = fx.detector.evaluate(fx.t0 + 20ms);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
  CHECK(change->frozen);
}

TEST_CASE("replica-host probe: command quoting and output parsing", "[detector]") {
  const std::string command = replica_host_probe_command("10.0.0.5", 3306, 800ms);
  CHECK(command.find("timeout 0.800 bash -c") == 0);
  CHECK(command.find("'10.0.0.5' '3306'") != std::string::npos);
  CHECK(parse_replica_host_probe(CommandResult{0, "mhad-tcp 0\n", ""}) == TcpState::accepts);
  CHECK(parse_replica_host_probe(CommandResult{0, "mhad-tcp 124\n", ""}) == TcpState::timeout);
  CHECK(parse_replica_host_probe(
            CommandResult{0, "bash: connect: Connection refused\nbash: line 1: /dev/tcp/10.0.0.5/3306: Connection "
                             "refused\nmhad-tcp 1\n",
                          ""}) == TcpState::refused);
  CHECK(parse_replica_host_probe(CommandResult{0, "bash: connect: No route to host\nmhad-tcp 1\n", ""}) ==
        TcpState::unreachable);
  CHECK(parse_replica_host_probe(CommandResult{0, "sh: 1: timeout: not found\nmhad-tcp 127\n", ""}) ==
        TcpState::unknown);
  CHECK(parse_replica_host_probe(CommandResult{0, "garbage", ""}) == TcpState::unknown);
}

TEST_CASE("replica-host probe: the real command through /bin/sh against a local port", "[detector]") {
  // A listening socket on loopback accepts; a closed port refuses; hostile
  // address text runs nothing.
  auto sh = [](const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    return CommandResult{WEXITSTATUS(status), out, ""};
  };
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::uint16_t port = ntohs(addr.sin_port);
  CHECK(parse_replica_host_probe(sh(replica_host_probe_command("127.0.0.1", port, 800ms))) == TcpState::accepts);
  ::close(listener);
  CHECK(parse_replica_host_probe(sh(replica_host_probe_command("127.0.0.1", port, 800ms))) == TcpState::refused);
  const auto marker = std::filesystem::temp_directory_path() / "mhad-probe-injection";
  std::filesystem::remove(marker);
  (void)sh(replica_host_probe_command("$(touch " + marker.string() + ")`touch " + marker.string() + "`", port, 300ms));
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("no verdict while no replica answers the manager either", "[detector]") {
  Fixture fx;
  ServerObservation unreachable;
  unreachable.checked = true;
  unreachable.checked_at = fx.t0 + 10ms;
  for (int i = 0; i < 8; ++i) fx.fail(fx.t0 + i * 1s, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", unreachable, fx.master);
  fx.detector.on_replica("slave2", unreachable, fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 10ms, false, std::nullopt));
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 20s)));
  CHECK(fx.detector.verdict() == Verdict::suspect);
}

TEST_CASE("mhad isolated from every server, then healed: the first replica to answer finds no count to confirm",
          "[detector]") {
  // Seen in the netns partition test: every host dropped mhad's packets for
  // 20 s (4 failures, no replica answered, SSH silent); at the heal one
  // replica answered "connected but hears nothing" (slow heartbeats) just
  // before the master did, and that was taken as the whole count confirmed.
  Fixture fx;
  ServerObservation unreachable;
  unreachable.checked = true;
  unreachable.checked_at = fx.t0 + 10ms;
  for (int i = 0; i < 6; ++i) fx.fail(fx.t0 + i * 3s, TcpState::timeout, Errc::timeout);
  fx.detector.on_replica("slave1", unreachable, fx.master);
  fx.detector.on_replica("slave2", unreachable, fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 1s, false, std::nullopt));
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 18s)));
  SECTION("the replica answers first, the TCP probe still says timeout") {
    fx.detector.on_replica("slave2", fx.replica(fx.t0 + 19s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
    CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 19s)));
  }
  SECTION("the port accepts again, then the replica answers") {
    fx.detector.on_tcp_probe(TcpState::accepts, fx.t0 + 19s);
    fx.detector.on_replica("slave2", fx.replica(fx.t0 + 19s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
    CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 19s)));
  }
  // Failures seen while the replica answers count again: a master that
  // stays away is still counted out.
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 19s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 19s, ReplicaStatus::ThreadState::yes, "10"), fx.master);
  fx.detector.on_tcp_probe(TcpState::timeout, fx.t0 + 19s);
  for (int i = 0; i < 2; ++i) fx.fail(fx.t0 + 20s + i * 1s, TcpState::timeout, Errc::timeout);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 22s)));  // 1 + 2 witnessed of 4
  fx.fail(fx.t0 + 22s, TcpState::timeout, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 22s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead_host);
  CHECK(change->evidence.front().find("9 failed check(s), 4 while a replica answered") != std::string::npos);
}

TEST_CASE("a master whose queries hang but which still sends its handshake is never dead nor frozen",
          "[detector]") {
  // Seen in bench/partitions (master <-> replicas cut, semi-sync on): the
  // master's queries waited on the semi-sync ACK, mhad's checks overran,
  // the replicas lost it and their hosts could not connect; after
  // frozen_master_timeout it was declared frozen and killed. Its
  // handshake to a new connection still came at once.
  Fixture fx;
  fx.fail(fx.t0, TcpState::unknown, Errc::timeout);  // overran
  for (const char* name : {"slave1", "slave2"}) {
    fx.detector.on_replica(name, fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
    fx.detector.on_replica_host(name, TcpState::timeout, fx.t0 + 20ms);
  }
  fx.detector.on_host(fx.host(fx.t0 + 100ms, true, true, "Ssl"));
  fx.detector.on_tcp_probe(TcpState::greets, fx.t0 + 100ms);
  std::optional<VerdictChange> last;
  for (int i = 1; i < 30; ++i) {
    fx.fail(fx.t0 + i * 1s, TcpState::unknown, Errc::timeout);
    if (auto change = fx.detector.evaluate(fx.t0 + i * 1s)) last = change;
    CHECK(fx.detector.verdict() != Verdict::dead);
    CHECK(fx.detector.verdict() != Verdict::dead_host);
  }
  REQUIRE(last);
  CHECK(last->verdict == Verdict::unreachable_from_manager);
  CHECK_FALSE(last->frozen);
  CHECK(last->evidence.front().find("TCP greets") != std::string::npos);
  // The same without the handshake (SIGSTOP-like, port accepting): frozen.
  fx.detector.on_tcp_probe(TcpState::accepts, fx.t0 + 30s);
  fx.fail(fx.t0 + 31s, TcpState::unknown, Errc::timeout);
  auto change = fx.detector.evaluate(fx.t0 + 41s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::dead);
  CHECK(change->frozen);
}

TEST_CASE("too many connections and access denied prove the master runs", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::accepts, Errc::too_many_connections);
  fx.fail(fx.t0 + 1s, TcpState::accepts, Errc::auth);
  CHECK_FALSE(fx.detector.suspect());
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 2s)));
}

TEST_CASE("opinions older than the suspicion do not count", "[detector]") {
  Fixture fx;
  fx.detector.on_host(fx.host(fx.t0 - 1s, true, false));  // before the failure: ignored
  fx.fail(fx.t0, TcpState::refused);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 - 500ms, ReplicaStatus::ThreadState::connecting), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 10ms)));
}

TEST_CASE("a recovered master is reported alive once, then healthy again", "[detector]") {
  Fixture fx;
  fx.fail(fx.t0, TcpState::refused);
  fx.detector.on_replica("slave1", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
  fx.detector.on_replica("slave2", fx.replica(fx.t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
  fx.detector.on_host(fx.host(fx.t0 + 10ms, true, false));
  REQUIRE(fx.detector.evaluate(fx.t0 + 10ms)->verdict == Verdict::dead);
  fx.detector.on_manager_check(ManagerCheck{true, Errc::internal, "", TcpState::unknown, fx.t0 + 5s});
  auto change = fx.detector.evaluate(fx.t0 + 5s);
  REQUIRE(change);
  CHECK(change->verdict == Verdict::alive);
  CHECK(no_verdict(fx.detector.evaluate(fx.t0 + 6s)));
}

TEST_CASE("host probe output: listener on the address, wildcard, stopped process", "[detector]") {
  std::string out =
      "LISTEN 0 80 127.0.0.12:3306 0.0.0.0:* users:((\"mariadbd\",pid=200,fd=21))\n"
      "LISTEN 0 80 127.0.0.11:3306 0.0.0.0:* users:((\"mariadbd\",pid=100,fd=21))\n"
      "--mhad--\n"
      "pid 100 Tsl\n"
      "pid 200 Ssl\n";
  auto h = parse_host_probe(out, "127.0.0.11", 3306);
  CHECK(h.listener_present == true);
  REQUIRE(h.processes.size() == 1);
  CHECK(h.processes[0].pid == 100);
  CHECK(h.process_stopped());

  auto gone = parse_host_probe("LISTEN 0 80 127.0.0.12:3306 0.0.0.0:* users:((\"mariadbd\",pid=200,fd=21))\n--mhad--\n",
                               "127.0.0.11", 3306);
  CHECK(gone.listener_present == false);

  auto wildcard = parse_host_probe("LISTEN 0 80 0.0.0.0:3306 0.0.0.0:* users:((\"mariadbd\",pid=7,fd=21))\n--mhad--\npid 7 Ssl\n",
                                   "10.231.0.11", 3306);
  CHECK(wildcard.listener_present == true);
  CHECK_FALSE(wildcard.process_stopped());
  auto v6 = parse_host_probe("LISTEN 0 80 [::]:3306 [::]:*\n--mhad--\n", "10.231.0.11", 3306);
  CHECK(v6.listener_present == true);
}

TEST_CASE("secondary_check_script: 0 agrees, 2 holds the verdict back, 3 means reachable", "[detector]") {
  auto unanimous = [](FailureDetector& d, MonoTime t0, Fixture& fx) {
    d.set_expected_replicas(2);
    d.on_manager_check(ManagerCheck{false, Errc::network, "lost", TcpState::refused, t0});
    d.on_replica("slave1", fx.replica(t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
    d.on_replica("slave2", fx.replica(t0 + 10ms, ReplicaStatus::ThreadState::connecting), fx.master);
    d.on_host(fx.host(t0 + 10ms, true, false));
  };
  Fixture fx;
  SECTION("exit 0: dead") {
    FailureDetector d(DetectorSettings{4, 10000ms, true});
    unanimous(d, fx.t0, fx);
    CHECK(no_verdict(d.evaluate(fx.t0 + 20ms)));  // waits for the script
    d.on_secondary_script(0, fx.t0 + 30ms);
    auto change = d.evaluate(fx.t0 + 40ms);
    REQUIRE(change);
    CHECK(change->verdict == Verdict::dead);
  }
  SECTION("exit 2: a route problem, no verdict") {
    FailureDetector d(DetectorSettings{4, 10000ms, true});
    unanimous(d, fx.t0, fx);
    d.on_secondary_script(2, fx.t0 + 30ms);
    CHECK(no_verdict(d.evaluate(fx.t0 + 40ms)));
  }
  SECTION("exit 3: another route reaches the master") {
    FailureDetector d(DetectorSettings{1, 10000ms, true});
    unanimous(d, fx.t0, fx);
    d.on_secondary_script(3, fx.t0 + 30ms);
    auto change = d.evaluate(fx.t0 + 40ms);
    REQUIRE(change);
    CHECK(change->verdict == Verdict::unreachable_from_manager);
  }
}
