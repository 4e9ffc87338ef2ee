#include "common/topology.h"

namespace mha {

std::string ServerObservation::variable(std::string_view name) const {
  auto it = variables.find(std::string(name));
  return it == variables.end() ? std::string() : it->second;
}

std::string ServerObservation::status_value(std::string_view name) const {
  auto it = status.find(std::string(name));
  return it == status.end() ? std::string() : it->second;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::master: return "master";
    case Role::replica: return "replica";
    case Role::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view server_state_name(ServerState state) {
  switch (state) {
    case ServerState::ok: return "ok";
    case ServerState::unreachable: return "unreachable";
    case ServerState::replication_stopped: return "replication_stopped";
    case ServerState::replication_error: return "replication_error";
    case ServerState::io_connecting: return "io_connecting";
    case ServerState::lagging: return "lagging";
    case ServerState::not_replicating: return "not_replicating";
    case ServerState::unknown: return "unknown";
  }
  return "unknown";
}

std::string_view cluster_health_name(ClusterHealth health) {
  switch (health) {
    case ClusterHealth::ok: return "ok";
    case ClusterHealth::degraded: return "degraded";
    case ClusterHealth::master_down: return "master_down";
    case ClusterHealth::unknown: return "unknown";
  }
  return "unknown";
}

// A replica status row with an empty Master_Host is left over from RESET
// SLAVE (without ALL): MHA, too, treats such a server as not a replica.
static bool is_replica(const ServerObservation& obs) {
  return obs.replica && !obs.replica->master_host.empty();
}

Role derive_role(const ServerObservation& obs) {
  if (!obs.reachable) return Role::unknown;
  if (is_replica(obs)) return Role::replica;
  if (obs.read_only == false) return Role::master;
  return Role::unknown;
}

ServerState derive_state(const ServerObservation& obs, std::chrono::milliseconds lag_limit) {
  if (!obs.checked) return ServerState::unknown;
  if (!obs.reachable) return ServerState::unreachable;
  if (!is_replica(obs)) return obs.read_only == false ? ServerState::ok : ServerState::not_replicating;
  const ReplicaStatus& r = *obs.replica;
  if (r.last_io_errno != 0 || r.last_sql_errno != 0) return ServerState::replication_error;
  if (!r.sql_running || r.io_running == ReplicaStatus::ThreadState::no) return ServerState::replication_stopped;
  if (r.io_running == ReplicaStatus::ThreadState::connecting) return ServerState::io_connecting;
  if (r.seconds_behind && std::chrono::seconds(*r.seconds_behind) > lag_limit) return ServerState::lagging;
  return ServerState::ok;
}

std::string state_detail(const ServerObservation& obs) {
  if (!obs.checked) return "";
  if (!obs.reachable) return obs.error ? obs.error->message : "unreachable";
  if (!is_replica(obs)) {
    if (obs.read_only == true) return "read_only is on and the server replicates from nobody";
    return "";
  }
  const ReplicaStatus& r = *obs.replica;
  std::string detail;
  if (r.last_io_errno != 0) detail = fmt::format("Last_IO_Error {}: {}", r.last_io_errno, r.last_io_error);
  if (r.last_sql_errno != 0)
    detail += fmt::format("{}Last_SQL_Error {}: {}", detail.empty() ? "" : "; ", r.last_sql_errno, r.last_sql_error);
  if (!detail.empty()) return detail;
  if (!r.sql_running || r.io_running == ReplicaStatus::ThreadState::no)
    return fmt::format("replication stopped (IO thread {}, SQL thread {}); to resume: START SLAVE",
                       r.io_running == ReplicaStatus::ThreadState::no ? "off" : "on", r.sql_running ? "on" : "off");
  if (r.io_running == ReplicaStatus::ThreadState::connecting)
    return fmt::format("IO thread is connecting to {}:{}", r.master_host, r.master_port);
  return "";
}

static bool same_endpoint(const ServerConfig& server, std::string_view host, std::uint16_t port) {
  return port == server.port && (host == server.host || host == server.ip);
}

std::optional<std::size_t> find_master(const ClusterConfig& cluster,
                                       const std::vector<ServerObservation>& observations,
                                       std::optional<std::size_t> previous) {
  std::optional<std::size_t> writable;
  int writable_count = 0;
  for (std::size_t i = 0; i < observations.size(); ++i)
    if (derive_role(observations[i]) == Role::master) {
      writable = i;
      ++writable_count;
    }
  if (writable_count == 1) return writable;
  // No (single) writable server: the master is whom the replicas follow.
  for (const auto& obs : observations) {
    if (!is_replica(obs)) continue;
    for (std::size_t i = 0; i < cluster.servers.size(); ++i)
      if (same_endpoint(cluster.servers[i], obs.replica->master_host, obs.replica->master_port)) return i;
  }
  return previous;
}

ClusterHealth derive_health(const ClusterConfig& cluster, const std::vector<ServerObservation>& observations,
                            std::optional<std::size_t> master) {
  if (!master) return ClusterHealth::unknown;
  const auto& m = observations[*master];
  if (!m.checked) return ClusterHealth::unknown;
  if (!m.reachable) return ClusterHealth::master_down;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    if (derive_state(observations[i], cluster.seconds_behind_master) != ServerState::ok) return ClusterHealth::degraded;
    // A replica of someone other than the master is a topology problem too.
    if (i != *master && is_replica(observations[i]) &&
        !same_endpoint(cluster.servers[*master], observations[i].replica->master_host,
                       observations[i].replica->master_port))
      return ClusterHealth::degraded;
  }
  return ClusterHealth::ok;
}

std::vector<std::string> topology_problems(const ClusterConfig& cluster,
                                           const std::vector<ServerObservation>& observations,
                                           std::optional<std::size_t> master) {
  std::vector<std::string> out;
  std::vector<std::string> writable;
  for (std::size_t i = 0; i < observations.size(); ++i)
    if (derive_role(observations[i]) == Role::master) writable.push_back("'" + cluster.servers[i].name + "'");
  if (writable.size() > 1) {
    std::string names;
    for (const auto& w : writable) names += (names.empty() ? "" : ", ") + w;
    out.push_back(fmt::format("{} writable servers that replicate from nobody: {}", writable.size(), names));
  }
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const auto& obs = observations[i];
    const auto& name = cluster.servers[i].name;
    if (master && i != *master && is_replica(obs) &&
        !same_endpoint(cluster.servers[*master], obs.replica->master_host, obs.replica->master_port)) {
      std::string source = fmt::format("{}:{}", obs.replica->master_host, obs.replica->master_port);
      for (std::size_t j = 0; j < cluster.servers.size(); ++j)
        if (same_endpoint(cluster.servers[j], obs.replica->master_host, obs.replica->master_port))
          source = "'" + cluster.servers[j].name + "'";
      out.push_back(fmt::format("'{}' replicates from {}, not from the master '{}'", name, source,
                                cluster.servers[*master].name));
    }
    auto state = derive_state(obs, cluster.seconds_behind_master);
    if (state == ServerState::replication_stopped || state == ServerState::replication_error)
      out.push_back(fmt::format("'{}': {}", name, state_detail(obs)));
    if (state == ServerState::lagging)
      out.push_back(fmt::format("'{}' is {} s behind its master (limit {} s)", name, *obs.replica->seconds_behind,
                                std::chrono::duration_cast<std::chrono::seconds>(cluster.seconds_behind_master).count()));
  }
  // Unknown replicas: only once every configured server's server_id is known
  // (an unchecked one could be the "unknown" replica).
  bool all_ids_known = true;
  for (const auto& obs : observations) all_ids_known = all_ids_known && obs.server_id != 0;
  if (master && observations[*master].reachable && all_ids_known) {
    std::map<std::uint32_t, std::string> known;
    for (std::size_t i = 0; i < observations.size(); ++i) known[observations[i].server_id] = cluster.servers[i].name;
    for (const auto& [server_id, where] : observations[*master].connected_replicas)
      if (!known.count(server_id))
        out.push_back(fmt::format("a server not in the configuration replicates from the master: server_id {} ({})",
                                  server_id, where.empty() ? "no report_host" : where));
  }
  return out;
}

nlohmann::json server_status_json(const ServerConfig& server, const ServerObservation& obs,
                                  const ClusterConfig& cluster, MonoTime now) {
  using nlohmann::json;
  auto text_or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  json j{{"name", server.name},
         {"host", server.host},
         {"port", server.port},
         {"role", role_name(derive_role(obs))},
         {"reachable", obs.reachable},
         {"state", server_state_name(derive_state(obs, cluster.seconds_behind_master))},
         {"last_error", text_or_null(state_detail(obs))},
         {"read_only", obs.read_only ? json(*obs.read_only) : json(nullptr)},
         {"flavor", obs.flavor ? json(obs.flavor->is_mariadb() ? "mariadb" : "mysql") : json(nullptr)},
         {"version", text_or_null(obs.version)},
         {"server_id", obs.reachable ? json(obs.server_id) : json(nullptr)},
         {"gtid_executed", obs.reachable ? text_or_null(obs.gtid_executed) : json(nullptr)},
         {"checked_ms_ago", obs.checked ? json(std::chrono::duration_cast<std::chrono::milliseconds>(now - obs.checked_at).count())
                                        : json(nullptr)}};
  if (obs.reachable && obs.flavor && obs.flavor->is_mariadb()) j["gtid_slave_pos"] = text_or_null(obs.gtid_slave_pos);
  if (is_replica(obs)) {
    const ReplicaStatus& r = *obs.replica;
    auto thread = [](ReplicaStatus::ThreadState t) {
      return t == ReplicaStatus::ThreadState::yes ? "yes" : t == ReplicaStatus::ThreadState::no ? "no" : "connecting";
    };
    j["io_thread"] = thread(r.io_running);
    j["sql_thread"] = r.sql_running ? "yes" : "no";
    j["seconds_behind"] = r.seconds_behind ? json(*r.seconds_behind) : json(nullptr);
    j["source"] = fmt::format("{}:{}", r.master_host, r.master_port);
    j["gtid_received"] = text_or_null(r.is_mariadb_row ? r.gtid_io_pos : r.retrieved_gtid_set);
    j["last_io_error"] = r.last_io_errno ? json(r.last_io_error) : json(nullptr);
    j["last_sql_error"] = r.last_sql_errno ? json(r.last_sql_error) : json(nullptr);
  } else {
    for (const char* key : {"io_thread", "sql_thread", "seconds_behind", "source", "gtid_received",
                            "last_io_error", "last_sql_error"})
      j[key] = nullptr;
  }
  return j;
}

}  // namespace mha
