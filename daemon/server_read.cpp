// One look at one server through the SQL seam: what the monitor, the
// checks and every operation (failover, switchover, rejoin) read.
#include "daemon/server_read.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

namespace mha {

namespace {

Result<std::string> scalar_text(SqlSession& session, std::string_view sql) {
  auto rows = session.query(sql);
  if (!rows) return rows.error();
  return rows->scalar().value_or("");
}

// Name/value rows (SHOW VARIABLES / SHOW STATUS) into a map.
Result<std::map<std::string, std::string>> name_value_rows(SqlSession& session, std::string_view sql,
                                                                  bool lower_names) {
  auto rows = session.query(sql);
  if (!rows) return rows.error();
  std::map<std::string, std::string> out;
  for (const auto& row : rows->rows) {
    if (row.size() < 2 || !row[0]) continue;
    std::string name = *row[0];
    if (lower_names)
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out[name] = row[1].value_or("");
  }
  return out;
}

// The default connection's row of a replica status result: SHOW SLAVE
// STATUS has one row at most; MariaDB's SHOW ALL SLAVES STATUS has one per
// connection, the default one named ''.
std::optional<std::size_t> default_connection_row(const Rows& rows) {
  if (rows.rows.empty()) return std::nullopt;
  auto name = std::find(rows.columns.begin(), rows.columns.end(), "Connection_name");
  if (name == rows.columns.end()) return 0;
  const auto column = static_cast<std::size_t>(name - rows.columns.begin());
  for (std::size_t i = 0; i < rows.rows.size(); ++i)
    if (column < rows.rows[i].size() && rows.rows[i][column].value_or("").empty()) return i;
  return std::nullopt;
}

}  // namespace

ServerObservation check_server(SqlSession& session, const SqlEndpoint& endpoint, MonoTime now,
                               const ServerObservation& previous, bool refresh_inventory) {
  ServerObservation obs;
  obs.checked = true;
  obs.checked_at = now;
  auto fail = [&](Error error) {
    obs.reachable = false;
    obs.error = std::move(error);
    // Keep what we knew about the server: the failover needs its last GTIDs.
    obs.version = previous.version;
    obs.flavor = previous.flavor;
    obs.variables = previous.variables;
    obs.gtid_executed = previous.gtid_executed;  // last known: what a failover could lose
    obs.status = previous.status;  // last known, e.g. whether semi-sync was on
    obs.server_id = previous.server_id;
    session.close();  // next check reconnects
    return obs;
  };
  bool fresh = !session.connected();
  if (fresh)
    if (auto r = session.connect(endpoint); !r) return fail(r.error());

  // Version and settings: on a new connection (the server may have been
  // upgraded or restarted) and every few cycles; otherwise carried over.
  if (fresh || refresh_inventory || !previous.flavor) {
    auto version = scalar_text(session, Flavor::version_sql());
    if (!version) return fail(version.error().with_context("reading the version"));
    auto flavor = Flavor::from_version(*version);
    if (!flavor) return fail(flavor.error());
    obs.version = *version;
    obs.flavor = *flavor;
    auto vars = name_value_rows(session, Flavor::inventory_variables_sql(), true);
    if (!vars) return fail(vars.error().with_context("reading server variables"));
    obs.variables = std::move(*vars);
    obs.inventory_at = now;
  } else {
    obs.version = previous.version;
    obs.flavor = previous.flavor;
    obs.variables = previous.variables;
    obs.inventory_at = previous.inventory_at;
  }
  obs.server_id = static_cast<std::uint32_t>(std::strtoul(obs.variable("server_id").c_str(), nullptr, 10));
  obs.hostname = obs.variable("hostname");

  // read_only changes at a switchover: read it every cycle, with the GTIDs,
  // in one round trip (at 1000 clusters every query per check counts).
  auto now_state = session.query(obs.flavor->read_only_and_gtids_sql());
  if (!now_state) return fail(now_state.error().with_context("reading read_only and GTID positions"));
  if (now_state->rows.empty() || now_state->rows[0].size() < 2 || !now_state->rows[0][0])
    return fail(make_error(Errc::parse, "reading read_only and GTID positions: the server returned no row"));
  const auto& row = now_state->rows[0];
  obs.read_only = *row[0] != "0";
  obs.gtid_executed = row[1].value_or("");
  if (obs.flavor->kind() == FlavorKind::mariadb && row.size() > 2) obs.gtid_slave_pos = row[2].value_or("");

  auto status = session.query(obs.flavor->monitor_replica_status_sql());
  if (!status) return fail(status.error().with_context("reading replica status"));
  std::optional<std::string> heartbeats;
  if (auto row = default_connection_row(*status)) {
    auto columns = status->row_map(*row);
    auto parsed = parse_replica_status(columns);
    if (!parsed) return fail(parsed.error().with_context("parsing replica status"));
    obs.replica = std::move(*parsed);
    if (auto it = columns.find("Slave_received_heartbeats"); it != columns.end() && it->second) heartbeats = it->second;
  }

  // The counters, by SHOW GLOBAL STATUS, which sums every connection's
  // counters and so costs more the more clients the server has. A server
  // that replicates from nobody (the master) reads them every cycle: its
  // semi-sync state is what a failover's lost-writes judgment rests on. A
  // replica reads them with the settings; its heartbeat count, which the
  // failure detector watches every cycle, comes from its replica status row
  // on MariaDB. Not SHOW SLAVE HOSTS: it can hang for as long as a
  // reconnecting replica's dump thread waits for its predecessor
  // (read_connected_replicas).
  const bool replicates = obs.replica && !obs.replica->master_host.empty();
  if (!replicates || fresh || refresh_inventory || previous.status.empty()) {
    auto counters = name_value_rows(session, Flavor::health_status_sql(), false);
    if (!counters) return fail(counters.error().with_context("reading status counters"));
    obs.status = std::move(*counters);
  } else {
    obs.status = previous.status;
  }
  if (heartbeats) obs.status["Slave_received_heartbeats"] = *heartbeats;
  obs.reachable = true;
  return obs;
}

Result<std::map<std::uint32_t, std::string>> read_connected_replicas(SqlSession& session, const Flavor& flavor) {
  auto hosts = session.query(flavor.replica_hosts_sql());
  if (!hosts) return hosts.error().with_context("reading connected replicas");
  std::map<std::uint32_t, std::string> out;
  for (std::size_t i = 0; i < hosts->rows.size(); ++i) {
    auto row = hosts->row_map(i);
    auto value = [&](const char* key) { auto it = row.find(key); return it != row.end() && it->second ? *it->second : std::string(); };
    auto id = static_cast<std::uint32_t>(std::strtoul(value("Server_id").c_str(), nullptr, 10));
    std::string host = value("Host");
    out[id] = host.empty() ? std::string() : host + ":" + value("Port");
  }
  return out;
}

bool ip_output_has_address(std::string_view ip_output, std::string_view cidr_or_address) {
  std::string_view address = cidr_or_address.substr(0, cidr_or_address.find('/'));
  // `ip -o addr show` lines: "2: eth0    inet 10.0.0.5/24 brd ... scope global eth0"
  std::size_t pos = 0;
  while ((pos = ip_output.find("inet ", pos)) != std::string_view::npos) {
    pos += 5;
    std::size_t end = ip_output.find_first_of("/ ", pos);
    if (ip_output.substr(pos, end - pos) == address) return true;
  }
  return false;
}

}  // namespace mha
