// The switchover of a live master (daemon/switchover/switchover.h), phase by
// phase, against a scripted cluster (tests/fakes/fake_cluster.h) whose
// servers change state as statements run. Both flavors: MariaDB 10.11 and
// MySQL 8.0.36. Statements are asserted per server and per phase, in order;
// refusals change nothing; failures before promotion are rolled back.
#include "daemon/switchover/switchover.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Strings = std::vector<std::string>;

namespace {

struct Fixture {
  FakeCluster cluster;
  FakeVip vip{cluster};
  FakeOperationClock clock;
  SwitchoverEnv env;
  SwitchoverRequest request;
  Strings progress;

  explicit Fixture(FlavorKind kind) : cluster(kind, 2) {
    log_set_level(LogLevel::error);
    cluster.server("master").processes = {{41, "app", "Sleep", 0, ""},
                                          {42, "app", "Query", 0, "INSERT INTO t VALUES (1)"},
                                          {43, "repl", "Binlog Dump GTID", 900, ""},
                                          {44, "system user", "Daemon", 900, ""}};
    env.make_sql = [this] { return cluster.make_sql(); };
    env.vip_stop = [this](const ServerConfig& orig, const ServerConfig&, std::chrono::milliseconds limit) {
      return vip.release(orig, true, limit);
    };
    env.vip_start = [this](const ServerConfig& orig, const ServerConfig& next, std::chrono::milliseconds limit) {
      return vip.acquire(orig, next, limit);
    };
    env.progress = [this](const std::string& phase, const std::string& event, const nlohmann::json&) {
      if (event == "note") return;
      std::lock_guard lock(cluster.mutex);
      if (event == "started") cluster.phase = phase;
      progress.push_back(phase + " " + event);
    };
    env.clock = &clock;
    env.repoint_timeouts = {2s, 1ms};
    request.master = 0;
  }

  bool mariadb() const { return cluster.kind == FlavorKind::mariadb; }
  Flavor flavor() const { return *Flavor::from_version(mariadb() ? "10.11.6-MariaDB-log" : "8.0.36"); }
  std::string wait(int n, int seconds) const {
    return flavor().wait_for_gtids_sql(cluster.gtids(n), std::chrono::seconds(seconds));
  }
  std::string change_to(const std::string& name) {
    const ServerConfig& s = cluster.config.servers[cluster.index(name)];
    return flavor().change_master_sql({s.host, s.port, "repl", "replpass", true});
  }
  OperationReport run() { return run_switchover(cluster.config, request, env); }
  Strings all_actions() {
    Strings out;
    for (const auto& s : cluster.config.servers)
      for (const auto& a : cluster.actions(s.name)) out.push_back(s.name + ": " + a);
    return out;
  }
};

}  // namespace

TEST_CASE("switchover moves the master to the candidate and every other server follows it", "[switchover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  auto report = fx.run();
  INFO(report.text());
  REQUIRE(report.result == OperationResult::completed);
  CHECK(report.old_master == "master");
  CHECK(report.new_master == "slave1");  // candidate_master, as a failover would choose
  CHECK(report.promoted);
  CHECK(fx.progress == Strings{"check started", "check finished", "reject_writes started", "reject_writes finished",
                               "wait_catchup started", "wait_catchup finished", "promote started", "promote finished",
                               "repoint started", "repoint finished", "finish started", "finish finished"});

  // The check only reads.
  for (const auto& s : {"master", "slave1", "slave2"}) CHECK(fx.cluster.actions(s, "check").empty());
  // Old master: read-only, client sessions ended (not replication, not system threads).
  CHECK(fx.cluster.actions("master", "reject_writes") ==
        Strings{f.fence_writes_sql(), "KILL CONNECTION 41", "KILL CONNECTION 42"});
  CHECK(fx.cluster.server("master").processes.size() == 2);
  // Target: waits for the old master's final position, then takes over.
  CHECK(fx.cluster.actions("slave1", "wait_catchup") == Strings{fx.wait(120, 10)});
  CHECK(fx.cluster.actions("slave1", "promote") ==
        Strings{f.stop_replica_sql(), f.reset_replica_all_sql(), "SET GLOBAL read_only=0"});
  // Everyone else, the old master too, replicates from it.
  CHECK(fx.cluster.actions("slave2", "repoint") ==
        Strings{f.stop_replica_sql(), fx.change_to("slave1"), f.start_replica_sql(), fx.wait(120, 2)});
  Strings master_repoint;
  if (fx.mariadb()) master_repoint.push_back("SET GLOBAL gtid_slave_pos = @@gtid_current_pos");
  for (const auto& s : {f.stop_replica_sql(), fx.change_to("slave1"), f.start_replica_sql(), fx.wait(120, 2)})
    master_repoint.push_back(s);
  CHECK(fx.cluster.actions("master", "repoint") == master_repoint);
  // The VIP leaves before the old master is read-only, arrives after the new one is writable.
  const int released = fx.cluster.event_index("vip: release master");
  CHECK(released >= 0);
  CHECK(released < fx.cluster.event_index("master: " + f.fence_writes_sql()));
  CHECK(fx.cluster.event_index("slave1: SET GLOBAL read_only=0") < fx.cluster.event_index("vip: acquire master -> slave1"));
  CHECK(fx.vip.holder == "slave1");
  CHECK_FALSE(fx.cluster.server("slave1").read_only);
  CHECK(fx.cluster.server("master").read_only);
  CHECK(fx.cluster.server("master").master_host == fx.cluster.server("slave1").host);
}

TEST_CASE("switchover --to names the target; refusals change nothing", "[switchover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);

  SECTION("--to slave2") {
    fx.request.to = 2;
    auto report = fx.run();
    REQUIRE(report.result == OperationResult::completed);
    CHECK(report.new_master == "slave2");
    CHECK_FALSE(fx.cluster.server("slave2").read_only);
    CHECK(fx.cluster.server("slave1").master_host == fx.cluster.server("slave2").host);
  }
  SECTION("the master itself") {
    fx.request.to = 0;
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK(report.refusal == "'master' is the master already");
    CHECK(fx.all_actions().empty());
  }
  SECTION("a target behind by more than running_seconds_limit") {
    fx.cluster.server("slave1").seconds_behind = 30;
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK(report.error_code == Errc::target_lagging);
    CHECK_THAT(report.refusal, Contains("'slave1' is 30s behind the master, over running_seconds_limit (10s)"));
    CHECK(fx.all_actions().empty());
    CHECK(fx.cluster.events.empty());  // not even the VIP
  }
  SECTION("a target whose IO thread is stopped") {
    fx.cluster.server("slave1").io = "No";
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK_THAT(report.refusal, Contains("'slave1' must replicate from 'master' with both threads running"));
    CHECK(fx.all_actions().empty());
  }
  SECTION("errant GTIDs on another replica") {
    auto& s2 = fx.cluster.server("slave2");
    s2.executed = fx.mariadb() ? "0-1-120,1-3-7" : fx.cluster.gtids(120) + ",aaaaaaaa-71ca-11e1-9e33-c80aa9429562:1-3";
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK(report.error_code == Errc::errant_gtid);
    CHECK_THAT(report.refusal, Contains("'slave2'"));
    CHECK(fx.all_actions().empty());
  }
  SECTION("another replica broken: refused; --force leaves it out") {
    fx.cluster.server("slave2").sql_running = false;
    fx.cluster.server("slave2").last_sql_errno = 1062;
    fx.cluster.server("slave2").last_sql_error = "Duplicate entry";
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK_THAT(report.refusal, Contains("mhactl switchover --force to leave it out"));
    CHECK(fx.all_actions().empty());
    fx.request.force = true;
    report = fx.run();
    CHECK(report.result == OperationResult::completed);
    CHECK(fx.cluster.actions("slave2").empty());
  }
  SECTION("a write running longer than running_updates_limit: refused; --force ends it") {
    fx.cluster.server("master").processes.push_back({50, "app", "Query", 5, "UPDATE big SET x = x + 1"});
    fx.cluster.server("master").processes.push_back({51, "app", "Query", 60, "SELECT SLEEP(60)"});  // a read: fine
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK_THAT(report.refusal, Contains("1 write(s) on 'master' running longer than running_updates_limit (1s): id 50"));
    CHECK(fx.all_actions().empty());
    fx.request.force = true;
    report = fx.run();
    CHECK(report.result == OperationResult::completed);
    CHECK_THAT(fx.cluster.actions("master", "reject_writes"), Catch::Matchers::VectorContains(std::string("KILL CONNECTION 50")));
  }
  SECTION("a master that does not answer: use failover") {
    fx.cluster.kill("master");
    auto report = fx.run();
    CHECK(report.result == OperationResult::refused);
    CHECK_THAT(report.refusal, Contains("use mhactl failover"));
  }
}

TEST_CASE("switchover failures before promotion are rolled back: old master writable, VIP back", "[switchover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);

  SECTION("the target does not catch up within running_seconds_limit") {
    fx.cluster.server("slave1").fail[fx.mariadb() ? "SELECT MASTER_GTID_WAIT" : "SELECT WAIT_FOR_EXECUTED_GTID_SET"] =
        Error{Errc::timeout, "0-1-120 not executed within 10s"};
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == OperationResult::rolled_back);
    CHECK(report.error_code == Errc::rolled_back);
    CHECK_FALSE(report.promoted);
    CHECK_THAT(report.refusal, Contains("did not execute the old master's final position"));
    CHECK_THAT(report.refusal, Contains("rolled back: 'master' is the master and takes writes again"));
    CHECK_FALSE(fx.cluster.server("master").read_only);
    CHECK(fx.cluster.actions("master", "wait_catchup") == Strings{"SET GLOBAL read_only=0"});
    CHECK(fx.vip.holder == "master");
    CHECK(fx.cluster.actions("slave1", "promote").empty());
    CHECK(fx.cluster.actions("slave2").empty());  // replicas untouched
  }
  SECTION("the target cannot be made writable: it replicates from the old master again") {
    fx.cluster.server("slave1").fail["SET GLOBAL read_only=0"] = Error{Errc::sql, "Access denied"};
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == OperationResult::rolled_back);
    CHECK_FALSE(fx.cluster.server("master").read_only);
    CHECK(fx.cluster.server("slave1").read_only);
    CHECK(fx.cluster.server("slave1").master_host == fx.cluster.server("master").host);
    CHECK(fx.cluster.server("slave1").io == "Yes");
    CHECK(fx.vip.holder == "master");
  }
  SECTION("the VIP cannot be taken off the old master") {
    fx.vip.release_outcome = VipOutcome{false, false, "ip addr del failed"};
    auto report = fx.run();
    CHECK(report.result == OperationResult::rolled_back);
    CHECK(fx.all_actions().empty());  // read_only never set
  }
  SECTION("rollback that cannot finish says what is left") {
    fx.cluster.server("slave1").fail[fx.mariadb() ? "SELECT MASTER_GTID_WAIT" : "SELECT WAIT_FOR_EXECUTED_GTID_SET"] =
        Error{Errc::timeout, "timed out"};
    fx.cluster.server("master").fail["SET GLOBAL read_only=0"] = Error{Errc::sql, "lost connection"};
    auto report = fx.run();
    CHECK(report.result == OperationResult::failed);
    CHECK(report.error_code == Errc::needs_operator);
    CHECK_THAT(report.refusal, Contains("'master' is still read-only (lost connection): SET GLOBAL read_only=0 on it"));
  }
}

TEST_CASE("switchover under an etcd lease lost on the way stops there and undoes nothing", "[switchover][lease]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  // Held (an hour ahead) until the named phase starts, then lost: another
  // instance may hold it by now.
  std::string lost_at;
  fx.env.lease = LeaseDeadline([&fx, &lost_at](MonoTime now) -> std::optional<MonoTime> {
    std::lock_guard lock(fx.cluster.mutex);
    if (fx.cluster.phase == lost_at) return std::nullopt;
    return now + 1h;
  });

  SECTION("lost before promote: the target is not made writable, the old master not made writable again") {
    lost_at = "promote";
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == OperationResult::failed);
    CHECK(report.error_code == Errc::not_active);
    CHECK_FALSE(report.promoted);
    CHECK_THAT(report.refusal, Contains("the etcd lease is not surely held"));
    CHECK_THAT(report.refusal, Contains("does not undo what it did"));
    CHECK(fx.cluster.actions("slave1", "promote").empty());
    CHECK(fx.cluster.actions("master", "promote").empty());  // no rollback
    CHECK(fx.cluster.server("slave1").read_only);
    CHECK(fx.cluster.server("master").read_only);
    CHECK(fx.vip.holder != "slave1");
  }
  SECTION("lost before reject_writes: nothing at all is changed") {
    lost_at = "reject_writes";
    auto report = fx.run();
    CHECK(report.error_code == Errc::not_active);
    CHECK(fx.all_actions().empty());
    CHECK(fx.vip.holder == "master");
    CHECK_FALSE(fx.cluster.server("master").read_only);
  }
  SECTION("lost before repoint: the promotion stands, no replica is touched") {
    lost_at = "repoint";
    auto report = fx.run();
    CHECK(report.error_code == Errc::not_active);
    CHECK(report.promoted);
    CHECK_FALSE(fx.cluster.server("slave1").read_only);
    CHECK(fx.cluster.actions("slave2", "repoint").empty());
    CHECK(fx.cluster.actions("master", "repoint").empty());
  }
  SECTION("held throughout: the switchover completes as without coordination") {
    lost_at = "none";
    auto report = fx.run();
    CHECK(report.result == OperationResult::completed);
    CHECK(fx.cluster.actions("slave1", "promote") ==
          Strings{f.stop_replica_sql(), f.reset_replica_all_sql(), "SET GLOBAL read_only=0"});
    // The VIP calls got what the lease had left, not an unbounded time.
    REQUIRE(fx.vip.limits.size() == 2);
    for (auto limit : fx.vip.limits) CHECK(limit <= std::chrono::milliseconds(1h));
  }
}

TEST_CASE("switchover after promotion finishes forward and reports a replica that does not follow", "[switchover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.cluster.server("slave2").fail["CHANGE MASTER"] = Error{Errc::sql, "boom"};
  auto report = fx.run();
  CHECK(report.result == OperationResult::completed_with_errors);
  CHECK(report.promoted);
  CHECK_FALSE(fx.cluster.server("slave1").read_only);
  bool noted = false;
  for (const auto& n : report.notes) noted = noted || n.find("slave2") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("processlist: client sessions and long writes, as MHA counts them", "[switchover]") {
  auto row = [](std::string user, std::string command, std::int64_t time, std::string info) {
    ProcessRow p;
    p.id = 1;
    p.user = std::move(user);
    p.command = std::move(command);
    p.time = time;
    p.info = std::move(info);
    return p;
  };
  CHECK(is_client_session(row("app", "Sleep", 0, "")));
  CHECK(is_client_session(row("app", "Query", 3, "INSERT INTO t VALUES (1)")));
  CHECK_FALSE(is_client_session(row("repl", "Binlog Dump", 900, "")));
  CHECK_FALSE(is_client_session(row("repl", "Binlog Dump GTID", 900, "")));
  CHECK_FALSE(is_client_session(row("system user", "Slave_SQL", 900, "")));
  CHECK_FALSE(is_client_session(row("event_scheduler", "Daemon", 900, "")));
  CHECK(is_long_write(row("app", "Query", 2, "update t set x=1"), 1));
  CHECK_FALSE(is_long_write(row("app", "Query", 1, "update t set x=1"), 1));  // MHA: Time >= limit + 1
  CHECK_FALSE(is_long_write(row("app", "Query", 60, "  select sleep(60)"), 1));
  CHECK_FALSE(is_long_write(row("app", "Query", 60, "SHOW PROCESSLIST"), 1));
  CHECK_FALSE(is_long_write(row("app", "Sleep", 60, ""), 1));
  CHECK_FALSE(is_long_write(row("repl", "Binlog Dump", 900, ""), 1));
}
