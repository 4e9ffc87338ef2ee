// What the failover integration tests share: a write load whose acknowledged
// ids are recorded, the outcome checks every failover test makes, and a
// sandbox rebuilt after each test (the topology has changed).
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/harness.h"

namespace mha::it {

inline const char* const k_loopback_hosts[] = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};

// The sandbox config with auto_failover on.
std::string failover_config_dir();

// Rebuilds the loopback sandbox and its mhad config when the test ends, pass
// or fail (about 2 s).
struct FreshSandboxAfter {
  ~FreshSandboxAfter();
};

// Starts mhad and waits until the cluster is healthy and the kept SSH
// session to the master's host is open. REQUIREs both.
void start_ready(Mhad& mhad, const std::vector<std::pair<std::string, std::string>>& env = {});

// One INSERT every ~20 ms through the app user (DML only: a write that lands
// on a read_only server fails instead of silently diverging), on host:port.
// Records every id whose COMMIT was acknowledged; stops at the first error.
class WriteLoad {
 public:
  explicit WriteLoad(std::string host, std::uint16_t port = 3306);
  ~WriteLoad();
  void stop();
  std::set<int> acked();

 private:
  std::string m_host;
  std::uint16_t m_port;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::set<int> m_acked;
  std::thread m_thread;
};

// An application as a connection pool would behave: one INSERT every ~20 ms
// on host:port (a VIP), and on any error it drops the connection and
// reconnects (1 s connect timeout) and goes on with the next id. Records the
// acknowledged ids, the errors it saw, and the longest gap between two
// acknowledged writes (the write-unavailability window a client sees).
class ReconnectingWriteLoad {
 public:
  explicit ReconnectingWriteLoad(std::string host, std::uint16_t port = 3306);
  ~ReconnectingWriteLoad();
  void stop();
  std::set<int> acked();
  int errors();
  // Gaps between consecutive acknowledged writes longer than 100 ms, since
  // the last call (cleared by it), in ms.
  std::vector<long> take_gaps();

 private:
  std::string m_host;
  std::uint16_t m_port;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::set<int> m_acked;
  int m_errors = 0;
  std::vector<long> m_gaps;
  std::thread m_thread;
};

// Writes through the loopback master until 50 writes are acknowledged, sends
// its mariadbd `signal` (sandbox.sh kill 0 SIGNAL), stops the load and
// returns the acknowledged ids. REQUIREs each step.
std::set<int> kill_master_under_load(const std::string& signal = "KILL");
// Waits until mhad logs that MHAD_TEST_PAUSE_AT_PHASE holds the failover.
void wait_for_test_pause(const Mhad& mhad);

// Ids in mha_test.acked on loopback host i.
std::set<int> ids_on(int host);
// status.clusters[0].last_failover, or null.
nlohmann::json last_failover(const nlohmann::json& status);
// The checks every failover test makes once the failover is reported:
// expected new master, exactly one writable server among the live ones, the
// other replica follows it with both threads, no acknowledged id missing on
// the new master or the replica, no extra row on the replica.
void check_outcome(const std::set<int>& acked, const std::string& expected_new_master, Mhad& mhad);

}  // namespace mha::it
