#include <catch2/catch.hpp>

#include <thread>

#include "daemon/event_loop.h"
#include "daemon/worker_pool.h"

using namespace mha;
using namespace std::chrono_literals;

TEST_CASE("timers fire in due order and cancelled ones never fire", "[loop]") {
  EventLoop loop;
  REQUIRE(loop.init({}));
  std::vector<int> fired;
  loop.after(30ms, [&] { fired.push_back(3); });
  loop.after(10ms, [&] { fired.push_back(1); });
  auto cancelled = loop.after(20ms, [&] { fired.push_back(2); });
  loop.cancel(cancelled);
  loop.after(40ms, [&] { loop.stop(); });
  loop.run();
  CHECK(fired == std::vector<int>{1, 3});
}

TEST_CASE("worker results posted from other threads run on the loop", "[loop]") {
  EventLoop loop;
  REQUIRE(loop.init({}));
  WorkerPool pool(2);
  auto loop_thread = std::this_thread::get_id();
  int done = 0;
  bool all_on_loop = true;
  for (int i = 0; i < 10; ++i)
    pool.submit([&] {
      loop.post([&] {
        all_on_loop = all_on_loop && std::this_thread::get_id() == loop_thread;
        if (++done == 10) loop.stop();
      });
    });
  loop.after(5s, [&] { loop.stop(); });  // a bound, in case posting is broken
  loop.run();
  CHECK(done == 10);
  CHECK(all_on_loop);
  CHECK(pool.shutdown(1s));
}

TEST_CASE("pool shutdown reports a job that outlives the grace period", "[loop]") {
  WorkerPool pool(1);
  std::atomic<bool> release{false};
  pool.submit([&] {
    while (!release) std::this_thread::sleep_for(5ms);
  });
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(pool.shutdown(50ms));
  release = true;
  CHECK(pool.shutdown(1s));
}
