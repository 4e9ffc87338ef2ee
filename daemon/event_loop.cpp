#include "daemon/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/log.h"

namespace mha {

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() {
  for (int fd : {m_epoll, m_timerfd, m_signalfd, m_eventfd})
    if (fd >= 0) ::close(fd);
}

Result<void> EventLoop::init(const std::vector<int>& signals) {
  m_epoll = epoll_create1(EPOLL_CLOEXEC);
  m_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  m_eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : signals) sigaddset(&mask, signo);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0)
    return make_error(Errc::internal, "sigprocmask: {}", std::strerror(errno));
  m_signalfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m_epoll < 0 || m_timerfd < 0 || m_eventfd < 0 || m_signalfd < 0)
    return make_error(Errc::internal, "creating the event loop's descriptors: {}",
                      std::strerror(errno));
  if (auto r = watch(m_timerfd, EPOLLIN, [this](std::uint32_t) { fire_due_timers(); }); !r) return r;
  if (auto r = watch(m_eventfd, EPOLLIN, [this](std::uint32_t) { drain_posted(); }); !r) return r;
  return watch(m_signalfd, EPOLLIN, [this](std::uint32_t) { drain_signals(); });
}

Result<void> EventLoop::watch(int fd, std::uint32_t events, FdHandler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0)
    return make_error(Errc::internal, "epoll_ctl(ADD, {}): {}", fd, std::strerror(errno));
  m_handlers[fd] = std::move(handler);
  return {};
}

Result<void> EventLoop::modify(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev) != 0)
    return make_error(Errc::internal, "epoll_ctl(MOD, {}): {}", fd, std::strerror(errno));
  return {};
}

void EventLoop::unwatch(int fd) {
  epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
  m_handlers.erase(fd);
}

void EventLoop::on_signal(int signo, std::function<void()> handler) {
  m_signal_handlers[signo] = std::move(handler);
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(m_posted_mutex);
    m_posted.push_back(std::move(fn));
  }
  std::uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable.
  [[maybe_unused]] auto n = ::write(m_eventfd, &one, sizeof one);
}

MonoTime EventLoop::now() const { return MonoClock::now(); }

TimerId EventLoop::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  TimerId id = m_next_timer++;
  MonoTime due = now() + delay;
  m_timers.emplace(id, std::make_pair(due, std::move(fn)));
  m_timer_queue.emplace(due, id);
  arm_timerfd();
  return id;
}

void EventLoop::cancel(TimerId id) {
  auto it = m_timers.find(id);
  if (it == m_timers.end()) return;
  auto [first, last] = m_timer_queue.equal_range(it->second.first);
  for (auto q = first; q != last; ++q)
    if (q->second == id) {
      m_timer_queue.erase(q);
      break;
    }
  m_timers.erase(it);
}

void EventLoop::arm_timerfd() {
  itimerspec spec{};
  if (!m_timer_queue.empty()) {
    auto delay = m_timer_queue.begin()->first - now();
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
    if (ns < 1000) ns = 1000;  // zero would disarm the timer
    spec.it_value.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = ns % 1'000'000'000;
  }
  timerfd_settime(m_timerfd, 0, &spec, nullptr);
}

void EventLoop::fire_due_timers() {
  std::uint64_t expirations = 0;
  [[maybe_unused]] auto n = ::read(m_timerfd, &expirations, sizeof expirations);
  MonoTime t = now();
  // Collect first: a handler may add or cancel timers.
  std::vector<TimerId> due;
  for (auto it = m_timer_queue.begin(); it != m_timer_queue.end() && it->first <= t;)
    due.push_back(it->second), it = m_timer_queue.erase(it);
  for (TimerId id : due) {
    auto it = m_timers.find(id);
    if (it == m_timers.end()) continue;
    auto fn = std::move(it->second.second);
    m_timers.erase(it);
    fn();
  }
  arm_timerfd();
}

void EventLoop::drain_posted() {
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(m_eventfd, &count, sizeof count);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(m_posted_mutex);
    batch.swap(m_posted);
  }
  for (auto& fn : batch) fn();
}

void EventLoop::drain_signals() {
  signalfd_siginfo info{};
  while (::read(m_signalfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    auto it = m_signal_handlers.find(static_cast<int>(info.ssi_signo));
    if (it != m_signal_handlers.end()) it->second();
  }
}

void EventLoop::run() {
  m_running = true;
  epoll_event events[64];
  while (m_running) {
    int n = epoll_wait(m_epoll, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_error({}, "epoll_wait: {}", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n && m_running; ++i) {
      auto it = m_handlers.find(events[i].data.fd);
      if (it == m_handlers.end()) continue;  // unwatched by an earlier handler this turn
      auto handler = it->second;             // copy: the handler may unwatch itself
      handler(events[i].events);
    }
  }
}

void EventLoop::stop() { m_running = false; }

}  // namespace mha
