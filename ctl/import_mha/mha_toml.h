// An imported cluster written as mhad's clusters.d/NAME.toml: a header that
// says where it came from and where to save it, the cluster keys, then one
// [[server]] per MHA server block, each key with a comment naming the MHA
// file, line and parameter it came from. Pure. mhactl import-mha only.
#pragma once

#include <string>

#include "ctl/import_mha/mha_mapping.h"

namespace mha::ctl::import_mha {

std::string render_toml(const ImportedCluster& cluster);

}  // namespace mha::ctl::import_mha
