// Automatic failover against the real sandbox, under a write load of one
// committed row every ~20 ms whose acknowledged ids are recorded. After each
// test the sandbox is rebuilt (2 s), since the topology has changed.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/replica_status.h"
#include "daemon/mariadb_session.h"
#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string config_dir() { return sandbox_dir() + "/mhad"; }
const char* k_hosts[] = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};

// Rebuilds the sandbox and its mhad config when the test ends, pass or fail.
struct FreshSandboxAfter {
  ~FreshSandboxAfter() {
    run(sandbox_script() + " stop --purge");
    run(sandbox_script() + " start");
    run(sandbox_script() + " gen-config " + config_dir() + " --ping-interval 1s");
  }
};

// Writes through the app user (DML only: a write that lands on a read_only
// replica fails instead of silently diverging). Records every id whose
// COMMIT was acknowledged.
class WriteLoad {
 public:
  explicit WriteLoad(std::string host) : m_host(std::move(host)) {
    MariadbSession s;
    REQUIRE(s.connect(SqlEndpoint{m_host, 3306, "app", "apppass"}));
    REQUIRE(s.execute("CREATE TABLE IF NOT EXISTS mha_test.acked (id INT PRIMARY KEY)"));
    m_thread = std::thread([this] {
      MariadbSession session;
      if (!session.connect(SqlEndpoint{m_host, 3306, "app", "apppass"})) return;
      for (int id = 1; id <= 5000 && !m_stop; ++id) {
        if (!session.execute(fmt::format("INSERT INTO mha_test.acked VALUES ({})", id))) break;
        std::lock_guard lock(m_mutex);
        m_acked.insert(id);
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~WriteLoad() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  std::set<int> acked() {
    std::lock_guard lock(m_mutex);
    return m_acked;
  }

 private:
  std::string m_host;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::set<int> m_acked;
  std::thread m_thread;
};

std::set<int> ids_on(int host) {
  std::set<int> ids;
  std::istringstream in(sandbox_sql(host, "SELECT id FROM mha_test.acked"));
  int id;
  while (in >> id) ids.insert(id);
  return ids;
}

json last_failover(const json& status) {
  if (!status.is_object()) return nullptr;
  return status["clusters"][0].value("last_failover", json(nullptr));
}

// The checks every failover test makes once the failover is reported done.
void check_outcome(const std::set<int>& acked, const std::string& expected_new_master, Mhad& mhad) {
  json status = mhad.status();
  auto cluster = status["clusters"][0];
  INFO(cluster.dump(2));
  CHECK(cluster["master"] == expected_new_master);
  int new_master = expected_new_master == "slave1" ? 1 : 2;
  int other = new_master == 1 ? 2 : 1;
  // Exactly one writable server among those alive.
  CHECK(sandbox_sql(new_master, "SELECT @@read_only") == "0");
  CHECK(sandbox_sql(other, "SELECT @@read_only") == "1");
  // The other replica follows the new master with both threads running.
  std::string seen;
  bool following = wait_until(15s, [&] {
    MariadbSession s;
    if (!s.connect(SqlEndpoint{k_hosts[other], 3306, "mha", "mhapass"})) return false;
    auto rows = s.query("SHOW SLAVE STATUS");
    if (!rows || rows->rows.empty()) return false;
    auto st = parse_replica_status(rows->row_map(0));
    if (!st) return false;
    seen = fmt::format("{}:{} io={} sql={}", st->master_host, st->master_port,
                       st->io_running == ReplicaStatus::ThreadState::yes, st->sql_running);
    return st->replicating() && st->master_host == k_hosts[new_master];
  });
  INFO("other replica: " << seen);
  REQUIRE(following);
  // No acknowledged write lost, on the new master and on the replica.
  auto on_master = ids_on(new_master);
  REQUIRE(wait_until(15s, [&] { return ids_on(other) == on_master; }));
  std::vector<int> missing;
  for (int id : acked)
    if (!on_master.count(id)) missing.push_back(id);
  INFO("acknowledged ids missing on the new master: " << missing.size());
  CHECK(missing.empty());
  // No replica has a row the master lacks.
  CHECK(ids_on(other) == on_master);
  CHECK(mhad.log().find("RESULT=completed") != std::string::npos);
}

}  // namespace

TEST_CASE("SIGKILL of the master, async, replicas held back: every acknowledged write reaches the new master",
          "[integration][failover]") {
  FreshSandboxAfter rebuild;
  Mhad mhad(config_dir());
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  std::this_thread::sleep_for(6s);  // SSH session to the master's host open
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
  REQUIRE(mhad.start());
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  std::this_thread::sleep_for(6s);
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
