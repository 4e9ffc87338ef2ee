// Runs the operations (failover, switchover, rejoin) for the daemon: each on
// a thread of its own (it blocks for seconds on servers and SSH and must not
// wait behind monitoring jobs in the pool), at most one per cluster. What
// the operation returns runs on the loop when it has finished. Main loop
// only, except the operation threads themselves.
#pragma once

#include "daemon/event_loop.h"

#include <functional>
#include <map>
#include <string>
#include <thread>

namespace mha {

class OperationRunner {
 public:
  // Runs on the operation's thread; the closure it returns runs on the loop.
  using Body = std::function<std::function<void()>()>;

  explicit OperationRunner(EventLoop& loop) : m_loop(loop) {}
  ~OperationRunner() { join_all(); }

  bool running(const std::string& cluster) const { return m_threads.count(cluster) > 0; }
  // "failover", "switchover", "rejoin", or "" when none runs.
  std::string running_operation(const std::string& cluster) const;
  bool any_running() const { return !m_threads.empty(); }

  // Refuses (false) when an operation of `cluster` is already running.
  bool start(const std::string& cluster, std::string operation, Body body);
  // Waits for every running operation (SIGTERM: finish rather than abandon).
  void join_all();

  EventLoop& loop() { return m_loop; }

 private:
  struct Running {
    std::string operation;
    std::thread thread;
  };
  EventLoop& m_loop;
  std::map<std::string, Running> m_threads;
};

// From an operation thread: runs `save` on the loop (which owns the state)
// and waits for it, at most 10 s. False when it failed or took too long.
bool run_on_loop_and_wait(EventLoop& loop, std::function<bool()> save);

}  // namespace mha
