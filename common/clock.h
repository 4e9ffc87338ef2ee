// The clock seam: monotonic now() and timers that fire on the event loop.
// The real one is the EventLoop (daemon/event_loop.h); unit tests use a
// manual clock that fires due timers when advanced.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace mha {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
using TimerId = std::uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
  virtual TimerId after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual void cancel(TimerId id) = 0;
};

}  // namespace mha
