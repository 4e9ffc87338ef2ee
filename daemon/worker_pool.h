// A bounded pool of threads for blocking work: connects, queries, SSH. Jobs
// own everything they touch (sessions are moved in and handed back with the
// result through EventLoop::post), so workers share no state with the loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mha {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> job);
  std::size_t queued() const;

  // Stops taking jobs and waits up to `grace` for running ones. Returns false
  // if some are still running then (a connect stuck on a dead host); the
  // caller may exit anyway: monitoring jobs only read.
  bool shutdown(std::chrono::milliseconds grace);

 private:
  void run();

  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_idle;
  std::deque<std::function<void()>> m_jobs;
  std::vector<std::thread> m_threads;
  std::size_t m_running = 0;
  bool m_stopping = false;
};

}  // namespace mha
