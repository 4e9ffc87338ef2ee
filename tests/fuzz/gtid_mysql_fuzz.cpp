// Fuzz target: MySQL GTID sets (GtidSet::parse), as a replica's
// Executed_Gtid_Set or @@gtid_executed would bring them. The input is one
// set, or two separated by '|' (a character no set contains); besides not
// crashing, a parsed set prints canonically and parses back to itself, and
// the set operations obey the algebra failover relies on for errant checks.

#include "common/gtid.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void check_set(const mha::GtidSet& set) {
  mha::fuzz::check_round_trip(set);  // canonical text
  MHA_FUZZ_CHECK(set.empty() == set.to_string().empty());
}

// The class invariant as seen from outside: sorted, in range, merged.
void check_intervals(const std::vector<mha::GtidSet::Interval>& intervals) {
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    MHA_FUZZ_CHECK(intervals[i].first >= 1 && intervals[i].first <= intervals[i].last);
    MHA_FUZZ_CHECK(intervals[i].last <= mha::GtidSet::k_max_gno);
    if (i > 0) MHA_FUZZ_CHECK(intervals[i].first > intervals[i - 1].last + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mha::fuzz::as_text(data, size);
  const std::size_t bar = input.find('|');
  auto a = mha::GtidSet::parse(input.substr(0, bar));
  if (!a) return 0;
  check_set(*a);
  (void)a->count();
  for (const std::string& uuid : a->uuids()) check_intervals(a->intervals(uuid));
  if (bar == std::string_view::npos) return 0;

  auto b = mha::GtidSet::parse(input.substr(bar + 1));
  if (!b) return 0;
  check_set(*b);
  const mha::GtidSet both = a->union_with(*b);
  const mha::GtidSet only_a = a->subtract(*b);
  const mha::GtidSet common = a->intersect(*b);
  check_set(both);
  check_set(only_a);
  check_set(common);
  MHA_FUZZ_CHECK(both.contains(*a) && both.contains(*b));
  MHA_FUZZ_CHECK(a->contains(only_a) && a->contains(common) && b->contains(common));
  MHA_FUZZ_CHECK(only_a.intersect(*b).empty());
  MHA_FUZZ_CHECK(only_a.union_with(common) == *a);
  MHA_FUZZ_CHECK(a->contains(*b) == b->subtract(*a).empty());
  MHA_FUZZ_CHECK(a->union_with(*b) == b->union_with(*a));
  MHA_FUZZ_CHECK(a->intersect(*b) == b->intersect(*a));
  return 0;
}
