// The one event loop of mhad: epoll over file descriptors, one timerfd for
// every timer, a signalfd for SIGTERM/SIGINT/SIGHUP, and an eventfd through
// which worker threads post their results. Everything that touches daemon
// state runs here, on the main thread; nothing here may block.
#pragma once

#include "common/clock.h"
#include "common/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace mha {

class EventLoop final : public Clock {
 public:
  using FdHandler = std::function<void(std::uint32_t events)>;

  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Blocks the given signals for the whole process (call before starting any
  // thread, so workers inherit the mask) and routes them to handlers.
  Result<void> init(const std::vector<int>& signals);

  Result<void> watch(int fd, std::uint32_t events, FdHandler handler);
  Result<void> modify(int fd, std::uint32_t events);
  void unwatch(int fd);

  void on_signal(int signo, std::function<void()> handler);

  // Thread-safe: runs fn on the loop thread at the next turn.
  void post(std::function<void()> fn);

  MonoTime now() const override;
  TimerId after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  void run();   // until stop()
  void stop();

 private:
  void arm_timerfd();
  void fire_due_timers();
  void drain_posted();
  void drain_signals();

  int m_epoll = -1;
  int m_timerfd = -1;
  int m_signalfd = -1;
  int m_eventfd = -1;
  bool m_running = false;
  TimerId m_next_timer = 1;
  std::multimap<MonoTime, TimerId> m_timer_queue;
  std::unordered_map<TimerId, std::pair<MonoTime, std::function<void()>>> m_timers;
  std::unordered_map<int, FdHandler> m_handlers;
  std::unordered_map<int, std::function<void()>> m_signal_handlers;
  std::mutex m_posted_mutex;
  std::vector<std::function<void()>> m_posted;
};

}  // namespace mha
