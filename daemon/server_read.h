// One look at one server through the SQL seam: role, read_only, GTIDs,
// replica status, counters and (on a new connection or
// when asked) version and settings. Used by the monitor each cycle, by
// mhactl check, and by every operation's fresh look at the cluster.
// Blocking: worker or operation threads only.
#pragma once

#include "common/topology.h"
#include "daemon/sql_session.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mha {

// `previous` supplies what is not re-read every cycle (version, settings).
ServerObservation check_server(SqlSession& session, const SqlEndpoint& endpoint, MonoTime now,
                               const ServerObservation& previous = {}, bool refresh_inventory = false);

// The master's replicas (SHOW SLAVE HOSTS / SHOW REPLICAS): server_id ->
// "host:port" ("" without report_host). Never on the session that proves the
// master alive: after a partition between the master and its replicas
// heals, each reconnecting replica's new dump thread waits for the old one,
// which is stuck writing to the dead socket until TCP's backed-off
// retransmission (or net_write_timeout) ends it, and SHOW SLAVE HOSTS waits
// with them, for 10 s and more (measured on MariaDB 10.11 after a 15 s cut),
// while every other query answers at once.
Result<std::map<std::uint32_t, std::string>> read_connected_replicas(SqlSession& session, const Flavor& flavor);

// Which hosts hold the VIP, from `ip -o addr show` output. Pure.
bool ip_output_has_address(std::string_view ip_output, std::string_view cidr_or_address);

}  // namespace mha
