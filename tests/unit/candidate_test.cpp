// Candidate selection and failover readiness (daemon/failover/candidate.h),
// one test per rule, on plain observations: no fakes, no servers.
#include "daemon/failover/candidate.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string k_uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const std::string k_uuid2 = "4f22ab58-82db-22f2-af44-d91bb0530673";

// The seed's cluster: master 192.168.3.74, slave1 .71, slave2 .70.
ClusterConfig app1(std::vector<std::string> names = {"master", "slave1", "slave2"}) {
  ClusterConfig c;
  c.name = "app1";
  int last_octet = 74;
  for (const auto& name : names) {
    ServerConfig s;
    s.name = name;
    s.host = fmt::format("192.168.3.{}", last_octet);
    s.ip = s.host;
    last_octet = last_octet == 74 ? 71 : last_octet - 1;
    c.servers.push_back(s);
  }
  return c;
}

ServerObservation mariadb_master(std::string gtid = "0-1-120") {
  ServerObservation obs;
  obs.checked = true;
  obs.reachable = true;
  obs.read_only = false;
  obs.version = "10.11.6-MariaDB";
  obs.flavor = *Flavor::from_version(obs.version);
  obs.server_id = 1;
  obs.gtid_executed = std::move(gtid);
  obs.variables = {{"log_bin", "ON"}, {"log_slave_updates", "ON"}};
  return obs;
}

// A healthy MariaDB replica of 192.168.3.74 that received and applied
// `gtid`; its binlog coordinates are derived from the seq so that GTID order
// and position order agree.
ServerObservation mariadb_replica(const std::string& gtid = "0-1-120", std::uint32_t server_id = 2) {
  ServerObservation obs = mariadb_master(gtid);
  obs.read_only = true;
  obs.server_id = server_id;
  obs.gtid_slave_pos = gtid;
  ReplicaStatus r;
  r.master_host = "192.168.3.74";
  r.master_port = 3306;
  r.io_running = ReplicaStatus::ThreadState::yes;
  r.sql_running = true;
  r.seconds_behind = 0;
  r.is_mariadb_row = true;
  r.using_gtid = ReplicaStatus::UsingGtid::slave_pos;
  r.auto_position = true;
  r.gtid_io_pos = gtid;
  std::uint64_t seq = gtid.empty() ? 0 : std::stoull(gtid.substr(gtid.rfind('-') + 1));
  r.master_log_file = r.relay_master_log_file = "mysql-bin.000012";
  r.read_master_log_pos = r.exec_master_log_pos = 1000 + seq * 100;
  obs.replica = r;
  return obs;
}

ServerObservation mysql_master(std::string gtid) {
  ServerObservation obs = mariadb_master(std::move(gtid));
  obs.version = "8.0.36";
  obs.flavor = *Flavor::from_version(obs.version);
  return obs;
}

ServerObservation mysql_replica(const std::string& retrieved, const std::string& executed) {
  ServerObservation obs = mariadb_replica("");
  obs.version = "8.0.36";
  obs.flavor = *Flavor::from_version(obs.version);
  obs.gtid_slave_pos.clear();
  obs.gtid_executed = executed;
  ReplicaStatus& r = *obs.replica;
  r.is_mariadb_row = false;
  r.using_gtid = ReplicaStatus::UsingGtid::no;
  r.gtid_io_pos.clear();
  r.retrieved_gtid_set = retrieved;
  r.executed_gtid_set = executed;
  return obs;
}

// The master died: unreachable, replicas' IO threads reconnecting.
void kill_master(std::vector<ServerObservation>& obs) {
  obs[0].reachable = false;
  obs[0].error = make_error(Errc::refused, "Can't connect to server on '192.168.3.74' (111)");
  for (std::size_t i = 1; i < obs.size(); ++i)
    if (obs[i].replica) {
      obs[i].replica->io_running = ReplicaStatus::ThreadState::connecting;
      obs[i].replica->last_io_errno = 2003;
      obs[i].replica->last_io_error = "error reconnecting to master 'mha@192.168.3.74:3306'";
    }
}

const FailoverGuards k_never_failed_over{std::nullopt, std::chrono::system_clock::now()};

Readiness assess(const ClusterConfig& cluster, const std::vector<ServerObservation>& obs) {
  return assess_failover(cluster, obs, 0, k_never_failed_over);
}

std::string name_of(const ClusterConfig& cluster, std::optional<std::size_t> index) {
  return index ? cluster.servers.at(*index).name : "none";
}

}  // namespace

TEST_CASE("a healthy cluster: the most advanced replica, nothing blocks", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-117"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave2");
  CHECK(r.rule == "most advanced");
  CHECK(name_of(cluster, r.most_advanced) == "slave2");
  CHECK(r.excluded.empty());
  CHECK(r.blockers.empty());
  CHECK(r.would_proceed());
  CHECK(r.gtid_gap == "0 transactions");
  CHECK(r.transactions_behind == 0);
}

TEST_CASE("candidate_master wins among equally advanced replicas", "[failover]") {
  auto cluster = app1();
  cluster.servers[2].candidate_master = true;
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave2");
  CHECK(r.rule == "candidate_master and most advanced");
  CHECK(r.would_proceed());
}

TEST_CASE("candidate_master behind the others is still chosen and caught up first", "[failover]") {
  auto cluster = app1();
  cluster.servers[1].candidate_master = true;
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-117"), mariadb_replica("0-1-120")};
  kill_master(obs);
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.rule == "candidate_master, will be caught up from 'slave2'");
  CHECK(name_of(cluster, r.most_advanced) == "slave2");
  CHECK(r.blockers.empty());
  CHECK(r.would_proceed());
}

TEST_CASE("no_master is never chosen, even when most advanced", "[failover]") {
  auto cluster = app1();
  cluster.servers[2].no_master = true;
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-117"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.rule == "first in config order, will be caught up from 'slave2'");
  CHECK(name_of(cluster, r.most_advanced) == "slave2");
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::no_master, "no_master is set in the config"}});
  CHECK(r.would_proceed());

  SECTION("and candidate_master does not override it") {
    cluster.servers[2].candidate_master = true;
    CHECK(name_of(cluster, assess(cluster, obs).candidate) == "slave1");
  }
}

TEST_CASE("a lagging replica is excluded only when its check_repl_delay is on", "[failover]") {
  auto cluster = app1();
  cluster.servers[1].candidate_master = true;
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  kill_master(obs);
  ReplicaStatus& slave1 = *obs[1].replica;

  SECTION("SQL thread on an older binlog file than the most advanced replica received") {
    slave1.relay_master_log_file = "mysql-bin.000011";
    slave1.exec_master_log_pos = 4567;
    slave1.seconds_behind = 45;
    auto r = assess(cluster, obs);
    CHECK(name_of(cluster, r.candidate) == "slave2");
    CHECK(r.rule == "most advanced");
    CHECK(r.excluded == std::vector{Exclusion{1, ExclusionReason::lagging,
                                              "SQL thread at mysql-bin.000011:4567 is an older binlog than 'slave2' "
                                              "has received, up to mysql-bin.000012:13000; 45s behind the master; "
                                              "check_repl_delay is on"}});

    cluster.servers[1].check_repl_delay = false;
    r = assess(cluster, obs);
    CHECK(name_of(cluster, r.candidate) == "slave1");
    CHECK(r.excluded.empty());
  }
  SECTION("same file, more than max_relay_lag_bytes behind") {
    obs[2].replica->read_master_log_pos = 200'013'000;
    obs[2].replica->exec_master_log_pos = 200'013'000;
    auto r = assess(cluster, obs);
    CHECK(name_of(cluster, r.candidate) == "slave2");
    CHECK(r.excluded == std::vector{Exclusion{1, ExclusionReason::lagging,
                                              "SQL thread is 200000000 bytes behind what 'slave2' has received in "
                                              "mysql-bin.000012, over max_relay_lag_bytes 100MB; check_repl_delay is "
                                              "on"}});

    cluster.max_relay_lag_bytes = 300'000'000;
    CHECK(name_of(cluster, assess(cluster, obs).candidate) == "slave1");
  }
  SECTION("its own SQL thread far behind its own IO thread counts too") {
    slave1.read_master_log_pos = 110'000'000;
    slave1.gtid_io_pos = "0-1-121";
    obs[2].replica->read_master_log_pos = obs[2].replica->exec_master_log_pos = 60'000'000;
    auto r = assess(cluster, obs);
    CHECK(name_of(cluster, r.most_advanced) == "slave1");
    REQUIRE(r.excluded.size() == 1);
    CHECK(r.excluded[0].reason == ExclusionReason::lagging);
    CHECK(r.excluded[0].detail.starts_with("SQL thread is 109987000 bytes behind what its IO thread has received"));
    CHECK(r.rule == "first in config order, will be caught up from 'slave1'");
  }
  SECTION("within the limit") {
    slave1.exec_master_log_pos = 12000;
    CHECK(name_of(cluster, assess(cluster, obs).candidate) == "slave1");
  }
}

TEST_CASE("errant GTIDs exclude the replica and block the failover (MariaDB)", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-120"), mariadb_replica("0-1-120", 3)};
  obs[2].gtid_executed = "0-1-120,1-3-7";  // a write on slave2 in domain 1, which the master never used

  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::errant_gtids, "has 1-3-7 that the master never had"}});
  CHECK(r.blockers == std::vector<std::string>{"errant GTIDs on 'slave2': 1-3-7"});
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK_FALSE(r.would_proceed());

  SECTION("a local write in the master's domain") {
    obs[2].gtid_executed = "0-3-121";
    CHECK(assess(cluster, obs).blockers == std::vector<std::string>{"errant GTIDs on 'slave2': 0-3-121"});
  }
  SECTION("checked against the dead master's last known GTIDs") {
    kill_master(obs);
    CHECK(assess(cluster, obs).blockers == std::vector<std::string>{"errant GTIDs on 'slave2': 1-3-7"});
  }
  SECTION("skipped when the dead master's GTIDs are unknown") {
    kill_master(obs);
    obs[0].gtid_executed.clear();
    CHECK(assess(cluster, obs).blockers.empty());
  }
}

TEST_CASE("transactions received after the master was observed are not errant", "[failover]") {
  auto cluster = app1();
  // The master was read at 0-1-118; the replicas got two more since.
  std::vector obs{mariadb_master("0-1-118"), mariadb_replica("0-1-120"), mariadb_replica("0-1-119")};
  auto r = assess(cluster, obs);
  CHECK(r.excluded.empty());
  CHECK(r.blockers.empty());
  CHECK(r.gtid_gap == "0 transactions");

  SECTION("MySQL") {
    std::vector my{mysql_master(k_uuid + ":1-118"), mysql_replica(k_uuid + ":100-120", k_uuid + ":1-120"),
                   mysql_replica(k_uuid + ":100-119", k_uuid + ":1-119")};
    auto m = assess(cluster, my);
    CHECK(m.excluded.empty());
    CHECK(m.blockers.empty());
  }
}

TEST_CASE("errant GTIDs exclude the replica and block the failover (MySQL)", "[failover]") {
  auto cluster = app1();
  std::vector obs{mysql_master(k_uuid + ":1-120"), mysql_replica(k_uuid + ":100-120", k_uuid + ":1-120"),
                  mysql_replica(k_uuid + ":100-120", k_uuid + ":1-120,\n" + k_uuid2 + ":1-3")};
  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::errant_gtids, "has " + k_uuid2 + ":1-3 that the master never had"}});
  CHECK(r.blockers == std::vector<std::string>{"errant GTIDs on 'slave2': " + k_uuid2 + ":1-3"});
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.rule == "most advanced");  // not "caught up from slave2": its errant GTIDs do not count
}

TEST_CASE("MySQL: the most advanced replica by Retrieved_Gtid_Set and Executed_Gtid_Set", "[failover]") {
  auto cluster = app1();
  // slave1 received 121 but has not applied it; slave2 applied up to 120.
  std::vector obs{mysql_master(k_uuid + ":1-124"), mysql_replica(k_uuid + ":100-121", k_uuid + ":1-120"),
                  mysql_replica(k_uuid + ":110-120", k_uuid + ":1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.most_advanced) == "slave1");
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.rule == "most advanced");
  CHECK(r.gtid_gap == "3 transactions (master " + k_uuid + ":1-124, 'slave1' received " + k_uuid + ":1-121)");
  CHECK(r.transactions_behind == 3);

  SECTION("after a restart Retrieved_Gtid_Set is empty: Executed_Gtid_Set still counts") {
    obs[2].replica->retrieved_gtid_set.clear();
    obs[2].replica->executed_gtid_set = obs[2].gtid_executed = k_uuid + ":1-122";
    CHECK(name_of(cluster, assess(cluster, obs).most_advanced) == "slave2");
  }
}

TEST_CASE("MariaDB: the most advanced replica by Gtid_IO_Pos, over binlog positions", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master("0-1-125"), mariadb_replica("0-1-120"), mariadb_replica("0-1-122")};
  // Positions alone would say slave1 (e.g. after the binlog was rotated differently).
  obs[1].replica->master_log_file = "mysql-bin.000013";
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.most_advanced) == "slave2");
  CHECK(r.gtid_gap == "3 transactions (master 0-1-125, 'slave2' received 0-1-122)");
  CHECK(r.transactions_behind == 3);

  SECTION("a stale Gtid_IO_Pos is merged with gtid_slave_pos") {
    obs[1].replica->gtid_io_pos = "0-1-90";
    obs[1].gtid_slave_pos = "0-1-124";
    CHECK(name_of(cluster, assess(cluster, obs).most_advanced) == "slave1");
  }
  SECTION("one transaction: singular") {
    obs[0].gtid_executed = "0-1-123";
    CHECK(assess(cluster, obs).gtid_gap == "1 transaction (master 0-1-123, 'slave2' received 0-1-122)");
  }
}

TEST_CASE("without GTIDs the most advanced replica is found by binlog position", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(""), mariadb_replica(""), mariadb_replica("")};
  obs[1].replica->master_log_file = "mysql-bin.000013";
  obs[1].replica->read_master_log_pos = 120;
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.most_advanced) == "slave1");
  CHECK(r.gtid_gap == "unknown: replicas compared by binlog position, not GTIDs");
  CHECK(r.transactions_behind == -1);
}

TEST_CASE("gtid_gap when the master is unreachable", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-117"), mariadb_replica("0-1-118")};
  kill_master(obs);
  auto r = assess(cluster, obs);
  CHECK(r.gtid_gap == "unknown: master unreachable, last known 0-1-120");
  CHECK(r.transactions_behind == -1);
  obs[0].gtid_executed.clear();
  CHECK(assess(cluster, obs).gtid_gap == "unknown: master unreachable");
}

TEST_CASE("an unreachable replica is excluded and blocks unless ignore_fail", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  obs[1].reachable = false;
  // As MariadbSession words it.
  obs[1].error = make_error(Errc::timeout, "cannot connect: connect to 192.168.3.71:3306 timed out after 4s");
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave2");
  CHECK(r.excluded ==
        std::vector{Exclusion{1, ExclusionReason::unreachable, "cannot connect: connect to 192.168.3.71:3306 timed out after 4s"}});
  CHECK(r.blockers ==
        std::vector<std::string>{"'slave1' is unreachable (set ignore_fail = true on it to fail over without it)"});

  cluster.servers[1].ignore_fail = true;
  r = assess(cluster, obs);
  CHECK(r.blockers.empty());
  CHECK(r.would_proceed());

  SECTION("never checked") {
    obs[1] = ServerObservation{};
    CHECK(assess(cluster, obs).excluded == std::vector{Exclusion{1, ExclusionReason::unreachable, "not checked yet"}});
  }
}

TEST_CASE("a replica stopped by a SQL error is excluded; a stopped IO thread is fine", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  kill_master(obs);
  obs[1].replica->io_running = ReplicaStatus::ThreadState::no;  // stopped, not just reconnecting
  obs[2].replica->sql_running = false;
  obs[2].replica->last_sql_errno = 1062;
  obs[2].replica->last_sql_error = "Duplicate entry '7' for key 'PRIMARY'";
  cluster.servers[2].ignore_fail = true;
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::sql_thread_error,
                                            "SQL thread stopped: Last_SQL_Error 1062: Duplicate entry '7' for key "
                                            "'PRIMARY'"}});
  CHECK(r.would_proceed());

  SECTION("a SQL thread stopped without an error is started by the failover") {
    obs[2].replica->last_sql_errno = 0;
    CHECK(assess(cluster, obs).excluded.empty());
  }
}

TEST_CASE("a replica of another server is excluded and blocks", "[failover]") {
  auto cluster = app1({"master", "slave1", "slave2", "slave3"});
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  obs[3].replica->master_host = "192.168.3.71";  // slave3 replicates from slave1
  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{3, ExclusionReason::replicates_elsewhere, "replicates from 'slave1', not from 'master'"}});
  CHECK(r.blockers == std::vector<std::string>{"replicas replicate from different masters: 'slave3' from 'slave1'"});

  SECTION("multi_tier_slave: a replica of a replica is only excluded") {
    cluster.multi_tier_slave = true;
    r = assess(cluster, obs);
    CHECK(r.excluded.size() == 1);
    CHECK(r.blockers.empty());
  }
  SECTION("a source outside the cluster") {
    cluster.multi_tier_slave = true;
    obs[3].replica->master_host = "10.0.0.9";
    r = assess(cluster, obs);
    CHECK(r.excluded ==
          std::vector{Exclusion{3, ExclusionReason::replicates_elsewhere, "replicates from 10.0.0.9:3306, not from 'master'"}});
    CHECK(r.blockers ==
          std::vector<std::string>{"replicas replicate from different masters: 'slave3' from 10.0.0.9:3306"});
  }
}

TEST_CASE("a second writable server blocks; a read-only one without replication needs ignore_fail", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_master("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::not_replicating, "writable and replicates from nobody"}});
  CHECK(r.blockers == std::vector<std::string>{"'slave2' is writable and replicates from nobody"});

  obs[2].read_only = true;
  r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{2, ExclusionReason::not_replicating, "replicates from nobody"}});
  CHECK(r.blockers ==
        std::vector<std::string>{"'slave2' is not replicating (set ignore_fail = true on it to fail over without it)"});
}

TEST_CASE("log_bin off excludes; unknown variables do not", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-117")};
  obs[1].variables["log_bin"] = "OFF";
  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{1, ExclusionReason::binlog_off, "log_bin is off: it could not serve as a master"}});
  CHECK(name_of(cluster, r.candidate) == "slave2");

  obs[1].variables.clear();
  CHECK(assess(cluster, obs).excluded.empty());
}

TEST_CASE("log_slave_updates off excludes only when other replicas would follow it", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-117")};
  obs[1].variables["log_slave_updates"] = "0";
  auto r = assess(cluster, obs);
  REQUIRE(r.excluded.size() == 1);
  CHECK(r.excluded[0].reason == ExclusionReason::log_slave_updates_off);
  CHECK(name_of(cluster, r.candidate) == "slave2");

  SECTION("MySQL 8's name for it") {
    obs[1].variables = {{"log_bin", "ON"}, {"log_replica_updates", "OFF"}};
    CHECK(assess(cluster, obs).excluded.size() == 1);
  }
  SECTION("the only replica") {
    auto two = app1({"master", "slave1"});
    std::vector pair{obs[0], obs[1]};
    r = assess(two, pair);
    CHECK(r.excluded.empty());
    CHECK(name_of(two, r.candidate) == "slave1");
  }
}

TEST_CASE("only replicas of the oldest major version may be promoted (MHA)", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-117")};
  obs[1].flavor = *Flavor::from_version("10.11.6-MariaDB");
  obs[2].flavor = *Flavor::from_version("10.6.16-MariaDB");
  auto r = assess(cluster, obs);
  CHECK(r.excluded == std::vector{Exclusion{1, ExclusionReason::newer_version,
                                            "10.11 is newer than 10.6 on 'slave2': only the oldest major version may "
                                            "be promoted, so that every replica can replicate from it"}});
  CHECK(name_of(cluster, r.candidate) == "slave2");

  SECTION("patch levels do not count") {
    obs[2].flavor = *Flavor::from_version("10.11.2-MariaDB");
    CHECK(assess(cluster, obs).excluded.empty());
  }
}

TEST_CASE("no eligible candidate blocks", "[failover]") {
  auto cluster = app1();
  cluster.servers[1].no_master = true;
  cluster.servers[2].no_master = true;
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK_FALSE(r.candidate);
  CHECK(r.rule.empty());
  CHECK(r.excluded.size() == 2);
  CHECK(r.blockers == std::vector<std::string>{"no eligible candidate"});
  CHECK_FALSE(r.would_proceed());

  SECTION("a master without replicas") {
    auto alone = app1({"master"});
    std::vector one{mariadb_master()};
    r = assess(alone, one);
    CHECK(r.blockers == std::vector<std::string>{"no eligible candidate"});
    CHECK(r.gtid_gap == "unknown: no replica to compare with the master");
  }
}

TEST_CASE("auto_failover off blocks but still names the candidate", "[failover]") {
  auto cluster = app1();
  cluster.auto_failover = false;
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.blockers == std::vector<std::string>{"auto_failover is off"});
  CHECK_FALSE(r.would_proceed());
}

TEST_CASE("a recent failover blocks, with the time left", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  const auto now = std::chrono::system_clock::now();

  auto r = assess_failover(cluster, obs, 0, FailoverGuards{now - 2h, now});
  CHECK(r.blockers == std::vector<std::string>{
                          "last failover 2h ago, min_failover_interval 8h: automatic failover allowed again in 6h "
                          "(mhactl failover --force overrides)"});

  r = assess_failover(cluster, obs, 0, FailoverGuards{now - 7h - 15min - 30s, now});
  CHECK(r.blockers == std::vector<std::string>{
                          "last failover 7h 15m ago, min_failover_interval 8h: automatic failover allowed again in "
                          "44m 30s (mhactl failover --force overrides)"});

  CHECK(assess_failover(cluster, obs, 0, FailoverGuards{now - 8h, now}).blockers.empty());
  cluster.min_failover_interval = 30min;
  CHECK(assess_failover(cluster, obs, 0, FailoverGuards{now - 2h, now}).blockers.empty());
}

TEST_CASE("config order breaks ties among equally advanced replicas", "[failover]") {
  auto cluster = app1({"master", "slave1", "slave2", "slave3"});
  std::vector obs{mariadb_master(), mariadb_replica("0-1-117"), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave2");
  CHECK(r.rule == "config order among equally advanced");

  SECTION("the most advanced is the one that applied the most") {
    obs[2].replica->exec_master_log_pos -= 50;
    r = assess(cluster, obs);
    CHECK(name_of(cluster, r.most_advanced) == "slave3");
    CHECK(name_of(cluster, r.candidate) == "slave2");  // equally advanced: config order still
  }
  SECTION("two candidate_masters: the first in config order") {
    cluster.servers[2].candidate_master = cluster.servers[3].candidate_master = true;
    CHECK(name_of(cluster, assess(cluster, obs).candidate) == "slave2");
  }
}

TEST_CASE("latest_priority off: config order, candidate_master first", "[failover]") {
  auto cluster = app1({"master", "slave1", "slave2", "slave3"});
  cluster.latest_priority = false;
  std::vector obs{mariadb_master(), mariadb_replica("0-1-117"), mariadb_replica("0-1-118"), mariadb_replica("0-1-120")};
  auto r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave1");
  CHECK(r.rule == "first in config order, will be caught up from 'slave3'");

  cluster.servers[2].candidate_master = cluster.servers[3].candidate_master = true;
  r = assess(cluster, obs);
  CHECK(name_of(cluster, r.candidate) == "slave2");
  CHECK(r.rule == "candidate_master, will be caught up from 'slave3'");
}

TEST_CASE("master not known blocks", "[failover]") {
  auto cluster = app1();
  std::vector obs{mariadb_master(), mariadb_replica("0-1-120"), mariadb_replica("0-1-120")};
  auto r = assess_failover(cluster, obs, SIZE_MAX, k_never_failed_over);
  CHECK_FALSE(r.candidate);
  CHECK(r.blockers == std::vector<std::string>{"master not known"});
  CHECK(r.gtid_gap == "unknown: master not known");
}

TEST_CASE("readiness as the status command's JSON", "[failover]") {
  auto cluster = app1();
  cluster.servers[2].no_master = true;
  cluster.auto_failover = false;
  std::vector obs{mariadb_master("0-1-120"), mariadb_replica("0-1-117"), mariadb_replica("0-1-120")};
  CHECK(readiness_json(cluster, assess(cluster, obs)) == json::parse(R"j({"candidate":"slave1",
                        "rule":"first in config order, will be caught up from 'slave2'",
                        "most_advanced":"slave2",
                        "excluded":[{"server":"slave2","reason":"no_master","detail":"no_master is set in the config"}],
                        "blockers":["auto_failover is off"],
                        "gtid_gap":"0 transactions",
                        "transactions_behind":0,
                        "would_proceed":false})j"));

  cluster.servers[1].no_master = true;
  json none = readiness_json(cluster, assess(cluster, obs));
  CHECK(none["candidate"].is_null());
  CHECK(none["rule"].is_null());
  CHECK(none["would_proceed"] == false);
}
