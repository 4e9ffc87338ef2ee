// The topology model: what one check of one server observed, and what that
// means (role, state, the cluster's master and health). Pure functions of the
// observations, so that the rules are unit-tested without servers.
#pragma once

#include "common/clock.h"
#include "common/config.h"
#include "common/flavor.h"
#include "common/replica_status.h"
#include "common/result.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mha {

// One check of one server. Filled by the monitor's worker; read on the loop.
struct ServerObservation {
  bool checked = false;    // at least one check finished
  bool reachable = false;
  std::optional<Error> error;  // why the last check failed
  std::string version;         // SELECT VERSION()
  std::optional<Flavor> flavor;
  std::uint32_t server_id = 0;
  std::string hostname;        // @@hostname
  std::optional<bool> read_only;
  std::string gtid_executed;   // MariaDB @@gtid_binlog_pos, MySQL @@gtid_executed
  std::string gtid_slave_pos;  // MariaDB only
  std::optional<ReplicaStatus> replica;  // SHOW SLAVE STATUS row, if any
  // Flavor::inventory_variables_sql(), lower-case names: read at connect and
  // every few cycles (settings rarely change). Empty until first read.
  std::map<std::string, std::string> variables;
  // Flavor::health_status_sql(), as the server names them: every cycle on
  // the master, every few on a replica (check_server says why), whose
  // Slave_received_heartbeats comes from its replica status every cycle.
  std::map<std::string, std::string> status;
  // Replicas connected to this server right now (SHOW SLAVE HOSTS):
  // server_id -> "host:port" as they report themselves.
  std::map<std::uint32_t, std::string> connected_replicas;
  MonoTime checked_at{};
  MonoTime inventory_at{};  // when `variables` was read

  // A variable's value, or "" when the server does not have it.
  std::string variable(std::string_view name) const;
  std::string status_value(std::string_view name) const;
};

enum class Role { master, replica, unknown };
enum class ServerState {
  ok,
  unreachable,
  replication_stopped,  // threads stopped by hand, no error
  replication_error,    // Last_IO_Error / Last_SQL_Error set
  io_connecting,        // IO thread retrying: its master is not answering
  lagging,              // over seconds_behind_master
  not_replicating,      // read_only and no replication configured
  unknown,              // not checked yet
};
enum class ClusterHealth { ok, degraded, master_down, unknown };

std::string_view role_name(Role role);
std::string_view server_state_name(ServerState state);
std::string_view cluster_health_name(ClusterHealth health);

Role derive_role(const ServerObservation& obs);
ServerState derive_state(const ServerObservation& obs, std::chrono::milliseconds lag_limit);
// The error text an operator needs for a server in a bad state, or empty.
std::string state_detail(const ServerObservation& obs);

// Which configured server is the master: the one writable non-replica, else
// the one the replicas replicate from, else `previous` (last known). Returns
// the index into cluster.servers, or nullopt.
std::optional<std::size_t> find_master(const ClusterConfig& cluster,
                                       const std::vector<ServerObservation>& observations,
                                       std::optional<std::size_t> previous);

ClusterHealth derive_health(const ClusterConfig& cluster,
                            const std::vector<ServerObservation>& observations,
                            std::optional<std::size_t> master);

// Where the servers' actual topology differs from the configuration, one
// sentence each: two writable servers, a replica of someone else than the
// master, replication stopped or broken (with the server's error), lag over
// seconds_behind_master, a server outside the configuration replicating
// from the master.
std::vector<std::string> topology_problems(const ClusterConfig& cluster,
                                           const std::vector<ServerObservation>& observations,
                                           std::optional<std::size_t> master);

// The protocol's per-server status object (see ctl/status_table for its reader).
nlohmann::json server_status_json(const ServerConfig& server, const ServerObservation& obs,
                                  const ClusterConfig& cluster, MonoTime now);

}  // namespace mha
