// Failpoints for the crash and pause tests: called by every operation right
// after its phase was persisted and before the phase starts. The release
// binary (mhad) links failpoints_none.cpp, where this does nothing; the
// integration tests' binary (mhad-testhooks) links failpoints_env.cpp,
// which reads MHAD_TEST_CRASH_AT_PHASE=PHASE (exit at once, as a crash
// would) and MHAD_TEST_PAUSE_AT_PHASE=PHASE:MS (wait MS first).
#pragma once

#include <string_view>

namespace mha {

void failpoint_before_phase(std::string_view operation, std::string_view phase);

}  // namespace mha
