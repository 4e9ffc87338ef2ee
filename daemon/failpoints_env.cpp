// The test build's failpoints (see failpoints.h). Linked into mhad-testhooks
// only, never into the shipped mhad.
#include "daemon/failpoints.h"

#include "common/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace mha {

void failpoint_before_phase(std::string_view, std::string_view phase) {
  if (const char* stop = std::getenv("MHAD_TEST_CRASH_AT_PHASE"); stop && phase == stop) {
    log_error({}, "MHAD_TEST_CRASH_AT_PHASE={}: exiting now", stop);
    ::_exit(9);
  }
  if (const char* pause = std::getenv("MHAD_TEST_PAUSE_AT_PHASE")) {
    std::string_view text(pause);
    if (auto colon = text.find(':'); colon != std::string_view::npos && text.substr(0, colon) == phase) {
      log_warning({}, "MHAD_TEST_PAUSE_AT_PHASE={}: waiting", pause);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(pause + colon + 1)));
    }
  }
}

}  // namespace mha
