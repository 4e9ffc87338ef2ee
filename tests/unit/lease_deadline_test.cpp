// LeaseDeadline: a changing step's time is capped at the lease's known-held
// time, a step does not start without it, and a long wait runs in slices
// that go on across renewals and stop at the first unconfirmed one.
#include "daemon/operations/lease_deadline.h"

#include "fakes/fake_cluster.h"

#include <catch2/catch.hpp>

using namespace mha;
using namespace mha::test;
using namespace std::chrono_literals;

TEST_CASE("lease deadline: without coordination a step gets what it asks", "[lease]") {
  LeaseDeadline none;
  CHECK_FALSE(none.bounded());
  auto b = none.budget(60s, MonoTime{}, "wait");
  REQUIRE(b);
  CHECK(*b == 60s);
  FakeOperationClock clock;
  std::vector<std::chrono::milliseconds> slices;
  auto r = none.wait(60s, 1s, 100ms, clock, "wait", [&](std::chrono::milliseconds s) -> Result<void> {
    slices.push_back(s);
    return {};
  });
  CHECK(r);
  CHECK(slices == std::vector<std::chrono::milliseconds>{60s});
}

TEST_CASE("lease deadline: a step is capped at the known-held time and refused once it passed", "[lease]") {
  FakeOperationClock clock;
  const MonoTime held = clock.now() + 1500ms;
  LeaseDeadline lease([&](MonoTime) { return std::optional<MonoTime>(held); });
  CHECK(lease.bounded());
  auto b = lease.budget(60s, clock.now(), "promote");
  REQUIRE(b);
  CHECK(*b == 1500ms);
  CHECK(*lease.budget(200ms, clock.now(), "promote") == 200ms);
  clock.sleep_for(1500ms);
  auto late = lease.budget(60s, clock.now(), "promote 'slave1'");
  REQUIRE_FALSE(late);
  CHECK(late.error().code == Errc::not_active);
  CHECK(late.error().message ==
        "the etcd lease is not surely held any more: 'promote 'slave1'' not started (another mhad may act now)");
  // Not surely held at all (deposed, no lease): refused at once.
  LeaseDeadline lost([](MonoTime) { return std::optional<MonoTime>(); });
  CHECK(lost.budget(1s, clock.now(), "fence").error().code == Errc::not_active);
}

TEST_CASE("lease deadline: a long wait runs in slices across renewals and stops when a renewal fails", "[lease]") {
  FakeOperationClock clock;
  // Renewed every second to now + 1.5 s, until `renewing` goes false.
  bool renewing = true;
  MonoTime held = clock.now() + 1500ms;
  LeaseDeadline lease([&](MonoTime now) {
    if (renewing && now + 1000ms > held) held = now + 1500ms;
    return std::optional<MonoTime>(held);
  });
  std::vector<std::chrono::milliseconds> slices;
  int done_after = 4;  // the awaited state is there at the 4th slice
  auto attempt = [&](std::chrono::milliseconds s) -> Result<void> {
    REQUIRE(clock.now() + s <= held);  // never past the known-held time
    slices.push_back(s);
    clock.sleep_for(s);
    if (static_cast<int>(slices.size()) >= done_after) return {};
    return make_error(Errc::timeout, "not yet");
  };

  SECTION("renewed: the wait goes on past one lease period and succeeds") {
    REQUIRE(lease.wait(60s, 1s, 100ms, clock, "relay log", attempt));
    CHECK(slices.size() == 4);
    for (auto s : slices) CHECK(s <= 1500ms);
  }
  SECTION("the renewals stop: the wait ends not_active, no slice past the lease") {
    done_after = 100;
    renewing = false;
    auto r = lease.wait(60s, 1s, 100ms, clock, "relay log", attempt);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::not_active);
    CHECK(clock.now() <= held + 100ms);
    CHECK(slices.size() == 1);
  }
  SECTION("the total is spent first: the last slice's timeout") {
    done_after = 100;
    auto r = lease.wait(3s, 1s, 100ms, clock, "relay log", attempt);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::timeout);
    CHECK(r.error().message == "not yet");
  }
  SECTION("another error ends the wait at once") {
    auto r = lease.wait(60s, 1s, 100ms, clock, "relay log",
                        [&](std::chrono::milliseconds) -> Result<void> { return make_error(Errc::sql, "gone"); });
    CHECK(r.error().code == Errc::sql);
  }
}
