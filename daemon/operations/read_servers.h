// An operation's fresh look at the cluster before it changes anything:
// check_server() on every server, in parallel, through the operation's own
// sessions (settings re-read too). Blocking (operation threads).
#pragma once

#include "common/config.h"
#include "common/topology.h"
#include "daemon/operations/server_sessions.h"

#include <vector>

namespace mha {

// observations[i] for config.servers[i]; an unreachable server's entry has
// reachable=false and the error. `previous` (may be empty) supplies what the
// monitor knew (last GTIDs of a server that no longer answers).
std::vector<ServerObservation> read_servers(const ClusterConfig& config, ServerSessions& sessions,
                                            const std::vector<ServerObservation>& previous = {});

}  // namespace mha
