#include "daemon/worker_pool.h"

namespace mha {

WorkerPool::WorkerPool(std::size_t threads) {
  if (threads == 0) threads = 1;
  for (std::size_t i = 0; i < threads; ++i) m_threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
  if (!shutdown(std::chrono::milliseconds(0)))
    for (auto& t : m_threads) t.detach();  // stuck in a blocking call: let the process end it
}

void WorkerPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return;
    m_jobs.push_back(std::move(job));
  }
  m_wake.notify_one();
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(m_mutex);
  return m_jobs.size();
}

bool WorkerPool::shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock lock(m_mutex);
    m_stopping = true;
    m_jobs.clear();
    m_wake.notify_all();
    if (!m_idle.wait_for(lock, grace, [this] { return m_running == 0; })) return false;
  }
  for (auto& t : m_threads)
    if (t.joinable()) t.join();
  m_threads.clear();
  return true;
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(m_mutex);
      m_wake.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
      if (m_stopping) return;
      job = std::move(m_jobs.front());
      m_jobs.pop_front();
      ++m_running;
    }
    job();
    {
      std::lock_guard lock(m_mutex);
      --m_running;
    }
    m_idle.notify_all();
  }
}

}  // namespace mha
