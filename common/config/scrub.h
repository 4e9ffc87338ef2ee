// Scrubbing structured values: every string inside a JSON document (a
// failover report, a state record, a reply) scrubbed of the cluster's
// secrets, as scrub_secrets() (common/config.h) does for text.
#pragma once

#include <nlohmann/json.hpp>

#include "common/config.h"

namespace mha {

nlohmann::json scrub_secrets_json(nlohmann::json value, const ClusterConfig& cluster);

}  // namespace mha
