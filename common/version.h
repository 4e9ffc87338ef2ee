// The version both binaries report. Bumped by hand with the project version.
#pragma once

namespace mha {
inline constexpr const char* k_mhad_version = "0.1.0";
}  // namespace mha
