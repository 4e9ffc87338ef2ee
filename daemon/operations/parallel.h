// Runs one blocking step per server at the same time and waits for all:
// the steps wait on the network (STOP SLAVE behind a stuck IO thread, a
// replica's catch-up), so one wait for all, not one per server.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace mha {

// fn(k) for k in [0, count), each on a thread of its own; returns when every
// call returned. fn must touch only what belongs to its k.
inline void run_parallel(std::size_t count, const std::function<void(std::size_t)>& fn) {
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t k = 0; k < count; ++k) threads.emplace_back([&fn, k] { fn(k); });
  for (auto& t : threads) t.join();
}

}  // namespace mha
