// mhad_check_duration_seconds: how long each server check took (the SQL
// look, the INSERT ping, the TCP probe after a failure). Observed by the
// monitor's workers, on any thread, whether or not metrics are served: one
// uncontended lock per check. Process-wide, like the log.
#pragma once

#include <chrono>

namespace mha {

void record_check_duration(std::chrono::steady_clock::duration took);

}  // namespace mha
