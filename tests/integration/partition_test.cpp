// Speed must not buy false failovers: each partition of bench/partitions,
// once, on a netns sandbox with the replicas' heartbeats slowed to 30 s (as
// production's default slave_net_timeout / 2), so that the replicas' IO
// threads prove nothing and only the other opinions (the replicas' hosts,
// SSH) keep mhad from failing over; the master <-> replicas cut runs under
// a write load through the VIP, and is watched after its heal too. Every partition is
// undone by the test, also when it fails. The slow master (tc netem delay
// 800 ms in the issue) runs through the sandbox's delay relay, since this
// machine's kernel has no netem qdisc ("Specified qdisc kind is unknown").
// The flapping link cycles 5 times here (the bench: 15). "mhad isolated from
// every server" once ended in a false dead_host at the heal: the first
// replica to answer again found a full count of failures nobody had seen
// (the detector now counts only failures seen while a replica answered).
#include <catch2/catch.hpp>

#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "integration/failover_support.h"
#include "integration/netns_support.h"
#include "tests/sandbox/delay_proxy.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Runs `undo` when it leaves scope: a partition never outlives its test.
struct Undo {
  std::function<void()> undo;
  ~Undo() {
    if (undo) undo();
  }
};

// Watches mhad for `how_long`: every verdict seen, and whether any server
// other than the master became writable.
struct Watch {
  std::set<std::string> verdicts;
  bool failed_over = false;
};

Watch watch(Mhad& mhad, std::chrono::seconds how_long) {
  Watch w;
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    auto s = mhad.status();
    if (s.is_object()) {
      w.verdicts.insert(verdict_of(s));
      if (!s["clusters"][0]["last_failover"].is_null()) w.failed_over = true;
    }
    std::this_thread::sleep_for(250ms);
  }
  return w;
}

void slow_heartbeats() {
  for (int i = 1; i <= 2; ++i)
    sql(i, "STOP SLAVE; CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 30; START SLAVE");
}

}  // namespace

TEST_CASE("netns partitions: none of them fails over (mhad <-> master, mhad <-> a replica, master <-> replicas, "
          "mhad isolated, the master's link flapping)",
          "[integration][netns][partition]") {
  NetnsSandbox sandbox;
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  slow_heartbeats();
  const std::string manager = sandbox.env.at("MHA_SANDBOX_MANAGER_ADDR");
  auto in_ns = [&](int host, const std::string& command) {
    return run("ip netns exec " + sandbox.ns(host) + " " + command).exit_code == 0;
  };
  auto healthy_again = [&] {
    return wait_until(30s, [&] {
      auto s = mhad.status();
      return s.is_object() && s["clusters"][0]["health"] == "ok" &&
             (verdict_of(s) == "healthy" || verdict_of(s) == "alive");
    });
  };

  SECTION("mhad <-> the master's host cut (SQL and SSH): unreachable_from_manager, the replicas' hosts reach it") {
    const std::string rule = "INPUT -s " + manager + " -j DROP";
    REQUIRE(in_ns(0, "iptables -I " + rule));
    Undo undo{[&] { in_ns(0, "iptables -D " + rule); }};
    Watch w = watch(mhad, 20s);
    INFO(mhad.log());
    CHECK_FALSE(w.failed_over);
    CHECK_FALSE(w.verdicts.count("dead"));
    CHECK_FALSE(w.verdicts.count("dead_host"));
    CHECK(verdict_of(mhad.status()) == "unreachable_from_manager");
    CHECK(mhad.log().find("TCP from its host: accepts") != std::string::npos);
  }
  SECTION("mhad <-> one replica cut: no verdict about the master") {
    const std::string rule = "INPUT -s " + manager + " -j DROP";
    REQUIRE(in_ns(1, "iptables -I " + rule));
    Undo undo{[&] { in_ns(1, "iptables -D " + rule); }};
    Watch w = watch(mhad, 15s);
    CHECK_FALSE(w.failed_over);
    CHECK(w.verdicts == std::set<std::string>{"healthy"});
  }
  SECTION("master <-> replicas cut under a write load through the VIP, mhad still sees the master: no failover, "
          "also after the heal") {
    // The heal is the hard part: each replica's new dump thread waits for
    // its old one, stuck writing to the dead socket, and MariaDB holds SHOW
    // SLAVE HOSTS and every new connection for 10 s and more (measured)
    // while kept connections answer. mhad once took that for a hung master.
    const std::string vip = sandbox.env.at("MHA_SANDBOX_VIP").substr(0, sandbox.env.at("MHA_SANDBOX_VIP").find('/'));
    ReconnectingWriteLoad load(vip);
    REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
    const std::string rule = "INPUT -s 10.231.0.12,10.231.0.13 -j DROP";
    REQUIRE(in_ns(0, "iptables -I " + rule));
    Undo undo{[&] { in_ns(0, "iptables -D " + rule); }};
    Watch cut = watch(mhad, 15s);
    // slave_net_timeout = 4 in the sandbox: the IO threads give up and say so.
    const std::string health_while_cut = mhad.status()["clusters"][0]["health"];
    in_ns(0, "iptables -D " + rule);
    undo.undo = nullptr;
    Watch healed = watch(mhad, 20s);
    load.stop();
    INFO(mhad.log());
    CHECK_FALSE(cut.failed_over);
    CHECK_FALSE(healed.failed_over);
    CHECK(cut.verdicts == std::set<std::string>{"healthy"});
    CHECK_FALSE(healed.verdicts.count("dead"));
    CHECK_FALSE(healed.verdicts.count("dead_host"));
    CHECK(health_while_cut != "ok");
    CHECK(sql(0, "SELECT @@read_only") == "0");
    CHECK(missing_from(load.acked(), ids_on_netns(0)).empty());
  }
  SECTION("mhad isolated from every server: it cannot fence, so it does not act") {
    const std::string rule = "INPUT -s " + manager + " -j DROP";
    for (int i = 0; i < 3; ++i) REQUIRE(in_ns(i, "iptables -I " + rule));
    Undo undo{[&] {
      for (int i = 0; i < 3; ++i) in_ns(i, "iptables -D " + rule);
    }};
    Watch w = watch(mhad, 20s);
    INFO(mhad.log());
    CHECK_FALSE(w.failed_over);
    CHECK_FALSE(w.verdicts.count("dead"));
    CHECK_FALSE(w.verdicts.count("dead_host"));
  }
  SECTION("the master's link down 2 s, up 2 s, five times: no failover") {
    Undo undo{[&] { in_ns(0, "ip link set eth0 up"); }};
    Watch w;
    std::thread flapping([&] { w = watch(mhad, 22s); });
    for (int cycle = 0; cycle < 5; ++cycle) {
      in_ns(0, "ip link set eth0 down");
      std::this_thread::sleep_for(2s);
      in_ns(0, "ip link set eth0 up");
      std::this_thread::sleep_for(2s);
    }
    flapping.join();
    INFO(mhad.log());
    CHECK_FALSE(w.failed_over);
    CHECK_FALSE(w.verdicts.count("dead"));
    CHECK_FALSE(w.verdicts.count("dead_host"));
  }
  // Whatever the section did, the partition is gone now: the master answers again.
  const bool healed = healthy_again();
  INFO(mhad.status().dump(2) << "\n" << mhad.log());
  CHECK(healed);
  // mhad's view: the same master, no failover ever started.
  auto status = mhad.status();
  CHECK(status["clusters"][0]["master"] == "master");
  CHECK(status["clusters"][0]["last_failover"].is_null());
}

TEST_CASE("netns: a slow master (everything its host sends 800 ms late) under a write load is not failed over",
          "[integration][netns][partition]") {
  NetnsSandbox sandbox;
  auto in_ns = [&](int host, const std::string& command) {
    return run("ip netns exec " + sandbox.ns(host) + " " + command).exit_code == 0;
  };
  // The relay must be in the way before anything connects: it sees new
  // connections only. The replicas reconnect through it.
  sandbox::DelayProxy relay;
  REQUIRE(relay.start(sandbox.ns(0), 13306, 800ms));
  for (const char* port : {"3306", "22"})
    REQUIRE(in_ns(0, std::string("iptables -t nat -A PREROUTING -p tcp --dport ") + port +
                         " -j REDIRECT --to-ports 13306"));
  for (int i = 1; i <= 2; ++i) sql(i, "STOP SLAVE; START SLAVE");
  Mhad mhad(k_netns_dir + "/mhad");
  start_with_vip(mhad, sandbox);
  ReconnectingWriteLoad load(sandbox.vip());
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));

  REQUIRE(relay.slow(true));
  const std::size_t acked_before = load.acked().size();
  Watch slow = watch(mhad, 15s);
  const std::size_t acked_slow = load.acked().size() - acked_before;
  relay.slow(false);
  Watch after = watch(mhad, 10s);
  load.stop();
  INFO(mhad.log());
  // The relay did slow it: one write takes 800 ms and more instead of a few
  // ms (750 in 15 s unhindered), and mhad's checks overran ping_interval.
  CHECK(acked_slow < 60);
  CHECK(slow.verdicts.count("suspect"));
  // And says the master is slow, not gone.
  CHECK(mhad.log().find("answers again, late: its check took") != std::string::npos);
  // Only its first round in full; the rounds after it at debug, summed up
  // once a minute (SuspectDigest), so a slow master does not fill the journal.
  auto lines_at = [&](const std::string& level, const std::string& text) {
    std::istringstream in(mhad.log());
    int n = 0;
    for (std::string line; std::getline(in, line);)
      if (line.find(" " + level + " [") != std::string::npos && line.find(text) != std::string::npos) ++n;
    return n;
  };
  CHECK(lines_at("warning", "failed a check") == 1);
  CHECK(lines_at("debug", "failed a check") >= 1);
  CHECK_FALSE(slow.failed_over);
  CHECK_FALSE(after.failed_over);
  for (const char* v : {"dead", "dead_host"}) {
    CHECK_FALSE(slow.verdicts.count(v));
    CHECK_FALSE(after.verdicts.count(v));
  }
  CHECK(sql(0, "SELECT @@read_only") == "0");
  CHECK(missing_from(load.acked(), ids_on_netns(0)).empty());
  CHECK(mhad.status()["clusters"][0]["master"] == "master");
}
