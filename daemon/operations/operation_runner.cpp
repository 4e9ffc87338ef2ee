#include "daemon/operations/operation_runner.h"

#include "common/log.h"

#include <future>
#include <memory>

namespace mha {

std::string OperationRunner::running_operation(const std::string& cluster) const {
  auto it = m_threads.find(cluster);
  return it == m_threads.end() ? "" : it->second.operation;
}

bool OperationRunner::start(const std::string& cluster, std::string operation, Body body) {
  if (running(cluster)) return false;
  Running& slot = m_threads[cluster];
  slot.operation = std::move(operation);
  slot.thread = std::thread([this, cluster, body = std::move(body)] {
    std::function<void()> on_loop;
    try {
      on_loop = body();
    } catch (const std::exception& e) {
      // Bodies report their own errors; this is the last line (out of
      // memory, no thread): nothing may end the daemon from here.
      log_error({{"CLUSTER", cluster}}, "operation on '{}' ended on an internal error: {}", cluster, e.what());
    }
    m_loop.post([this, cluster, on_loop] {
      if (auto it = m_threads.find(cluster); it != m_threads.end()) {
        it->second.thread.join();  // it has finished: only the post remained
        m_threads.erase(it);
      }
      if (on_loop) on_loop();
    });
  });
  return true;
}

void OperationRunner::join_all() {
  for (auto& [name, running] : m_threads)
    if (running.thread.joinable()) running.thread.join();
  m_threads.clear();
}

bool run_on_loop_and_wait(EventLoop& loop, std::function<bool()> save) {
  auto done = std::make_shared<std::promise<bool>>();
  auto saved = done->get_future();
  loop.post([save = std::move(save), done] { done->set_value(save()); });
  return saved.wait_for(std::chrono::seconds(10)) == std::future_status::ready && saved.get();
}

}  // namespace mha
