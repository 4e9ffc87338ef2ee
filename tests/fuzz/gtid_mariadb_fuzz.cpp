// Fuzz target: MariaDB GTID positions (GtidPosition::parse, domain-server-seq
// lists) as @@gtid_slave_pos or Gtid_IO_Pos bring them. The input is one
// position, or two separated by '|'; besides not crashing, a parsed position
// prints and parses back to itself, and the comparisons candidate choice and
// the errant-transaction check use agree with each other.

#include "common/gtid.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void check_position(const mha::GtidPosition& position) {
  mha::fuzz::check_round_trip(position);
  for (const mha::MariadbGtid& gtid : position.gtids()) mha::fuzz::check_round_trip(gtid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mha::fuzz::as_text(data, size);
  const std::size_t bar = input.find('|');
  (void)mha::MariadbGtid::parse(input.substr(0, bar));
  auto a = mha::GtidPosition::parse(input.substr(0, bar));
  if (!a) return 0;
  check_position(*a);
  MHA_FUZZ_CHECK(a->includes(*a) && !a->is_ahead_of(*a));
  MHA_FUZZ_CHECK(a->errant_against(*a).empty());
  MHA_FUZZ_CHECK(a->transactions_behind(*a) == 0);
  if (bar == std::string_view::npos) return 0;

  auto b = mha::GtidPosition::parse(input.substr(bar + 1));
  if (!b) return 0;
  check_position(*b);
  // A replica has no errant transaction exactly when the master includes it.
  MHA_FUZZ_CHECK(a->errant_against(*b).empty() == b->includes(*a));
  MHA_FUZZ_CHECK(!a->is_ahead_of(*b) || (a->includes(*b) && !b->includes(*a)));
  MHA_FUZZ_CHECK(!(a->includes(*b) && b->includes(*a)) || *a == *b);
  if (a->includes(*b)) MHA_FUZZ_CHECK(a->transactions_behind(*b) == 0);
  const auto comparison = a->compare(*b);
  for (std::size_t i = 1; i < comparison.size(); ++i)
    MHA_FUZZ_CHECK(comparison[i - 1].domain < comparison[i].domain);
  return 0;
}
