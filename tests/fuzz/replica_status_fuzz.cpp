// Fuzz target: SHOW SLAVE STATUS / SHOW REPLICA STATUS rows. The input is the
// mysql client's vertical (\G) text of one row, the form fixtures are stored
// in; parse_vertical_output turns it into the column map the SQL session
// hands over, and parse_replica_status reads that map, which is where a
// server's (or a man in the middle's) values meet our code.

#include "common/replica_status.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto row = mha::parse_vertical_output(mha::fuzz::as_text(data, size));
  if (!row) return 0;
  auto status = mha::parse_replica_status(*row);
  if (!status) {
    MHA_FUZZ_CHECK(!status.error().message.empty());
    return 0;
  }
  (void)status->replicating();
  return 0;
}
