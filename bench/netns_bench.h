// Shared by the netns benchmarks (switchover, failover): the netns sandbox
// (tests/sandbox/sandbox.sh --mode netns: one network namespace per host,
// joined by a bridge in the root namespace, the VIP on the master's eth0)
// and the application that writes through the VIP.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mha::bench {

class NetnsSandbox {
 public:
  NetnsSandbox(std::string script, std::string dir) : m_script(std::move(script)), m_dir(std::move(dir)) {}
  ~NetnsSandbox() { stop(); }
  NetnsSandbox(const NetnsSandbox&) = delete;
  NetnsSandbox& operator=(const NetnsSandbox&) = delete;

  // A fresh sandbox (stop --purge first), its `env` read.
  bool start();
  // stop --purge, if this object started it.
  void stop();
  const std::string& env(const std::string& key) const { return m_env.at(key); }
  std::string ns(int host) const;  // network namespace of host i
  std::string vip_cidr() const { return env("MHA_SANDBOX_VIP"); }
  std::string vip() const;
  // `sandbox.sh sql I STATEMENT`: exit code 0?
  bool sql(int host, const std::string& statement) const;
  // The ids in mha_test.bench on host i (the writer's rows), read inside
  // its namespace; nullopt if the server does not answer.
  std::optional<std::set<long long>> row_ids(int host) const;
  // `ip netns exec NS COMMAND` on host i.
  bool in_host(int host, const std::string& command, int timeout_seconds = 10) const;
  const std::string& script() const { return m_script; }
  const std::string& dir() const { return m_dir; }

 private:
  std::string m_script, m_dir;
  bool m_started = false;
  std::map<std::string, std::string> m_env;
};

// The application: one INSERT every ~20 ms through the VIP; on any error it
// drops the connection, reconnects (1 s connect timeout) and goes on, as a
// connection pool does. Bounded to 20 minutes.
class VipWriter {
 public:
  using Steady = std::chrono::steady_clock;
  explicit VipWriter(std::string vip);
  ~VipWriter() { stop(); }
  void stop();
  struct Ack {
    Steady::time_point at;
    long long id = -1;  // the row's id (LAST_INSERT_ID), -1 when it could not be read
  };
  std::vector<Ack> acks();
  int errors();

 private:
  void loop();

  std::string m_vip;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::vector<Ack> m_acks;
  int m_errors = 0;
  std::thread m_thread;
};

}  // namespace mha::bench
