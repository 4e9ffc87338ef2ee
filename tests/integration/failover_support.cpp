#include "integration/failover_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sstream>

#include "common/replica_status.h"
#include "daemon/mariadb_session.h"

namespace mha::it {

using namespace std::chrono_literals;
using nlohmann::json;

std::string failover_config_dir() { return sandbox_config("mhad", true); }

FreshSandboxAfter::~FreshSandboxAfter() {
  run(sandbox_script() + " stop --purge");
  run(sandbox_script() + " start");
  run(sandbox_script() + " gen-config " + sandbox_dir() + "/mhad --ping-interval 1s");
}

void start_ready(Mhad& mhad, const std::vector<std::pair<std::string, std::string>>& env) {
  REQUIRE(mhad.start(env));
  REQUIRE(wait_until(15s, [&] {
    auto s = mhad.status();
    return s.is_object() && s["clusters"][0]["health"] == "ok";
  }));
  std::this_thread::sleep_for(6s);  // the kept SSH session to the master's host is open by now
}

WriteLoad::WriteLoad(std::string host, std::uint16_t port) : m_host(std::move(host)), m_port(port) {
  MariadbSession s;
  REQUIRE(s.connect(sandbox_endpoint(m_host, m_port, "app", "apppass")));
  REQUIRE(s.execute("CREATE TABLE IF NOT EXISTS mha_test.acked (id INT PRIMARY KEY)"));
  m_thread = std::thread([this] {
    MariadbSession session;
    if (!session.connect(sandbox_endpoint(m_host, m_port, "app", "apppass"))) return;
    for (int id = 1; id <= 5000 && !m_stop; ++id) {
      if (!session.execute(fmt::format("INSERT INTO mha_test.acked VALUES ({})", id))) break;
      {
        std::lock_guard lock(m_mutex);
        m_acked.insert(id);
      }
      std::this_thread::sleep_for(20ms);
    }
  });
}

WriteLoad::~WriteLoad() { stop(); }

void WriteLoad::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

std::set<int> WriteLoad::acked() {
  std::lock_guard lock(m_mutex);
  return m_acked;
}

ReconnectingWriteLoad::ReconnectingWriteLoad(std::string host, std::uint16_t port)
    : m_host(std::move(host)), m_port(port) {
  MariadbSession s;
  REQUIRE(s.connect(sandbox_endpoint(m_host, m_port, "app", "apppass")));
  REQUIRE(s.execute("CREATE TABLE IF NOT EXISTS mha_test.acked (id INT PRIMARY KEY)"));
  m_thread = std::thread([this] {
    SqlEndpoint endpoint = sandbox_endpoint(m_host, m_port, "app", "apppass");
    endpoint.connect_timeout = endpoint.read_timeout = 1s;
    MariadbSession session;
    auto last_ack = std::chrono::steady_clock::now();
    // Bounded: at most 20000 attempts (about 7 minutes at 20 ms).
    for (int id = 1; id <= 20000 && !m_stop; ++id) {
      bool ok = (session.connected() || session.connect(endpoint)) &&
                session.execute(fmt::format("INSERT INTO mha_test.acked VALUES ({})", id));
      const auto now = std::chrono::steady_clock::now();
      {
        std::lock_guard lock(m_mutex);
        if (ok) {
          m_acked.insert(id);
          const long gap = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_ack).count();
          if (gap > 100) m_gaps.push_back(gap);
          last_ack = now;
        } else {
          ++m_errors;
        }
      }
      if (!ok) session.close();
      std::this_thread::sleep_for(20ms);
    }
  });
}

ReconnectingWriteLoad::~ReconnectingWriteLoad() { stop(); }

void ReconnectingWriteLoad::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
}

std::set<int> ReconnectingWriteLoad::acked() {
  std::lock_guard lock(m_mutex);
  return m_acked;
}

int ReconnectingWriteLoad::errors() {
  std::lock_guard lock(m_mutex);
  return m_errors;
}

std::vector<long> ReconnectingWriteLoad::take_gaps() {
  std::lock_guard lock(m_mutex);
  return std::exchange(m_gaps, {});
}

std::set<int> kill_master_under_load(const std::string& signal) {
  WriteLoad load(k_loopback_hosts[0]);
  REQUIRE(wait_until(10s, [&] { return load.acked().size() >= 50; }));
  REQUIRE(run(sandbox_script() + " kill 0 " + signal).exit_code == 0);
  load.stop();
  return load.acked();
}

void wait_for_test_pause(const Mhad& mhad) {
  REQUIRE(wait_until(20s, [&] { return mhad.log().find("MHAD_TEST_PAUSE_AT_PHASE=") != std::string::npos; }));
}

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
    if (!s.connect(sandbox_endpoint(k_loopback_hosts[other], 3306, "mha", "mhapass"))) return false;
    auto rows = s.query("SHOW SLAVE STATUS");
    if (!rows || rows->rows.empty()) return false;
    auto st = parse_replica_status(rows->row_map(0));
    if (!st) return false;
    seen = fmt::format("{}:{} io={} sql={}", st->master_host, st->master_port,
                       st->io_running == ReplicaStatus::ThreadState::yes, st->sql_running);
    return st->replicating() && st->master_host == k_loopback_hosts[new_master];
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

}  // namespace mha::it
