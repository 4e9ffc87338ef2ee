// mhad killed at each failover phase boundary (test hook
// MHAD_TEST_CRASH_AT_PHASE: exit right after the phase was persisted, before
// it starts) and started again: at most one writable server, the cluster
// parked in needs_operator with the phase, no automatic failover on its own,
// and after the operator's `mhactl failover --force` (where a failover is
// still needed) no acknowledged write lost.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <thread>

#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

int writable_count() {
  int n = 0;
  for (int host : {1, 2}) n += sandbox_sql(host, "SELECT @@read_only") == "0" ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("mhad killed at each phase boundary: one writable master or needs_operator, no lost writes",
          "[integration][failover][crash]") {
  const std::string phase =
      GENERATE(as<std::string>{}, "check", "fence", "recover_master", "recover_replicas", "finish");
  DYNAMIC_SECTION("killed before phase " << phase) {
    FreshSandboxAfter rebuild;
    const std::string dir = failover_config_dir();
    std::set<int> acked;
    {
      Mhad mhad(dir);
      start_ready(mhad, {{"MHAD_TEST_CRASH_AT_PHASE", phase}});
      WriteLoad load(k_loopback_hosts[0]);
      REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 30; }));
      REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
      load.stop();
      acked = load.acked();
      int status = mhad.wait_exit(30s);
      INFO(mhad.log());
      REQUIRE(status != -1);
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 9);  // the hook, not a crash of its own
    }
    const bool promoted = phase == "recover_replicas" || phase == "finish";
    CHECK(writable_count() == (promoted ? 1 : 0));
    if (promoted) CHECK(sandbox_sql(1, "SELECT @@read_only") == "0");

    Mhad again(dir);
    const std::size_t first_run_log = again.log().size();  // the log file is shared by both runs
    REQUIRE(again.start());
    json cluster;
    bool parked = wait_until(10s, [&] {
      auto s = again.status();
      if (!s.is_object()) return false;
      cluster = s["clusters"][0];
      return cluster["needs_operator"].is_string();
    });
    INFO(cluster.dump(2) << "\n" << again.log());
    REQUIRE(parked);
    CHECK(cluster["needs_operator"].get<std::string>().find("phase '" + phase + "'") != std::string::npos);
    // Parked: the restarted mhad does not fail over on its own.
    std::this_thread::sleep_for(4s);
    CHECK(writable_count() == (promoted ? 1 : 0));
    CHECK(again.log().find("failover of 'sandbox' starting", first_run_log) == std::string::npos);
    CHECK(cluster["failover_readiness"]["would_proceed"] == false);

    if (!promoted) {
      // The operator looked and resumes: the failover runs from the start.
      auto forced = run(mhactl_path() + " --socket " + again.socket() + " failover --force");
      INFO(forced.out << "\n" << again.log());
      CHECK(forced.exit_code == 0);
      check_outcome(acked, "slave1", again);
    } else {
      // slave1 took writes before the kill: every acknowledged write is there.
      auto on_master = ids_on(1);
      std::size_t missing = 0;
      for (int id : acked) missing += on_master.count(id) ? 0 : 1;
      CHECK(missing == 0);
    }
  }
}

// Issue 10's done-means: killed right after the new master's read_only=0 (in
// the loopback sandbox, which has no VIP, nothing runs between that and the
// recover_replicas boundary), restarted, and the old master's mariadbd
// brought back writable: the restarted mhad fences it, parked or not.
TEST_CASE("mhad killed right after the new master's read_only=0, restarted: the old master coming back writable is "
          "fenced",
          "[integration][failover][crash]") {
  FreshSandboxAfter rebuild;
  const std::string dir = failover_config_dir();
  {
    Mhad mhad(dir);
    start_ready(mhad, {{"MHAD_TEST_CRASH_AT_PHASE", "recover_replicas"}});
    WriteLoad load(k_loopback_hosts[0]);
    REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 30; }));
    REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
    load.stop();
    int status = mhad.wait_exit(30s);
    INFO(mhad.log());
    REQUIRE(status != -1);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 9);
    CHECK(mhad.log().find("read_only=0, taking writes") != std::string::npos);
  }
  REQUIRE(sandbox_sql(1, "SELECT @@read_only") == "0");  // the new master took writes before the kill

  Mhad again(dir);
  const std::size_t first_run_log = again.log().size();
  REQUIRE(again.start());
  REQUIRE(wait_until(10s, [&] { return again.status().is_object(); }));
  // The old master returns as it was when it died: writable.
  REQUIRE(run(sandbox_script() + " start-server 0").exit_code == 0);
  bool fenced = wait_until(20s, [&] { return sandbox_sql(0, "SELECT @@read_only") == "1"; });
  INFO(again.log().substr(first_run_log));
  CHECK(fenced);
  CHECK(again.log().find("is back WRITABLE: fencing it now", first_run_log) != std::string::npos);
  // Exactly one writable server: the new master.
  CHECK(sandbox_sql(1, "SELECT @@read_only") == "0");
  CHECK(sandbox_sql(2, "SELECT @@read_only") == "1");
}
