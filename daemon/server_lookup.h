// Which cluster and server an operator means (DESIGN.md: every command takes
// --cluster, which may be left out when only one cluster is configured or
// when the server named belongs to exactly one cluster). A server is named
// by its config name, host, host:port or IP. Pure.
#pragma once

#include "common/config.h"
#include "common/result.h"

#include <cstddef>
#include <string>
#include <vector>

namespace mha {

struct ServerRef {
  const ClusterConfig* cluster = nullptr;
  std::size_t server = 0;
};

// `cluster` empty: any cluster. Errc::unknown_cluster / unknown_server with
// the valid names; Errc::bad_request when several clusters match.
Result<ServerRef> find_server(const std::vector<ClusterConfig>& clusters, const std::string& cluster,
                              const std::string& text);
// The cluster a command is for: `cluster`, or the only one configured.
Result<const ClusterConfig*> find_cluster(const std::vector<ClusterConfig>& clusters, const std::string& cluster);

}  // namespace mha
