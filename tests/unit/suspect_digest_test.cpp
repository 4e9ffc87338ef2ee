// The digest of a master that keeps failing checks and answering again: the
// first round in full, the next ones held back and summed up once a
// window, one closing line after a whole window without a failed check.
#include <catch2/catch.hpp>

#include "daemon/detection/suspect_digest.h"

using namespace mha;
using namespace std::chrono_literals;

namespace {

// One slow round as an 800 ms-slow master makes it: the check overruns,
// 2.4 s later the late answer clears it.
SuspectDigest::Answer slow_round(SuspectDigest& digest, MonoTime& now, bool* suspect_in_full = nullptr) {
  bool full = digest.on_suspect(now);
  if (suspect_in_full) *suspect_in_full = full;
  now += 2400ms;
  auto answer = digest.on_answer(now, 2440ms, true);
  now += 600ms;
  return answer;
}

}  // namespace

TEST_CASE("a slow master's rounds after the first are held back and summed up once a minute", "[detection]") {
  SuspectDigest digest(60s);
  MonoTime now = MonoClock::now();

  bool suspect_full = false;
  auto first = slow_round(digest, now, &suspect_full);
  CHECK(suspect_full);
  CHECK(first.in_full);
  CHECK_FALSE(first.summary);

  // The next rounds, every 3 s: quiet until a minute has passed since the first answer.
  int summaries = 0;
  SuspectDigest::Figures summed;
  for (int i = 0; i < 19; ++i) {
    auto a = slow_round(digest, now, &suspect_full);
    CHECK_FALSE(suspect_full);
    CHECK_FALSE(a.in_full);
    if (a.summary) {
      ++summaries;
      summed = *a.summary;
    }
  }
  REQUIRE(summaries == 0);
  auto twentieth = slow_round(digest, now, &suspect_full);
  REQUIRE(twentieth.summary);
  CHECK(twentieth.summary->rounds == 20);
  CHECK(twentieth.summary->late == 20);
  CHECK(twentieth.summary->longest == 2440ms);
  CHECK(digest.holding_back());

  // The next summary counts only its own window.
  for (int i = 0; i < 19; ++i) CHECK_FALSE(slow_round(digest, now).summary);
  auto next = slow_round(digest, now);
  REQUIRE(next.summary);
  CHECK(next.summary->rounds == 20);
}

TEST_CASE("the digest closes once the master has passed every check for a window", "[detection]") {
  SuspectDigest digest(60s);
  MonoTime now = MonoClock::now();
  slow_round(digest, now);
  // A flapping link: failed checks that are answered in time.
  for (int i = 0; i < 4; ++i) {
    CHECK_FALSE(digest.on_suspect(now));
    now += 2s;
    CHECK_FALSE(digest.on_answer(now, 200ms, false).in_full);
    now += 2s;
  }
  // Checks pass, but not yet for a whole window since the last failure.
  CHECK_FALSE(digest.on_check_passed(now));  // 4 s after the last failure
  now += 55s;
  CHECK_FALSE(digest.on_check_passed(now));
  now += 2s;
  auto closed = digest.on_check_passed(now);
  REQUIRE(closed);
  CHECK(closed->rounds == 4);
  CHECK(closed->late == 0);
  CHECK(closed->longest == 0ms);
  CHECK(closed->span == 15s);  // the streak: from its first failure (logged in full) to its last
  CHECK_FALSE(digest.on_check_passed(now + 1s));  // once

  // The next failure is a new streak: logged in full.
  CHECK(digest.on_suspect(now));
  CHECK(digest.on_answer(now + 1s, 1500ms, true).in_full);
}

TEST_CASE("a single failed check gets its two lines and no closing line", "[detection]") {
  SuspectDigest digest(60s);
  MonoTime now = MonoClock::now();
  CHECK(digest.on_suspect(now));
  CHECK(digest.on_answer(now + 1s, 300ms, false).in_full);
  CHECK_FALSE(digest.on_check_passed(now + 2min));
  // A failure a window after the last one is a new streak.
  CHECK(digest.on_suspect(now + 3min));
}

TEST_CASE("after a verdict or a new master the next round is logged in full", "[detection]") {
  SuspectDigest digest(60s);
  MonoTime now = MonoClock::now();
  slow_round(digest, now);
  CHECK_FALSE(digest.on_suspect(now));
  digest.reset();  // e.g. unreachable_from_manager was logged
  CHECK(digest.on_answer(now + 1s, 2000ms, true).in_full);
  CHECK(digest.on_suspect(now + 2s));
}
