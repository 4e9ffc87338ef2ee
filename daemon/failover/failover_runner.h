// Runs failovers for the daemon: each on a thread of its own (it blocks for
// seconds on servers and SSH, and must not wait behind monitoring jobs in the
// pool), wired to the real seams. Phases are persisted before they start
// through `persist_phase`, which the daemon implements on the loop; progress
// and the final report come back to the loop through EventLoop::post.
// Main loop only, except the failover threads themselves.
#pragma once

#include "common/config.h"
#include "daemon/seams.h"
#include "daemon/event_loop.h"
#include "daemon/failover/failover.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace mha {

class FailoverRunner {
 public:
  using PersistPhase = std::function<bool(const std::string& cluster, FailoverPhase phase)>;
  using Progress = std::function<void(FailoverPhase, const std::string& event, const nlohmann::json& detail)>;
  using Done = std::function<void(const FailoverReport&)>;

  FailoverRunner(EventLoop& loop, Seams seams, PersistPhase persist_phase);
  ~FailoverRunner();

  bool running(const std::string& cluster) const { return m_threads.count(cluster) > 0; }
  bool any_running() const { return !m_threads.empty(); }

  // Starts the failover of `cluster`'s master `dead_master`. `progress` and
  // `done` are called on the loop.
  void start(const ClusterConfig& cluster, std::size_t dead_master, FailoverRequest request, Progress progress,
             Done done);
  // Waits for every running failover (SIGTERM: finish rather than abandon).
  void join_all();

 private:
  EventLoop& m_loop;
  Seams m_seams;
  PersistPhase m_persist_phase;
  std::map<std::string, std::thread> m_threads;
};

}  // namespace mha
