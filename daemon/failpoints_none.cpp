// The release build: no failpoints (see failpoints.h).
#include "daemon/failpoints.h"

namespace mha {

void failpoint_before_phase(std::string_view, std::string_view) {}

}  // namespace mha
