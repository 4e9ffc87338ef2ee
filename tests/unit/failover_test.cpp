// The failover of a dead master (daemon/failover/failover.h), phase by
// phase, against a scripted cluster (tests/fakes/fake_cluster.h) whose
// servers change state as statements run. Both flavors: MariaDB 10.11 and
// MySQL 8.0.36. Statements are asserted per server and per phase, in order.
#include "daemon/failover/failover.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using Strings = std::vector<std::string>;

namespace {

struct Fixture {
  FakeCluster cluster;
  FakeVip vip{cluster};
  FailoverEnv env;
  FailoverRequest request;
  Strings progress;
  std::vector<SalvageRequest> salvage_calls;
  SalvageResult salvage_result;
  Result<void> apply_result = Result<void>{};
  Strings applied;

  explicit Fixture(FlavorKind kind, int replicas = 2) : cluster(kind, replicas) {
    log_set_level(LogLevel::error);
    salvage_result.ok = true;  // nothing past the most advanced replica's position
    cluster.kill("master");
    request.master_last_seen = cluster.last_seen("master");
    env.make_sql = [this] { return cluster.make_sql(); };
    env.make_shell = [this](const ServerConfig& s) { return cluster.make_shell(s); };
    env.vip = &vip;
    env.salvage = [this](RemoteShell&, const SalvageRequest& r) {
      std::lock_guard lock(cluster.mutex);
      salvage_calls.push_back(r);
      cluster.events.push_back("salvage from " + r.start_position);
      return salvage_result;
    };
    env.apply_salvaged = [this](const std::string& sql, const std::string& host, std::uint16_t, const std::string&,
                                const std::string&, std::chrono::milliseconds) {
      std::lock_guard lock(cluster.mutex);
      applied.push_back(sql);
      cluster.events.push_back("apply_salvaged " + host);
      return apply_result;
    };
    env.progress = [this](FailoverPhase p, const std::string& event, const nlohmann::json&) {
      if (event == "note") return;
      std::lock_guard lock(cluster.mutex);
      if (event == "started") cluster.phase = std::string(phase_name(p));
      progress.push_back(std::string(phase_name(p)) + " " + event);
    };
    env.wait_timeout = 2s;
    env.replica_timeout = 2s;
    env.kill_timeout = 200ms;
    env.poll_interval = 1ms;
  }

  bool mariadb() const { return cluster.kind == FlavorKind::mariadb; }
  Flavor flavor() const { return *Flavor::from_version(mariadb() ? "10.11.6-MariaDB-log" : "8.0.36"); }
  std::string wait(int n, int seconds = 2) const { return flavor().wait_for_gtids_sql(cluster.gtids(n), std::chrono::seconds(seconds)); }
  std::string change_to(const std::string& name) {
    const ServerConfig& s = cluster.config.servers[cluster.index(name)];
    return flavor().change_master_sql({s.host, s.port, "repl", "replpass", true});
  }
  FailoverReport run() { return run_failover(cluster.config, 0, request, env); }
  bool writable(const std::string& name) {
    std::lock_guard lock(cluster.mutex);
    return !cluster.server(name).read_only;
  }
  bool anyone_unfenced() {
    for (const auto& s : cluster.config.servers)
      for (const auto& sql : cluster.actions(s.name))
        if (sql == "SET GLOBAL read_only=0") return true;
    return false;
  }
};

std::vector<std::string> phase_names(const FailoverReport& report) {
  Strings out;
  for (const auto& p : report.phases) out.push_back(std::string(phase_name(p.phase)));
  return out;
}

SalvageResult salvaged(bool ok, std::string sql, std::size_t transactions, std::string last_gtid,
                       std::string error = "") {
  SalvageResult r;
  r.ok = ok;
  r.sql = std::move(sql);
  r.transactions = transactions;
  r.last_gtid = std::move(last_gtid);
  r.command = "mariadb-binlog ...";
  r.error = std::move(error);
  return r;
}

const Strings k_all_phases = {"check", "fence", "recover_master", "recover_replicas", "finish"};

}  // namespace

TEST_CASE("failover promotes the candidate and repoints the other replica", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  auto report = fx.run();
  INFO(report.text());

  REQUIRE(report.result == FailoverResult::completed);
  CHECK(report.old_master == "master");
  CHECK(report.new_master == "slave1");
  CHECK(report.recovered_replicas == Strings{"slave2"});
  CHECK(report.failed_replicas.empty());
  CHECK(phase_names(report) == k_all_phases);
  for (auto limit : fx.vip.limits) CHECK(limit == k_vip_no_limit);  // no lease: the seam's own timeouts
  for (const auto& p : report.phases) {
    CHECK(p.ok);
    CHECK(p.duration_ms >= 0);
  }
  CHECK(fx.progress == Strings{"check started", "check finished", "fence started", "fence finished",
                               "recover_master started", "recover_master finished", "recover_replicas started",
                               "recover_replicas finished", "finish started", "finish finished"});

  // The check only reads.
  CHECK(fx.cluster.actions("slave1", "check").empty());
  CHECK(fx.cluster.actions("slave2", "check").empty());
  // The IO thread is ended with KILL (STOP alone waits 2 s on a blocked one), then stopped.
  // then, once it is gone (looked up again), stopped.
  CHECK(fx.cluster.actions("slave1", "fence") ==
        Strings{f.io_thread_ids_sql(), Flavor::kill_connection_sql(k_io_thread_id_base + 1), f.io_thread_ids_sql(),
                f.stop_io_thread_sql()});
  CHECK(fx.cluster.actions("slave2", "fence") ==
        Strings{f.io_thread_ids_sql(), Flavor::kill_connection_sql(k_io_thread_id_base + 2), f.io_thread_ids_sql(),
                f.stop_io_thread_sql()});
  CHECK(fx.cluster.actions("slave1", "recover_master") ==
        Strings{fx.wait(120), f.stop_replica_sql(), f.reset_replica_all_sql(), "SET GLOBAL read_only=0"});
  CHECK(fx.cluster.actions("slave2", "recover_master").empty());
  CHECK(fx.cluster.actions("slave1", "recover_replicas").empty());
  CHECK(fx.cluster.actions("slave2", "recover_replicas") ==
        Strings{f.stop_replica_sql(), fx.change_to("slave1"), f.start_replica_sql(), fx.wait(120)});
  CHECK(fx.cluster.actions("master").empty());

  // VIP off the old master before anyone is writable, on the new one after.
  const int released = fx.cluster.event_index("vip: release master ssh=0");
  const int unfenced = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
  const int acquired = fx.cluster.event_index("vip: acquire master -> slave1");
  REQUIRE(released >= 0);
  CHECK(released < unfenced);
  CHECK(unfenced < acquired);
  CHECK(fx.vip.holder == "slave1");

  CHECK(fx.writable("slave1"));
  CHECK_FALSE(fx.writable("slave2"));
  {
    std::lock_guard lock(fx.cluster.mutex);
    CHECK_FALSE(fx.cluster.server("slave1").configured);
    CHECK(fx.cluster.server("slave2").master_host == "192.168.3.71");
    CHECK(fx.cluster.server("slave2").io == "Yes");
  }

  const std::string text = report.text();
  CHECK_THAT(text, StartsWith("----- Failover Report -----"));
  CHECK_THAT(text, Contains("app1: Master failover master to slave1 succeeded"));
  CHECK_THAT(text, Contains("Selected slave1(192.168.3.71:3306) as a new master (candidate_master and most advanced)."));
  CHECK_THAT(text, Contains("Master failover to slave1 completed successfully."));
  auto json = report.to_json();
  CHECK(json["result"] == "completed");
  CHECK(json["new_master"] == "slave1");
  CHECK(json["phases"].size() == 5);
  CHECK(json["phases"][2]["phase"] == "recover_master");
}

TEST_CASE("failover catches a lagging candidate up from the most advanced replica first", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  fx.cluster.set_position("slave1", 118, 118);
  auto report = fx.run();
  INFO(report.text());

  REQUIRE(report.result == FailoverResult::completed);
  CHECK(report.new_master == "slave1");
  CHECK_THAT(report.text(), Contains("candidate_master, will be caught up from 'slave2'"));
  // slave2 applies its relay log; slave1 replicates from it until it has
  // everything, then is promoted; slave2 is pointed back at slave1.
  CHECK(fx.cluster.actions("slave2", "recover_master") == Strings{fx.wait(120)});
  CHECK(fx.cluster.actions("slave1", "recover_master") ==
        Strings{f.stop_replica_sql(), fx.change_to("slave2"), f.start_replica_sql(), fx.wait(120),
                f.stop_replica_sql(), f.reset_replica_all_sql(), "SET GLOBAL read_only=0"});
  CHECK(fx.cluster.actions("slave2", "recover_replicas") ==
        Strings{f.stop_replica_sql(), fx.change_to("slave1"), f.start_replica_sql(), fx.wait(120)});
  std::lock_guard lock(fx.cluster.mutex);
  CHECK(fx.cluster.includes(fx.cluster.server("slave1").executed, fx.cluster.gtids(120)));
}

TEST_CASE("failover salvages the dead master's binlog and applies it before writes", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.request.master_ssh_reachable = true;
  // slave2 received 121 but applied 120 only; slave1 has 120.
  fx.cluster.set_position("slave2", 121, 120);
  fx.salvage_result = salvaged(true, "BINLOG '...';", 3, fx.cluster.gtids(124));
  auto report = fx.run();
  INFO(report.text());

  REQUIRE(report.result == FailoverResult::completed);
  REQUIRE(fx.salvage_calls.size() == 1);
  const SalvageRequest& call = fx.salvage_calls[0];
  CHECK(call.start_position == fx.cluster.gtids(121));  // the most advanced's received position
  CHECK(call.flavor == fx.flavor());
  CHECK(call.binlog_dirs == fx.cluster.config.servers[0].master_binlog_dir);
  CHECK(call.binlog_basename == "/var/lib/mysql/mysql-bin");
  CHECK(fx.applied == Strings{"BINLOG '...';"});
  CHECK(report.salvaged_transactions == 3);
  CHECK(report.last_master_gtid == fx.cluster.gtids(124));
  CHECK(report.lost_writes_risk == "none known");

  const int apply = fx.cluster.event_index("apply_salvaged 192.168.3.71");
  const int unfence = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
  const int salvage = fx.cluster.event_index("salvage from");
  const int released = fx.cluster.event_index("vip: release");
  REQUIRE(apply >= 0);
  CHECK(released < salvage);
  CHECK(salvage < apply);
  CHECK(apply < unfence);
  if (kind == FlavorKind::mysql) {
    // super_read_only would stop the SUPER user applying; read_only stays on.
    const int relaxed = fx.cluster.event_index("slave1: SET GLOBAL super_read_only=0");
    CHECK(relaxed >= 0);
    CHECK(relaxed < apply);
  }
  // slave1 was caught up to slave2's 121 before the salvaged events.
  CHECK(fx.cluster.actions("slave2", "recover_master") == Strings{fx.wait(121)});
}

TEST_CASE("a crashed master's VIP moves in one step when the new master takes writes", "[failover]") {
  // Its mysqld is gone (nothing listens), its host answers SSH: the VIP
  // there only refuses connections, so it stays until promotion, and then
  // it is put on the new master first (built-in VIP) or taken off first
  // (a script, which may move one address through an API).
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  const bool acquire_first = GENERATE(true, false);
  Fixture fx(kind);
  fx.vip.acquire_first = acquire_first;
  fx.request.master_ssh_reachable = true;
  fx.request.master_process_gone = true;
  auto report = fx.run();
  INFO(report.text());
  REQUIRE(report.result == FailoverResult::completed);
  const int stopped_io = fx.cluster.event_index("slave1: " + fx.flavor().stop_io_thread_sql());
  const int unfenced = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
  const int released = fx.cluster.event_index("vip: release master ssh=1");
  const int acquired = fx.cluster.event_index("vip: acquire master -> slave1");
  REQUIRE(stopped_io >= 0);
  REQUIRE(released >= 0);
  REQUIRE(acquired >= 0);
  CHECK(unfenced < released);
  CHECK(unfenced < acquired);
  if (acquire_first) CHECK(acquired < released);
  else CHECK(released < acquired);
  CHECK(fx.vip.holder == "slave1");
}

TEST_CASE("a master whose process is not known gone loses the VIP before anyone is writable", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.vip.acquire_first = true;
  fx.request.master_ssh_reachable = true;
  fx.request.master_process_gone = false;
  auto report = fx.run();
  INFO(report.text());
  REQUIRE(report.result == FailoverResult::completed);
  const int released = fx.cluster.event_index("vip: release master ssh=1");
  const int unfenced = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
  REQUIRE(released >= 0);
  CHECK(released < unfenced);
  CHECK(fx.vip.holder == "slave1");
}

TEST_CASE("failover without SSH to the master reads no binlog and says writes may be lost", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const std::string last_seen = fx.request.master_last_seen->gtid_executed;
  REQUIRE(!last_seen.empty());
  SECTION("semi-sync was on: every acknowledged commit reached a replica, risk low") {
    auto report = fx.run();
    REQUIRE(report.result == FailoverResult::completed);
    CHECK(fx.salvage_calls.empty());
    CHECK_THAT(report.lost_writes_risk,
               StartsWith("low: the dead master's host did not answer SSH, its binlog was not read, but semi-sync "
                          "was ON on the master when last seen"));
    CHECK(report.last_master_gtid == last_seen);
  }
  SECTION("semi-sync was off: possible loss, with the last GTID seen on the master") {
    for (auto& [k, v] : fx.request.master_last_seen->status) v = "OFF";
    auto report = fx.run();
    REQUIRE(report.result == FailoverResult::completed);
    CHECK_THAT(report.lost_writes_risk,
               StartsWith("possible: the dead master's host did not answer SSH, its binlog was not read and "
                          "semi-sync was OFF on the master when last seen"));
    CHECK_THAT(report.lost_writes_risk, Contains("last GTID seen on the master: " + last_seen));
    CHECK_THAT(report.text(), Contains("Last GTID known on the old master: " + last_seen));
  }
  SECTION("salvage fails: continues, risk says why") {
    for (auto& [k, v] : fx.request.master_last_seen->status) v = "OFF";
    fx.request.master_ssh_reachable = true;
    fx.salvage_result = salvaged(false, "", 0, "", "mariadb-binlog: File not found");
    auto report = fx.run();
    REQUIRE(report.result == FailoverResult::completed);
    CHECK_THAT(report.lost_writes_risk,
               StartsWith("possible: reading the dead master's binlog failed: mariadb-binlog: File not found"));
    CHECK(fx.applied.empty());
  }
}

TEST_CASE("on_possible_data_loss = abort stops before promoting; --force accepts the risk", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.cluster.config.on_possible_data_loss = DataLossPolicy::abort;
  SECTION("semi-sync off, no SSH: needs_operator, nothing writable") {
    for (auto& [k, v] : fx.request.master_last_seen->status) v = "OFF";
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK_FALSE(report.promoted);
    CHECK_THAT(report.refusal, Contains("on_possible_data_loss = \"abort\""));
    CHECK_THAT(report.refusal, Contains("mhactl failover --force"));
    CHECK_FALSE(fx.anyone_unfenced());
    CHECK(phase_names(report) == Strings{"check", "fence", "recover_master"});
  }
  SECTION("forced: promoted, the risk stays in the report") {
    for (auto& [k, v] : fx.request.master_last_seen->status) v = "OFF";
    fx.request.manual = fx.request.force = true;
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(report.promoted);
    CHECK_THAT(report.lost_writes_risk, StartsWith("possible: "));
  }
  SECTION("semi-sync on: no gate") {
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
  }
}

TEST_CASE("failover checks that the VIP leads to the new master", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.cluster.config.vip = VipConfig{"192.168.3.100/24", "enp0s3", true};
  fx.cluster.vip_host = "192.168.3.100";
  fx.env.vip_verify_timeout = 50ms;
  SECTION("it does: completed") {
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::completed);
    CHECK_THAT(report.text(), Contains("connected through the VIP 192.168.3.100: server_id 2, the new master"));
  }
  SECTION("a script reports success but the address did not move: completed_with_errors, and why") {
    fx.vip.moves = false;
    fx.cluster.vip_holder = "slave2";  // say it was left on another server
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::completed_with_errors);
    CHECK(report.promoted);
    CHECK_THAT(report.text(), Contains("VIP check failed: a connection to 192.168.3.100:3306 does not reach the new "
                                       "master 'slave1' within 50ms: it leads to server_id 3, not 2 ('slave1')"));
  }
}

TEST_CASE("failover never promotes a no_master server", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.cluster.config.servers[1].no_master = true;
  fx.cluster.config.servers[1].candidate_master = false;
  SECTION("the other replica is chosen") {
    auto report = fx.run();
    REQUIRE(report.result == FailoverResult::completed);
    CHECK(report.new_master == "slave2");
    CHECK_FALSE(fx.writable("slave1"));
    CHECK(fx.writable("slave2"));
    CHECK(report.recovered_replicas == Strings{"slave1"});
  }
  SECTION("--to names it: refused with the reason, nothing touched") {
    fx.request.to = "slave1";
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK(report.refusal == "'slave1' cannot be promoted: no_master (no_master is set in the config)");
    CHECK(fx.cluster.actions("slave1").empty());
    CHECK(fx.cluster.actions("slave2").empty());
    CHECK(fx.vip.holder == "master");
    CHECK(phase_names(report) == Strings{"check"});
  }
  SECTION("--to an unknown server") {
    fx.request.to = "nope";
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK(report.refusal == "no server 'nope' in cluster 'app1'");
  }
  SECTION("--to the other replica") {
    fx.request.to = "slave2";
    fx.cluster.config.servers[1].no_master = false;
    auto report = fx.run();
    REQUIRE(report.result == FailoverResult::completed);
    CHECK(report.new_master == "slave2");
  }
}

TEST_CASE("failover after a recent one is refused unless forced", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.request.last_failover = std::chrono::system_clock::now() - 90min;
  SECTION("refused with the time left") {
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK_THAT(report.refusal, StartsWith("last failover 1h 30m ago, "
                                          "min_failover_interval 8h: automatic failover allowed again in 6h "));
    CHECK_THAT(report.refusal, Contains("(mhactl failover --force overrides)"));
    CHECK(fx.cluster.actions("slave1").empty());
  }
  SECTION("manual is not enough") {
    fx.request.manual = true;
    CHECK(fx.run().result == FailoverResult::refused);
  }
  SECTION("force runs it") {
    fx.request.force = true;
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(report.new_master == "slave1");
  }
  SECTION("auto_failover off: refused, manual runs it") {
    fx.request.last_failover.reset();
    fx.cluster.config.auto_failover = false;
    auto refused = fx.run();
    CHECK(refused.result == FailoverResult::refused);
    CHECK_THAT(refused.refusal, Contains("auto_failover is off"));
    fx.request.manual = true;
    CHECK(fx.run().result == FailoverResult::completed);
  }
}

TEST_CASE("a manual failover is refused while a replica is still connected to the master", "[failover]") {
  // mhad cannot reach the master, a replica still can: two masters if we went on.
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.request.manual = true;
  {
    std::lock_guard lock(fx.cluster.mutex);
    fx.cluster.server("slave2").io = "Yes";
    fx.cluster.server("slave2").last_io_errno = 0;
  }
  SECTION("refused, nothing changed") {
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK_THAT(report.refusal, StartsWith("replica 'slave2' is still connected to master 'master' "
                                          "(Slave_IO_Running=Yes)"));
    CHECK_THAT(report.refusal, Contains("mhactl failover --force"));
    CHECK(fx.cluster.actions("slave1").empty());
    CHECK(fx.cluster.actions("slave2").empty());
  }
  SECTION("--force: the operator knows the host is gone") {
    fx.request.force = true;
    CHECK(fx.run().result == FailoverResult::completed);
  }
}

TEST_CASE("failover refuses replicas without GTIDs (their relay logs could not be waited for)", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  {
    std::lock_guard lock(fx.cluster.mutex);
    for (const char* name : {"slave1", "slave2"}) {
      auto& s = fx.cluster.server(name);
      s.received.clear();
      s.executed.clear();
      s.slave_pos.clear();
    }
  }
  auto report = fx.run();
  INFO(report.text());
  CHECK(report.result == FailoverResult::refused);
  CHECK_THAT(report.refusal, Contains("reports no GTIDs: mhad fails over GTID replication only"));
  CHECK_FALSE(fx.anyone_unfenced());
}

TEST_CASE("failover refuses a master that answers SQL", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.cluster.server("master").alive = true;
  fx.request.manual = GENERATE(false, true);
  auto report = fx.run();
  CHECK(report.result == FailoverResult::refused);
  CHECK(report.refusal == "master 'master' answers: it is not dead; use mhactl switchover");
  CHECK(fx.cluster.actions("master").empty());
  CHECK(fx.cluster.actions("slave1").empty());
  CHECK(fx.cluster.actions("slave2").empty());
}

TEST_CASE("an automatic failover looks at the dead master with a TCP connect, SQL only if it accepts",
          "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  std::vector<std::string> probed;
  SECTION("the port does not accept: no SQL connect to the dead master, the failover goes on") {
    fx.env.tcp_probe = [&](const std::string& host, std::uint16_t, std::chrono::milliseconds timeout) {
      probed.push_back(host + " " + std::to_string(timeout.count()));
      return TcpState::timeout;
    };
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::completed);
    CHECK(probed == Strings{"192.168.3.74 200"});
  }
  SECTION("the port accepts and the master answers SQL: refused, nothing changed") {
    fx.cluster.server("master").alive = true;
    fx.env.tcp_probe = [&](const std::string& host, std::uint16_t, std::chrono::milliseconds) {
      probed.push_back(host);
      return TcpState::accepts;
    };
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK(report.refusal == "master 'master' answers: it is not dead; use mhactl switchover");
    CHECK(fx.cluster.actions("slave1").empty());
  }
  SECTION("a manual failover always asks SQL") {
    fx.request.manual = true;
    fx.cluster.server("master").alive = true;
    fx.env.tcp_probe = [&](const std::string& host, std::uint16_t, std::chrono::milliseconds) {
      probed.push_back(host);
      return TcpState::timeout;
    };
    auto report = fx.run();
    CHECK(report.result == FailoverResult::refused);
    CHECK(probed.empty());
  }
}

TEST_CASE("failover refuses a master that denies access: it runs", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.cluster.server("master").alive = true;
  fx.cluster.server("master").connect_error = Error{Errc::auth, "Access denied for user 'mhad'@'10.0.0.1'"};
  auto report = fx.run();
  CHECK(report.result == FailoverResult::refused);
  CHECK(report.refusal == "master 'master' answers (Access denied for user 'mhad'@'10.0.0.1'): it is not dead; fix "
                          "the access or use mhactl switchover");
  CHECK(fx.cluster.actions("slave1").empty());
}

TEST_CASE("failover reports a replica that cannot be repointed and recovers the others", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind, 3);
  const std::string change = kind == FlavorKind::mariadb ? "CHANGE MASTER" : "CHANGE REPLICATION SOURCE";
  fx.cluster.server("slave2").fail[change] = Error{Errc::auth, "Access denied; you need the REPLICATION SLAVE ADMIN privilege"};
  SECTION("counts as an error") {
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::completed_with_errors);
    CHECK(report.recovered_replicas == Strings{"slave3"});
    CHECK(report.failed_replicas ==
          Strings{"slave2: CHANGE MASTER failed: Access denied; you need the REPLICATION SLAVE ADMIN privilege"});
    CHECK_THAT(report.text(), Contains("done with errors"));
    CHECK(fx.writable("slave1"));
  }
  SECTION("ignore_fail: a note") {
    fx.cluster.config.servers[2].ignore_fail = true;
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(report.failed_replicas.empty());
    CHECK(std::any_of(report.notes.begin(), report.notes.end(),
                      [](const std::string& n) { return n.starts_with("'slave2' not recovered (ignore_fail)"); }));
  }
  SECTION("a replica that dies during recovery") {
    fx.cluster.server("slave3").die_on.insert(kind == FlavorKind::mariadb ? "START SLAVE" : "START REPLICA");
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed_with_errors);
    CHECK(report.failed_replicas.size() == 2);
  }
}

TEST_CASE("failover stops before a phase when it cannot be persisted", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  auto stop_at = GENERATE(FailoverPhase::check, FailoverPhase::fence, FailoverPhase::recover_master,
                          FailoverPhase::recover_replicas, FailoverPhase::finish);
  Fixture fx(kind);
  fx.env.before_phase = [&](FailoverPhase p, const std::string&) { return p != stop_at; };
  auto report = fx.run();
  INFO(report.text());
  CHECK(report.result == FailoverResult::needs_operator);
  CHECK_THAT(report.refusal, StartsWith(fmt::format("stopped before phase {}", phase_name(stop_at))));
  REQUIRE_FALSE(report.phases.empty());
  CHECK(report.phases.back().phase == stop_at);
  CHECK_FALSE(report.phases.back().ok);
  if (stop_at <= FailoverPhase::recover_master) {
    CHECK_FALSE(fx.anyone_unfenced());
    CHECK_FALSE(fx.writable("slave1"));
    CHECK_FALSE(fx.writable("slave2"));
  } else {
    CHECK(fx.writable("slave1"));
  }
  if (stop_at <= FailoverPhase::fence) CHECK(fx.vip.holder == "master");
}

TEST_CASE("failover kills a frozen master over SSH before promoting", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.request.master_frozen = true;
  fx.request.master_ssh_reachable = true;
  fx.request.master_pids = {1234};
  fx.cluster.pids["master"] = {1234};
  SECTION("killed") {
    auto report = fx.run();
    INFO(report.text());
    REQUIRE(report.result == FailoverResult::completed);
    REQUIRE(fx.cluster.shell_log.size() == 1);  // one command kills and waits on the host
    CHECK_THAT(fx.cluster.shell_log[0], StartsWith("master: export LC_ALL=C; kill -9 1234 2>&1;"));
    const int killed = fx.cluster.event_index("shell " + fx.cluster.shell_log[0]);
    const int unfence = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
    CHECK(killed >= 0);
    CHECK(killed < unfence);
    CHECK(fx.salvage_calls.size() == 1);  // the host still answers SSH
  }
  SECTION("cannot be killed") {
    fx.cluster.unkillable = {1234};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK_THAT(report.refusal, StartsWith("cannot fence the frozen master: process 1234 on 'master' still exists"));
    CHECK_THAT(report.refusal, Contains("kill it or power it off, then mhactl failover"));
    CHECK_FALSE(fx.anyone_unfenced());
    CHECK(fx.salvage_calls.empty());
  }
  SECTION("no SSH: an operator must fence it") {
    fx.request.master_ssh_reachable = false;
    auto report = fx.run();
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK_THAT(report.refusal, StartsWith("cannot fence the frozen master: 'master' does not answer SSH"));
    CHECK(fx.cluster.shell_log.empty());
    CHECK_FALSE(fx.anyone_unfenced());
  }
}

TEST_CASE("failover fence failures stop before any promotion", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  SECTION("the VIP cannot be released") {
    fx.vip.release_outcome = {false, false, "ip addr del: RTNETLINK answers: Operation not permitted"};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::failed);
    CHECK_THAT(report.refusal, StartsWith("cannot take the VIP off 'master': ip addr del: RTNETLINK answers"));
    CHECK_FALSE(fx.anyone_unfenced());
  }
  SECTION("the VIP script warns (exit 10): proceeds with a note") {
    fx.vip.release_outcome = {false, true, "exit 10"};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(std::any_of(report.notes.begin(), report.notes.end(),
                      [](const std::string& n) { return n.starts_with("VIP release on 'master' warned"); }));
  }
  SECTION("the VIP cannot be moved to the new master: completed with errors") {
    fx.vip.acquire_outcome = {false, false, "arping failed"};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed_with_errors);
    CHECK(fx.writable("slave1"));
  }
  SECTION("a replica's IO thread cannot be stopped") {
    fx.cluster.server("slave2").fail["STOP SLAVE IO_THREAD"] = Error{Errc::sql, "Lock wait timeout exceeded"};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::failed);
    CHECK(report.refusal == "cannot stop the IO thread on 'slave2': Lock wait timeout exceeded; nothing was promoted");
    CHECK_FALSE(fx.anyone_unfenced());
  }
  SECTION("shutdown_script powers the host off: no salvage") {
    fx.request.master_ssh_reachable = true;
    fx.env.shutdown = [](const ServerConfig&, bool, std::chrono::milliseconds) { return ScriptResult{true, false, 0, 0, "", ""}; };
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(fx.salvage_calls.empty());
    CHECK_THAT(report.lost_writes_risk, Contains("powered off by shutdown_script"));
  }
  SECTION("shutdown_script fails") {
    fx.env.shutdown = [](const ServerConfig&, bool, std::chrono::milliseconds) { return ScriptResult{true, false, 1, 0, "ipmi: timeout", ""}; };
    auto report = fx.run();
    CHECK(report.result == FailoverResult::failed);
    CHECK_THAT(report.refusal, StartsWith("shutdown_script failed on 'master': exit 1: ipmi: timeout"));
  }
}

TEST_CASE("failover fails safely when the catch-up does not complete", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.cluster.set_position("slave1", 118, 118);
  // slave2 never serves slave1 (e.g. its binlog lacks the events).
  fx.cluster.server("slave1").fail["SELECT MASTER_GTID_WAIT"] = Error{Errc::timeout, "Query execution was interrupted"};
  auto report = fx.run();
  CHECK(report.result == FailoverResult::failed);
  CHECK_THAT(report.refusal, StartsWith("catching 'slave1' up from 'slave2' failed: Query execution was interrupted; "
                                        "nothing was promoted"));
  CHECK_FALSE(fx.anyone_unfenced());
}

TEST_CASE("failover without repl_password keeps the replicas' stored password", "[failover]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.cluster.config.repl_password = Secret();
  fx.cluster.config.repl_user.clear();  // the replica's Master_User: "repl"
  auto report = fx.run();
  REQUIRE(report.result == FailoverResult::completed);
  auto actions = fx.cluster.actions("slave2", "recover_replicas");
  REQUIRE(actions.size() == 4);
  CHECK_THAT(actions[1], Contains("USER='repl'"));
  CHECK_THAT(actions[1], !Contains("PASSWORD"));
}

TEST_CASE("nothing to salvage: the last GTID of the old master is what the replicas received", "[failover]") {
  // Not the monitor's last look at the master, which may be a ping interval old.
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  fx.request.master_ssh_reachable = true;
  fx.request.master_last_seen->gtid_executed = fx.cluster.gtids(100);
  auto report = fx.run();
  REQUIRE(report.result == FailoverResult::completed);
  REQUIRE(fx.salvage_calls.size() == 1);
  CHECK(report.salvaged_transactions == 0);
  CHECK(report.lost_writes_risk == "none known");
  CHECK(report.last_master_gtid == fx.salvage_calls[0].start_position);
  CHECK(report.last_master_gtid != fx.cluster.gtids(100));
}

TEST_CASE("an old master that comes back during the failover is made read-only before the new one is writable",
          "[failover]") {
  // A crashed mysqld restarted by its service manager, writable, mid-failover.
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  Fixture fx(kind);
  const Flavor f = fx.flavor();
  fx.request.master_ssh_reachable = true;
  auto progress = fx.env.progress;
  fx.env.progress = [&](FailoverPhase p, const std::string& event, const nlohmann::json& detail) {
    progress(p, event, detail);
    if (p == FailoverPhase::recover_master && event == "started") {
      std::lock_guard lock(fx.cluster.mutex);
      fx.cluster.server("master").alive = true;
      fx.cluster.server("master").read_only = false;
    }
  };
  SECTION("fenced, then the failover goes on") {
    auto report = fx.run();
    INFO(report.text());
    REQUIRE(report.result == FailoverResult::completed);
    CHECK(fx.cluster.actions("master", "recover_master") == Strings{f.fence_writes_sql()});
    const int fenced = fx.cluster.event_index("master: " + f.fence_writes_sql());
    const int promoted = fx.cluster.event_index("slave1: SET GLOBAL read_only=0");
    REQUIRE(fenced >= 0);
    CHECK(fenced < promoted);
    CHECK_THAT(report.text(), Contains("the old master 'master' came back during the failover"));
  }
  SECTION("cannot be fenced: nothing is made writable") {
    fx.cluster.server("master").fail[f.fence_writes_sql()] = Error{Errc::auth, "Access denied"};
    auto report = fx.run();
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK_FALSE(report.promoted);
    CHECK_FALSE(fx.anyone_unfenced());
    CHECK_THAT(report.refusal, StartsWith("the old master 'master' came back during the failover and could not be "
                                          "made read-only (Access denied)"));
  }
}

TEST_CASE("failover of a vanished host that nothing fenced: on_unfenced_master decides", "[failover]") {
  Fixture fx(FlavorKind::mariadb);
  fx.request.master_ssh_reachable = false;                          // dead_host
  fx.vip.release_outcome = {true, true, "VIP may still be on master: ssh timed out"};  // not confirmed off

  SECTION("proceed (the default, MHA's behaviour): promoted, the risk noted") {
    auto report = fx.run();
    CHECK(report.result == FailoverResult::completed);
    CHECK(std::any_of(report.notes.begin(), report.notes.end(), [](const std::string& n) {
      return n.find("'master' was not fenced: its host did not answer SSH, no shutdown_script is configured") !=
             std::string::npos;
    }));
  }
  SECTION("abort: nothing promoted, the operator is told what to do") {
    fx.cluster.config.on_unfenced_master = DataLossPolicy::abort;
    auto report = fx.run();
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK_THAT(report.refusal, Contains("on_unfenced_master = \"abort\": nothing was promoted"));
    CHECK_THAT(report.refusal, Contains("Power it off or cut it off, then mhactl failover --force"));
    CHECK_FALSE(fx.anyone_unfenced());
    SECTION("--force goes ahead") {
      fx.request.force = true;
      CHECK(fx.run().result == FailoverResult::completed);
    }
  }
  SECTION("a VIP confirmed off its host counts as fenced") {
    fx.cluster.config.on_unfenced_master = DataLossPolicy::abort;
    fx.vip.release_outcome = {true, false, "removed"};
    CHECK(fx.run().result == FailoverResult::completed);
  }
}

// coordination = "etcd": the failover runs under a lease (lease_deadline.h).
// Here the lease is surely held for 1.5 s from any moment, except in the
// phase named `lose_at`, where it is not surely held at all (a renewal
// failed long enough, or the instance was deposed).
TEST_CASE("failover under an etcd lease: each wait fits in the lease; no change starts once it is not surely held",
          "[failover][lease]") {
  Fixture fx(FlavorKind::mariadb);
  const Flavor f = fx.flavor();
  std::string lose_at;
  fx.env.lease = LeaseDeadline([&](MonoTime now) -> std::optional<MonoTime> {
    std::lock_guard lock(fx.cluster.mutex);
    if (fx.cluster.phase == lose_at) return std::nullopt;
    return now + 1500ms;
  });
  auto no_changes = [&](const std::string& phase) {
    for (const char* name : {"master", "slave1", "slave2"}) CHECK(fx.cluster.actions(name, phase).empty());
  };

  SECTION("held throughout: the same failover, the relay-log wait in a 1 s slice (the lease's 1.5 s, rounded down)") {
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::completed);
    CHECK(fx.cluster.actions("slave1", "recover_master") ==
          Strings{fx.wait(120, 1), f.stop_replica_sql(), f.reset_replica_all_sql(), "SET GLOBAL read_only=0"});
    CHECK(fx.cluster.actions("slave2", "recover_replicas") ==
          Strings{f.stop_replica_sql(), fx.change_to("slave1"), f.start_replica_sql(), fx.wait(120, 1)});
    // The VIP seam's calls are bounded by the lease too, whatever its own timeouts.
    REQUIRE_FALSE(fx.vip.limits.empty());
    for (auto limit : fx.vip.limits) CHECK(limit <= 1500ms);
  }
  SECTION("a shutdown_script gets no more than the lease has left") {
    std::optional<std::chrono::milliseconds> given;
    fx.env.shutdown = [&given](const ServerConfig&, bool, std::chrono::milliseconds limit) {
      given = limit;
      return ScriptResult{true, false, 0, 0, "", ""};
    };
    fx.run();
    REQUIRE(given);
    CHECK(*given <= 1500ms);
  }
  SECTION("lost before the fence: no IO thread stopped, nothing promoted") {
    lose_at = "fence";
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result == FailoverResult::needs_operator);
    CHECK(report.refusal ==
          "the etcd lease is not surely held any more: 'stopping the replicas' IO threads' not started (another mhad "
          "may act now); this instance stopped in phase fence, nothing promoted");
    no_changes("fence");
    no_changes("recover_master");
    CHECK_FALSE(fx.anyone_unfenced());
  }
  SECTION("lost in recover_master: neither the relay-log wait nor the promotion starts") {
    lose_at = "recover_master";
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.result != FailoverResult::completed);
    CHECK_FALSE(report.promoted);
    CHECK(report.refusal.find("the etcd lease is not surely held any more") != std::string::npos);
    no_changes("recover_master");
    CHECK_FALSE(fx.anyone_unfenced());
    CHECK(phase_names(report) == Strings{"check", "fence", "recover_master"});
  }
  SECTION("lost in recover_replicas: the other replica is not repointed, and the report says why") {
    lose_at = "recover_replicas";
    auto report = fx.run();
    INFO(report.text());
    CHECK(report.promoted);
    CHECK(report.result == FailoverResult::completed_with_errors);
    REQUIRE(report.failed_replicas.size() == 1);
    CHECK(report.failed_replicas[0].rfind("slave2: the etcd lease is not surely held any more: 'repointing 'slave2'' "
                                          "not started",
                                          0) == 0);
    CHECK(fx.cluster.actions("slave2", "recover_replicas").empty());
  }
}
