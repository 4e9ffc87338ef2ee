// Resuming a failover after a takeover (failover_resume.h): only what is left
// after the promotion is done again, and only when a fresh look shows the
// named new master as the one writable server; anything else stops before
// any change, in needs_operator.
#include "daemon/failover/failover_resume.h"

#include "daemon/failover/failover.h"
#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

// The cluster as a failover leaves it right after recover_master: the old
// master dead, slave1 promoted (writable, replication forgotten), slave2's
// IO thread stopped by the fence.
struct Promoted {
  FakeCluster cluster{FlavorKind::mariadb, 2};
  FakeVip vip{cluster};
  FailoverEnv env;
  FailoverRequest request;
  Promoted() {
    log_set_level(LogLevel::error);
    cluster.kill("master");
    request.master_last_seen = cluster.last_seen("master");
    {
      std::lock_guard lock(cluster.mutex);
      auto& s1 = cluster.server("slave1");
      s1.read_only = false;
      s1.configured = false;
      s1.io = "No";
      s1.sql_running = false;
      auto& s2 = cluster.server("slave2");
      s2.io = "No";
    }
    vip.holder = "slave1";
    env.make_sql = [this] { return cluster.make_sql(); };
    env.make_shell = [this](const ServerConfig& s) { return cluster.make_shell(s); };
    env.vip = &vip;
    env.replica_timeout = 2s;
    env.poll_interval = 1ms;
    env.progress = [this](FailoverPhase p, const std::string& event, const nlohmann::json&) {
      std::lock_guard lock(cluster.mutex);
      if (event == "started") cluster.phase = std::string(phase_name(p));
    };
    request.resume_from = FailoverPhase::recover_replicas;
    request.resume_new_master = "slave1";
  }
  FailoverReport run() { return run_failover(cluster.config, 0, request, env); }
  Strings changes(const std::string& name) {
    Strings out;
    for (const auto& sql : cluster.actions(name))
      if (sql.rfind("SELECT MASTER_GTID_WAIT", 0) != 0) out.push_back(sql);
    return out;
  }
};

}  // namespace

TEST_CASE("resume: after the promotion the other replicas are repointed and the failover completes", "[resume]") {
  Promoted fx;
  std::vector<std::pair<FailoverPhase, std::string>> persisted;
  fx.env.before_phase = [&](FailoverPhase p, const std::string& new_master) {
    persisted.emplace_back(p, new_master);
    return true;
  };
  const Flavor f = *Flavor::from_version("10.11.6-MariaDB-log");
  auto report = fx.run();
  INFO(report.text());
  REQUIRE(report.result == FailoverResult::completed);
  CHECK(report.promoted);
  CHECK(report.old_master == "master");
  CHECK(report.new_master == "slave1");
  CHECK(report.recovered_replicas == Strings{"slave2"});
  // Every phase persisted names the new master again (a second takeover resumes too).
  CHECK(persisted == std::vector<std::pair<FailoverPhase, std::string>>{{FailoverPhase::recover_replicas, "slave1"},
                                                                         {FailoverPhase::finish, "slave1"}});
  // Nothing is promoted again: the new master gets no change at all.
  CHECK(fx.changes("slave1").empty());
  const ServerConfig& s1 = fx.cluster.config.servers[1];
  auto to_slave1 = f.change_master_sql({s1.host, s1.port, "repl", "replpass", true});
  const Strings repoint{f.stop_replica_sql(), to_slave1, f.start_replica_sql()};
  CHECK(fx.changes("slave2") == repoint);
  CHECK(fx.cluster.actions("master").empty());

  SECTION("resumed once more (the resuming instance died too): the same statements, still one writable server") {
    auto again = fx.run();
    CHECK(again.result == FailoverResult::completed);
    CHECK(fx.changes("slave1").empty());
    CHECK(fx.changes("slave2") == Strings{repoint[0], repoint[1], repoint[2], repoint[0], repoint[1], repoint[2]});
  }
}

TEST_CASE("resume: from finish, only the report; nothing changes on any server", "[resume]") {
  Promoted fx;
  fx.request.resume_from = FailoverPhase::finish;
  auto report = fx.run();
  INFO(report.text());
  CHECK(report.result == FailoverResult::completed);
  REQUIRE(report.phases.size() == 1);
  CHECK(report.phases[0].phase == FailoverPhase::finish);
  for (const char* name : {"master", "slave1", "slave2"}) CHECK(fx.changes(name).empty());
}

TEST_CASE("resume: what the promotion should have left is not there: needs_operator, nothing changed", "[resume]") {
  Promoted fx;
  std::string expected;
  SECTION("the new master is read-only") {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("slave1").read_only = true;
    expected = "cannot resume: the new master 'slave1' is not writable: the promotion may not have finished";
  }
  SECTION("the new master still replicates") {
    std::lock_guard lock(fx.cluster.mutex);
    auto& s1 = fx.cluster.server("slave1");
    s1.configured = true;
    s1.io = "Yes";
    s1.sql_running = true;
    expected = "cannot resume: the new master 'slave1' still replicates from";
  }
  SECTION("another replica is writable") {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("slave2").read_only = false;
    expected = "cannot resume: 'slave2' is writable too: two servers take writes";
  }
  SECTION("the old master is back, writable") {
    std::lock_guard lock(fx.cluster.mutex);
    auto& m = fx.cluster.server("master");
    m.alive = true;
    m.read_only = false;
    expected = "cannot resume: 'master' is writable too (the old master): two servers take writes";
  }
  SECTION("the new master does not answer") {
    fx.cluster.kill("slave1");
    expected = "cannot resume: the new master 'slave1' does not answer";
  }
  SECTION("the state names a server the cluster does not have") {
    fx.request.resume_new_master = "slave9";
    expected = "cannot resume: 'slave9' is not a server of";
  }
  auto report = fx.run();
  INFO(report.text());
  CHECK(report.result == FailoverResult::needs_operator);
  CHECK(report.refusal.rfind(expected, 0) == 0);
  CHECK(report.refusal.find("nothing was changed by this instance") != std::string::npos);
  for (const char* name : {"master", "slave1", "slave2"}) CHECK(fx.changes(name).empty());
}
