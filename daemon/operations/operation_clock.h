// Time for the operations (failover, switchover, rejoin), which are
// sequential procedures on threads of their own: their waits poll a server
// and sleep between polls. Taking time through this seam lets a unit test
// drive a timeout without sleeping (tests/fakes: a clock that jumps ahead on
// sleep_for). The event loop's Clock (common/clock.h) is for timers on the
// loop; this one is for blocking waits off it.
#pragma once

#include "common/clock.h"

#include <chrono>
#include <thread>

namespace mha {

class OperationClock {
 public:
  virtual ~OperationClock() = default;
  virtual MonoTime now() const = 0;
  virtual void sleep_for(std::chrono::milliseconds delay) = 0;
};

class SteadyOperationClock final : public OperationClock {
 public:
  MonoTime now() const override { return MonoClock::now(); }
  void sleep_for(std::chrono::milliseconds delay) override { std::this_thread::sleep_for(delay); }
};

// The process-wide real clock (stateless), the default of every operation env.
OperationClock& real_operation_clock();

}  // namespace mha
