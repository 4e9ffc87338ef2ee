// Fuzz target: the state file reader (parse_state_text, the part of
// StateStore::load after the file is read). A state file is written by mhad
// but read back after crashes, disk trouble and operators' edits. Besides not
// crashing: a state that loads saves as JSON that loads back to the same.

#include "daemon/state_store.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto state = mha::parse_state_text(mha::fuzz::as_text(data, size));
  if (!state) {
    MHA_FUZZ_CHECK(!state.error().message.empty());
    return 0;
  }
  MHA_FUZZ_CHECK(state->verdicts.size() <= mha::ClusterState::k_max_verdicts);
  MHA_FUZZ_CHECK(state->failovers.size() <= mha::ClusterState::k_max_failovers);
  MHA_FUZZ_CHECK(state->operations.size() <= mha::ClusterState::k_max_failovers);
  // What save() writes (dump with replace, as there) must load again.
  const nlohmann::json written = state->to_json();
  const std::string text = written.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  auto again = mha::parse_state_text(text);
  MHA_FUZZ_CHECK(again.ok());
  MHA_FUZZ_CHECK(again->to_json() == written);
  return 0;
}
