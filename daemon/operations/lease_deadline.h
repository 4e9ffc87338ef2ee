// The lease deadline of an operation's changing steps (coordination =
// "etcd", issue 12 Deliver 3). The instance that runs a failover holds a
// lease that is surely its own only up to a time Leadership knows: the send
// time of its last successful keepalive + the granted TTL − a margin. Every
// changing step (an IO thread stopped, a wait for the relay log, the
// promotion, the VIP moved, the old master killed) starts only while that
// time is ahead, and waits no later than it:
//   - budget(wanted, now): the time the step may take, `wanted` capped at
//     the known-held time; Errc::not_active when the lease is not surely
//     held at `now` (or the leadership changed hands since the operation
//     started), and then the step must not start;
//   - a long wait (a relay log applied for a minute) runs as slices, each
//     within the budget of the moment, so that it goes on across renewals
//     and ends at the first slice whose lease is not confirmed.
// Without coordination (the default) there is no lease and every step gets
// the time it asks for. Any thread: held_until is the caller's
// (Leadership::held_until, which takes its own lock). Time comes from the
// operation's clock, in the same steady domain as Leadership's.
#pragma once

#include "common/result.h"
#include "daemon/operations/operation_clock.h"

#include <chrono>
#include <functional>
#include <optional>

namespace mha {

class LeaseDeadline {
 public:
  // The time up to which the lease is surely held, or nullopt when it is
  // not surely held now (lost, expired, deposed, another token).
  using HeldUntil = std::function<std::optional<MonoTime>(MonoTime now)>;

  LeaseDeadline() = default;  // no coordination: no cap
  explicit LeaseDeadline(HeldUntil held_until) : m_held_until(std::move(held_until)) {}

  bool bounded() const { return static_cast<bool>(m_held_until); }

  // `wanted`, capped at the time left on the lease at `now`; Errc::not_active
  // naming `step` when none is left.
  Result<std::chrono::milliseconds> budget(std::chrono::milliseconds wanted, MonoTime now,
                                           std::string_view step) const {
    if (!m_held_until) return wanted;
    const std::optional<MonoTime> until = m_held_until(now);
    if (!until || *until <= now)
      return make_error(Errc::not_active,
                        "the etcd lease is not surely held any more: '{}' not started (another mhad may act now)",
                        step);
    return std::min(wanted, std::chrono::duration_cast<std::chrono::milliseconds>(*until - now));
  }

  // A wait of at most `total` as slices: `attempt(slice)` waits at most
  // `slice` and returns Errc::timeout when the awaited state is not there
  // yet, anything else to end the wait. Each slice is the lease's budget of
  // the moment, at least `min_slice` (a server function that takes whole
  // seconds): with less left, it waits `poll` for a renewal and looks again.
  // Ends with the last slice's timeout when `total` is spent, with
  // Errc::not_active when the lease is not surely held before a slice.
  Result<void> wait(std::chrono::milliseconds total, std::chrono::milliseconds min_slice,
                    std::chrono::milliseconds poll, OperationClock& clock, std::string_view step,
                    const std::function<Result<void>(std::chrono::milliseconds slice)>& attempt) const {
    if (!m_held_until) return attempt(total);
    const MonoTime end = clock.now() + total;
    Result<void> last = make_error(Errc::timeout, "'{}' did not finish within {} ms", step, total.count());
    for (;;) {
      const MonoTime now = clock.now();
      if (now >= end) return last;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now);
      auto slice = budget(left, now, step);
      if (!slice) return slice.error();
      if (*slice < std::min(min_slice, left)) {
        // Not enough lease left for one slice: the next renewal extends it,
        // unless etcd is gone, and then the next budget says so.
        clock.sleep_for(std::max(std::chrono::milliseconds(1), std::min(poll, *slice)));
        continue;
      }
      last = attempt(*slice);
      if (last || last.error().code != Errc::timeout) return last;
    }
  }

 private:
  HeldUntil m_held_until;
};

}  // namespace mha
