// Internal to daemon/checks/: the evaluation behind evaluate_checks()
// (cluster_checks.h, which lists every rule), one object per call. Each rule
// is a member function adding rows; the rules are defined one family per
// file (rules_topology, rules_replication, rules_gtid, rules_settings,
// rules_privileges, rules_host) and run() calls them in the order of the
// rows. Pure, like cluster_checks.h: no I/O, no clock reads.
#pragma once

#include "daemon/checks/cluster_checks.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mha::checks_detail {

// ON, 1, YES, TRUE, FORCE, FORCE_PLUS_PERMANENT, in any case.
bool is_on(std::string_view value);
bool is_replica(const ServerObservation& obs);
bool same_endpoint(const ServerConfig& server, std::string_view host, std::uint16_t port);
std::string endpoint_text(const ServerConfig& server);  // "host:port"
// The first of `names` the server has, as (name, value); ("", "") when none.
std::pair<std::string, std::string> first_variable(const ServerObservation& obs,
                                                   std::initializer_list<std::string_view> names);
std::string first_status(const ServerObservation& obs, std::initializer_list<std::string_view> names);
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");
std::string quoted_names(const std::vector<std::string>& names);  // 'a', 'b'
std::vector<std::string> sorted(std::vector<std::string> items);

// What the evaluation works from, per configured server.
struct Server {
  const ServerConfig* config = nullptr;
  const ServerProbe* probe = nullptr;
  bool reachable = false;
  std::optional<Flavor> flavor;
  bool replica = false;
  std::optional<std::size_t> source;  // index of the configured server it replicates from
  bool log_bin_off = false;           // known to be OFF
  bool log_slave_updates_off = false;
  std::vector<std::string> errant;  // GTIDs, as text
  bool errant_checked = false;
  std::string errant_text;          // the errant set/position as the server prints it
  bool version_too_old = false;
  bool has_variables() const { return probe && !probe->obs.variables.empty(); }
  const ServerObservation& obs() const { return probe->obs; }
};

class Evaluation {
 public:
  Evaluation(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes);
  std::vector<CheckRow> run();

 private:
  void add(std::string check, const Server* server, CheckResult result, std::string detail, std::string fix = {}) {
    assert(result == CheckResult::ok || !fix.empty());
    m_rows.push_back(CheckRow{std::move(check), server ? server->config->name : std::string(), result,
                              std::move(detail), std::move(fix)});
  }
  void ok(std::string check, const Server* server, std::string detail) {
    add(std::move(check), server, CheckResult::ok, std::move(detail));
  }

  const Server* master_server() const { return m_master ? &m_servers[*m_master] : nullptr; }
  bool is_master(const Server& s) const { return master_server() == &s; }
  bool is_candidate(const Server& s) const { return !s.config->no_master; }
  std::size_t replica_count() const {
    return static_cast<std::size_t>(std::count_if(m_servers.begin(), m_servers.end(),
                                                  [](const Server& s) { return s.replica; }));
  }

  // rules_topology.cpp
  void reachable();
  void version();
  void master();
  void single_writer();
  void candidates();

  // rules_tls.cpp
  void tls();
  void replication_tls();

  // rules_replication.cpp
  void replicates_from_master();
  void replication_threads();
  void replication_lag();
  void semi_sync();
  void net_timeout();

  // rules_gtid.cpp
  void compute_errant();
  void gtid_mode();
  void gtid_positioning();
  void errant_gtids();
  void gtid_strict_mode();

  // rules_settings.cpp
  void read_only();
  void log_bin();
  void log_slave_updates();
  void binlog_format();
  void replication_filters();
  void binlog_filters();
  void server_id();

  // rules_privileges.cpp
  void repl_privilege();
  void admin_write_privilege();

  // rules_host.cpp
  void ssh();
  void binlog_dir();
  void binlog_tool();
  void remote_workdir();

  const ClusterConfig& m_cluster;
  std::vector<Server> m_servers;
  std::optional<std::size_t> m_master;
  std::string m_repl_user;  // for hints: the configured one, else a replica's Master_User
  std::vector<CheckRow> m_rows;
};

}  // namespace mha::checks_detail
