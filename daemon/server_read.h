// One look at one server through the SQL seam: role, read_only, GTIDs,
// replica status, connected replicas, counters and (on a new connection or
// when asked) version and settings. Used by the monitor each cycle, by
// mhactl check, and by every operation's fresh look at the cluster.
// Blocking: worker or operation threads only.
#pragma once

#include "common/topology.h"
#include "daemon/sql_session.h"

#include <string_view>

namespace mha {

// `previous` supplies what is not re-read every cycle (version, settings).
ServerObservation check_server(SqlSession& session, const SqlEndpoint& endpoint, MonoTime now,
                               const ServerObservation& previous = {}, bool refresh_inventory = false);

// Which hosts hold the VIP, from `ip -o addr show` output. Pure.
bool ip_output_has_address(std::string_view ip_output, std::string_view cidr_or_address);

}  // namespace mha
