// The replication steps the operations share (daemon/operations/
// replication_steps.h) against the scripted cluster: waits bounded by the
// clock seam (no real sleeping), repoint's statements and errors, and the
// MariaDB/MySQL positions they read.
#include "daemon/operations/replication_steps.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

TEST_CASE("wait_replicating times out through the clock seam, without sleeping", "[replication_steps]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  FakeCluster cluster(kind, 2);
  log_set_level(LogLevel::error);
  cluster.kill("master");  // slave2's IO thread keeps connecting
  FakeOperationClock clock;
  auto session = cluster.make_sql();
  REQUIRE(session->connect(SqlEndpoint{cluster.server("slave2").host, 3306, "mhad", "secret"}));
  const Flavor flavor = *Flavor::from_version(cluster.server("slave2").version);
  const auto started = std::chrono::steady_clock::now();
  auto r = wait_replicating(*session, flavor, RepointTimeouts{30s, 100ms}, clock);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::timeout);
  CHECK_THAT(r.error().message, Contains("replication threads not running after 30000ms; Last_IO_Error 2003"));
  CHECK(clock.sleeps == 300);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("repoint: STOP, CHANGE MASTER by GTID, START, wait for the source's GTIDs", "[replication_steps]") {
  auto kind = GENERATE(FlavorKind::mariadb, FlavorKind::mysql);
  FakeCluster cluster(kind, 2);
  FakeOperationClock clock;
  auto session = cluster.make_sql();
  REQUIRE(session->connect(SqlEndpoint{cluster.server("slave2").host, 3306, "mhad", "secret"}));
  const Flavor flavor = *Flavor::from_version(cluster.server("slave2").version);
  const ServerConfig& slave1 = cluster.config.servers[1];
  auto source = replication_source(cluster.config, slave1, cluster.config.servers[2], ServerObservation{});
  REQUIRE(repoint(*session, flavor, source, cluster.gtids(120), RepointTimeouts{2s, 1ms}, clock));
  CHECK(cluster.actions("slave2") ==
        std::vector<std::string>{flavor.stop_replica_sql(), flavor.change_master_sql(source), flavor.start_replica_sql(),
                                 flavor.wait_for_gtids_sql(cluster.gtids(120), 2s)});
  CHECK(cluster.server("slave2").master_host == slave1.host);

  SECTION("an error names the step and never the password") {
    cluster.server("slave2").fail["CHANGE"] = Error{Errc::sql, "syntax error"};
    auto r = repoint(*session, flavor, source, "", RepointTimeouts{2s, 1ms}, clock);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "CHANGE MASTER failed: syntax error");
  }
}

TEST_CASE("change_master_sql leaves an empty password out (the replica keeps its own)", "[replication_steps][flavor]") {
  for (const char* version : {"10.11.6-MariaDB", "5.7.42", "8.0.36", "8.4.0"}) {
    const Flavor f = *Flavor::from_version(version);
    ReplicationSource s{"10.0.0.5", 3306, "repl", "", false};
    const std::string sql = f.change_master_sql(s);
    INFO(sql);
    CHECK(sql.find("PASSWORD") == std::string::npos);
    s.password = "x";
    CHECK(f.change_master_sql(s).find("_PASSWORD='x'") != std::string::npos);
  }
}

TEST_CASE("received_gtids merges MariaDB's IO position with gtid_slave_pos", "[replication_steps]") {
  ServerObservation obs;
  obs.replica = ReplicaStatus{};
  obs.replica->is_mariadb_row = true;
  obs.replica->gtid_io_pos = "0-1-100";
  obs.gtid_slave_pos = "0-1-120,1-2-5";
  CHECK(received_gtids(obs) == "0-1-120,1-2-5");
}
