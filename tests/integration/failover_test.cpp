// Automatic failover against the real loopback sandbox, under a write load
// of one committed row every ~20 ms whose acknowledged ids are recorded:
// killed, cleanly shut down and frozen masters, a replica that dies during
// the failover, the min_failover_interval guard. After each test the sandbox
// is rebuilt (2 s), since the topology has changed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string config_dir() { return failover_config_dir(); }
const auto& k_hosts = k_loopback_hosts;

int master_pid() {
  std::ifstream in(sandbox_dir() + "/host0/pid.mariadbd");
  int pid = 0;
  in >> pid;
  return pid;
}

// A pid that is gone or a zombie (killed, not yet reaped by its parent).
bool process_gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("SIGKILL of the master, async, replicas held back: every acknowledged write reaches the new master",
          "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad);
  sandbox_sql(0, "SET GLOBAL rpl_semi_sync_master_enabled = 0");
  WriteLoad load(k_hosts[0]);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  // Hold the replicas back: what follows exists only in the master's binlog.
  sandbox_sql(1, "STOP SLAVE IO_THREAD");
  sandbox_sql(2, "STOP SLAVE IO_THREAD");
  auto held_from = load.acked().size();
  std::this_thread::sleep_for(2s);
  auto kill = run(sandbox_script() + " kill 0 KILL");
  auto killed_at = std::chrono::steady_clock::now();
  load.stop();
  REQUIRE(kill.exit_code == 0);
  auto acked = load.acked();
  auto only_on_master = acked.size() - held_from;
  WARN(acked.size() << " writes acknowledged, " << only_on_master << " of them only in the dead master's binlog");
  CHECK(only_on_master >= 50);

  json failover;
  bool done = wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at);
  INFO(mhad.log());
  REQUIRE(done);
  WARN("kill -> failover reported in " << took.count() << " ms (mhad: " << failover["duration_ms"] << " ms)");
  CHECK(failover["result"] == "completed");
  CHECK(failover["new_master"] == "slave1");  // candidate_master in the sandbox config
  check_outcome(acked, "slave1", mhad);
  CHECK(mhad.log().find("Failover Report") != std::string::npos);
}

TEST_CASE("a second failover inside min_failover_interval is refused; --force runs it", "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad);
  REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
  REQUIRE(wait_until(30s, [&] { return !last_failover(mhad.status()).is_null(); }));
  REQUIRE(wait_until(10s, [&] { return mhad.status()["clusters"][0]["master"] == "slave1"; }));
  std::this_thread::sleep_for(3s);
  // Now kill the new master: detected, but refused by the 8 h guard.
  REQUIRE(run(sandbox_script() + " kill 1 KILL").exit_code == 0);
  bool refused_logged = wait_until(15s, [&] { return mhad.log().find("RESULT=refused") != std::string::npos; });
  auto log = mhad.log();
  INFO(log);
  REQUIRE(refused_logged);
  CHECK(log.find("min_failover_interval") != std::string::npos);
  CHECK(sandbox_sql(2, "SELECT @@read_only") == "1");  // nothing was promoted
  auto refused = run(mhactl_path() + " --socket " + mhad.socket() + " failover");
  INFO(refused.out);
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.find("min_failover_interval") != std::string::npos);
  auto forced = run(mhactl_path() + " --socket " + mhad.socket() + " failover --force");
  INFO(forced.out << "\n" << mhad.log());
  CHECK(forced.exit_code == 0);
  CHECK(forced.out.find("slave2") != std::string::npos);
  CHECK(sandbox_sql(2, "SELECT @@read_only") == "0");
}

TEST_CASE("clean shutdown of the master: failover, no acknowledged write lost", "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad);
  WriteLoad load(k_hosts[0]);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  auto shutdown = run(sandbox_script() + " kill 0 TERM");  // mariadbd's clean shutdown
  auto stopped_at = std::chrono::steady_clock::now();
  load.stop();
  REQUIRE(shutdown.exit_code == 0);
  auto acked = load.acked();
  json failover;
  bool done = wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped_at);
  INFO(mhad.log());
  REQUIRE(done);
  WARN("clean shutdown -> failover reported in " << took.count() << " ms (" << acked.size() << " writes acknowledged)");
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", mhad);
}

TEST_CASE("a frozen master (SIGSTOP) is killed over SSH before the new master takes writes",
          "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad);
  const int frozen = master_pid();
  REQUIRE(frozen > 0);
  WriteLoad load(k_hosts[0]);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run(sandbox_script() + " kill 0 STOP").exit_code == 0);
  auto stopped_at = std::chrono::steady_clock::now();
  load.stop();  // its INSERT in flight times out: not acknowledged
  auto acked = load.acked();
  json failover;
  bool done = wait_until(40s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopped_at);
  auto log = mhad.log();
  INFO(log);
  REQUIRE(done);
  WARN("SIGSTOP -> failover reported in " << took.count() << " ms");
  CHECK(failover["result"] == "completed");
  // Fenced before promotion: the frozen process no longer exists, so it can
  // never wake up writable.
  CHECK(process_gone(frozen));
  auto killed = log.find("Killed the frozen mysqld");
  auto writable = log.find("read_only=0, taking writes");
  REQUIRE(killed != std::string::npos);
  REQUIRE(writable != std::string::npos);
  CHECK(killed < writable);
  check_outcome(acked, "slave1", mhad);
}

TEST_CASE("a replica that dies during the failover is reported; the others are recovered",
          "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad, {{"MHAD_TEST_PAUSE_AT_PHASE", "recover_replicas:4000"}});
  auto acked = kill_master_under_load();
  // slave1 is promoted; before the other replicas are repointed, slave2 dies.
  wait_for_test_pause(mhad);
  REQUIRE(run(sandbox_script() + " kill 2 KILL").exit_code == 0);
  json failover;
  bool done = wait_until(60s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  INFO(mhad.log());
  REQUIRE(done);
  INFO(failover.dump(2));
  CHECK(failover["result"] == "completed_with_errors");
  CHECK(failover["new_master"] == "slave1");
  REQUIRE(failover["failed_replicas"].size() == 1);
  CHECK(failover["failed_replicas"][0].get<std::string>().rfind("slave2: ", 0) == 0);
  CHECK(sandbox_sql(1, "SELECT @@read_only") == "0");
  auto on_master = ids_on(1);
  std::size_t missing = 0;
  for (int id : acked) missing += on_master.count(id) ? 0 : 1;
  CHECK(missing == 0);
  auto table = run(mhactl_path() + " --socket " + mhad.socket() + " status");
  INFO(table.out);
  CHECK(table.out.find("not recovered: slave2: ") != std::string::npos);
}

TEST_CASE("no_master is never promoted: the candidate is left out and the other replica takes over",
          "[integration][failover]") {
  FreshSandboxAfter rebuild;
  const std::string dir = config_dir();
  // slave1 was the candidate_master; make it no_master instead.
  const std::string cluster_file = dir + "/clusters.d/sandbox.toml";
  std::string config;
  {
    std::ifstream in(cluster_file);
    config.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string candidate = "candidate_master = true\n";
  auto at = config.find(candidate);
  REQUIRE(at != std::string::npos);
  config.replace(at, candidate.size(), "no_master = true\n");
  std::ofstream(cluster_file) << config;

  Mhad mhad(dir);
  start_ready(mhad);
  WriteLoad load(k_hosts[0]);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run(sandbox_script() + " kill 0 KILL").exit_code == 0);
  load.stop();
  auto acked = load.acked();
  json failover;
  bool done = wait_until(30s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  INFO(mhad.log());
  REQUIRE(done);
  CHECK(failover["result"] == "completed");
  CHECK(failover["new_master"] == "slave2");
  check_outcome(acked, "slave2", mhad);
}

TEST_CASE("SIGTERM during a failover: mhad finishes it, reports, then stops", "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  start_ready(mhad, {{"MHAD_TEST_PAUSE_AT_PHASE", "recover_replicas:3000"}});
  auto acked = kill_master_under_load();
  wait_for_test_pause(mhad);
  mhad.signal(SIGTERM);  // slave1 is promoted, slave2 not yet repointed
  int status = mhad.wait_exit(30s);
  auto log = mhad.log();
  INFO(log);
  REQUIRE(status != -1);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(log.find("a failover is running; stopping as soon as it has finished") != std::string::npos);
  CHECK(log.find("RESULT=completed") != std::string::npos);
  // Finished, not abandoned: the other replica follows the new master.
  Mhad again(config_dir());
  REQUIRE(again.start());
  check_outcome(acked, "slave1", again);
  CHECK(again.status()["clusters"][0]["needs_operator"].is_null());
}
