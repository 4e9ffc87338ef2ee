// Rejoin (daemon/rejoin/rejoin.h) against the scripted cluster: the old
// master of a failover put back as a replica of the new master, refused with
// errant transactions (listed, with the way out), --force; and the errant
// comparison itself for both flavors.
#include "daemon/rejoin/rejoin.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Strings = std::vector<std::string>;

namespace {

// After a failover to slave1: slave1 the writable master at 125, slave2 its
// replica, the old master back (read-only, replicating from nobody) at 120.
struct Fixture {
  FakeCluster cluster;
  FakeOperationClock clock;
  RejoinEnv env;
  RejoinRequest request;

  explicit Fixture(FlavorKind kind) : cluster(kind, 2) {
    log_set_level(LogLevel::error);
    auto& old = cluster.server("master");
    old.read_only = true;
    auto& fresh = cluster.server("slave1");
    fresh.configured = false;
    fresh.master_host.clear();
    fresh.io = "No";
    fresh.sql_running = false;
    fresh.read_only = false;
    fresh.executed = cluster.gtids(125);
    auto& s2 = cluster.server("slave2");
    s2.master_host = fresh.host;
    s2.received = s2.executed = cluster.gtids(125);
    if (kind == FlavorKind::mariadb) s2.slave_pos = cluster.gtids(125);
    env.make_sql = [this] { return cluster.make_sql(); };
    env.clock = &clock;
    env.repoint_timeouts = {2s, 1ms};
    request.server = 0;
    request.master = 1;
  }
  bool mariadb() const { return cluster.kind == FlavorKind::mariadb; }
  Flavor flavor() const { return *Flavor::from_version(mariadb() ? "10.11.6-MariaDB-log" : "8.0.36"); }
  OperationReport run() { return run_rejoin(cluster.config, request, env); }
};

}  // namespace

TEST_CASE("rejoin makes the old master a read-only replica of the new master", "[rejoin]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  auto report = fx.run();
  INFO(report.text());
  REQUIRE(report.result == OperationResult::completed);
  CHECK(report.server == "master");
  CHECK(report.new_master == "slave1");
  const ServerConfig& s1 = fx.cluster.config.servers[1];
  Strings expected{f.fence_writes_sql()};
  if (fx.mariadb()) expected.push_back("SET GLOBAL gtid_slave_pos = @@gtid_current_pos");
  expected.push_back(f.change_master_sql({s1.host, s1.port, "repl", "replpass", true}));
  expected.push_back(f.start_replica_sql());
  CHECK(fx.cluster.actions("master") == expected);
  CHECK(fx.cluster.actions("slave1").empty());
  CHECK(fx.cluster.server("master").read_only);
  CHECK(fx.cluster.server("master").master_host == s1.host);
  CHECK(fx.cluster.server("master").io == "Yes");
  CHECK(fx.cluster.server("master").executed == fx.cluster.gtids(125));  // it fetched what it missed
}

TEST_CASE("rejoin under an etcd lease lost on the way stops before the next change", "[rejoin][lease]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  // The lease answers `held` times, then is lost.
  int held = 0;
  fx.env.lease = LeaseDeadline([&held](MonoTime now) -> std::optional<MonoTime> {
    if (held-- <= 0) return std::nullopt;
    return now + 1h;
  });
  SECTION("lost before the first change: the server is untouched") {
    held = 0;
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == OperationResult::failed);
    CHECK(report.error_code == Errc::not_active);
    CHECK_THAT(report.refusal, Contains("the etcd lease is not surely held"));
    CHECK(fx.cluster.actions("master").empty());
  }
  SECTION("lost after read_only: it is not pointed at the master") {
    held = 1;
    auto report = fx.run();
    CHECK(report.error_code == Errc::not_active);
    CHECK(fx.cluster.actions("master") == Strings{f.fence_writes_sql()});
    CHECK(fx.cluster.server("master").master_host.empty());
  }
}

TEST_CASE("rejoin refuses errant transactions, lists them and the way out; --force accepts them", "[rejoin]") {
  Fixture fx(FlavorKind::mariadb);
  // Written on the old master after it came back: 0-1-121. The new master
  // has since written 0-2-130 in the same domain, so only the position at
  // promotion (0-1-120) shows that 0-1-121 is not the new master's.
  fx.cluster.server("master").executed = "0-1-121";
  fx.cluster.server("slave1").executed = "0-2-130";
  fx.request.reference_gtids = "0-1-120";
  auto report = fx.run();
  CHECK(report.result == OperationResult::refused);
  CHECK(report.error_code == Errc::errant_gtid);
  CHECK_THAT(report.refusal, Contains("'master' has transactions the master 'slave1' never had: 0-1-121"));
  CHECK_THAT(report.refusal, Contains("mariadb-backup --backup"));
  CHECK_THAT(report.refusal, Contains("mhactl rejoin master --force"));
  CHECK(fx.cluster.actions("master").empty());

  SECTION("without the position at promotion, the current master's is the reference") {
    fx.request.reference_gtids.clear();
    fx.cluster.server("slave1").executed = "0-1-120";
    auto again = fx.run();
    CHECK(again.result == OperationResult::refused);
    CHECK_THAT(again.refusal, Contains("0-1-121"));
  }
  SECTION("--force") {
    fx.request.force = true;
    auto forced = fx.run();
    CHECK(forced.result == OperationResult::completed);
    CHECK(forced.forced);
    bool noted = false;
    for (const auto& n : forced.notes) noted = noted || n.find("diverges") != std::string::npos;
    CHECK(noted);
    CHECK_THAT(forced.text(), Contains("Forced (--force)"));
  }
}

TEST_CASE("rejoin refuses a server that does not answer, and the master itself", "[rejoin]") {
  Fixture fx(FlavorKind::mysql);
  SECTION("down") {
    fx.cluster.server("master").alive = false;
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK_THAT(report.refusal, Contains("'master' does not answer"));
    CHECK_THAT(report.refusal, Contains("start it, then mhactl rejoin master"));
  }
  SECTION("the master") {
    fx.request.server = 1;
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK(report.refusal == "'slave1' is the master: it cannot rejoin itself");
  }
}

TEST_CASE("errant_transactions: what the server has that the reference lacks", "[rejoin][gtid]") {
  const Flavor maria = *Flavor::from_version("10.11.6-MariaDB");
  const Flavor mysql = *Flavor::from_version("8.0.36");
  CHECK(*errant_transactions(maria, "0-1-120", "0-1-120") == "");
  CHECK(*errant_transactions(maria, "0-1-100", "0-2-130") == "");
  CHECK(*errant_transactions(maria, "0-1-121", "0-1-120") == "0-1-121");
  CHECK(*errant_transactions(maria, "0-1-120,5-1-3", "0-1-120") == "5-1-3");
  const std::string u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  CHECK(*errant_transactions(mysql, u + ":1-120", u + ":1-125") == "");
  CHECK(*errant_transactions(mysql, u + ":1-121", u + ":1-120") == u + ":121");
  CHECK_FALSE(errant_transactions(maria, "nonsense", "0-1-1"));
}

TEST_CASE("rebuild_advice names the flavor's tool", "[rejoin]") {
  ServerConfig a, b;
  a.name = "master";
  a.host = "192.168.3.74";
  b.name = "slave1";
  b.host = "192.168.3.71";
  CHECK_THAT(rebuild_advice(*Flavor::from_version("10.11.6-MariaDB"), a, b), Contains("mariadb-backup --backup --host=192.168.3.71"));
  CHECK_THAT(rebuild_advice(*Flavor::from_version("8.0.36"), a, b), Contains("CLONE INSTANCE FROM"));
  CHECK_THAT(rebuild_advice(*Flavor::from_version("5.7.42"), a, b), Contains("mysqldump"));
}
