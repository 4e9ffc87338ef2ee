// The evaluation's shared part: what it derives from the probes, and the
// order the rules run in (see evaluation.h).

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

#include <cctype>

namespace mha {
namespace checks_detail {

bool is_on(std::string_view value) {
  std::string v(value);
  for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "ON" || v == "1" || v == "YES" || v == "TRUE" || v == "FORCE" || v == "FORCE_PLUS_PERMANENT";
}

bool is_replica(const ServerObservation& obs) { return obs.replica && !obs.replica->master_host.empty(); }

bool same_endpoint(const ServerConfig& server, std::string_view host, std::uint16_t port) {
  return port == server.port && (host == server.host || host == server.ip);
}

std::string endpoint_text(const ServerConfig& server) { return fmt::format("{}:{}", server.host, server.port); }

std::pair<std::string, std::string> first_variable(const ServerObservation& obs,
                                                   std::initializer_list<std::string_view> names) {
  for (auto name : names)
    if (auto it = obs.variables.find(std::string(name)); it != obs.variables.end()) return *it;
  return {};
}

std::string first_status(const ServerObservation& obs, std::initializer_list<std::string_view> names) {
  for (auto name : names)
    if (auto it = obs.status.find(std::string(name)); it != obs.status.end()) return it->second;
  return {};
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  return fmt::format("{}", fmt::join(items, separator));
}

std::string quoted_names(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back("'" + n + "'");
  return join(q);
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

Evaluation::Evaluation(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes) : m_cluster(cluster) {
  assert(cluster.servers.size() == probes.size());
  std::vector<ServerObservation> observations;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    Server s;
    s.config = &cluster.servers[i];
    s.probe = &probes[i];
    s.reachable = probes[i].obs.reachable;
    s.flavor = probes[i].obs.flavor;
    s.replica = s.reachable && is_replica(probes[i].obs);
    if (s.replica)
      for (std::size_t j = 0; j < cluster.servers.size(); ++j)
        if (same_endpoint(cluster.servers[j], probes[i].obs.replica->master_host,
                          probes[i].obs.replica->master_port))
          s.source = j;
    if (s.reachable && s.has_variables()) {
      s.log_bin_off = !is_on(probes[i].obs.variable("log_bin"));
      auto [name, value] = first_variable(probes[i].obs, {"log_replica_updates", "log_slave_updates"});
      s.log_slave_updates_off = !name.empty() && !is_on(value);
    }
    m_servers.push_back(s);
    observations.push_back(probes[i].obs);
  }
  m_master = find_master(cluster, observations, std::nullopt);
  m_repl_user = cluster.repl_user;
  if (m_repl_user.empty())
    for (const auto& s : m_servers)
      if (s.replica && !s.obs().replica->master_user.empty()) {
        m_repl_user = s.obs().replica->master_user;
        break;
      }
  if (m_repl_user.empty()) m_repl_user = "repl";
}

std::vector<CheckRow> Evaluation::run() {
  compute_errant();
  reachable();
  tls();
  version();
  master();
  single_writer();
  replicates_from_master();
  replication_threads();
  replication_tls();
  replication_lag();
  gtid_mode();
  gtid_positioning();
  errant_gtids();
  read_only();
  log_bin();
  log_slave_updates();
  binlog_format();
  replication_filters();
  binlog_filters();
  server_id();
  gtid_strict_mode();
  semi_sync();
  net_timeout();
  repl_privilege();
  admin_write_privilege();
  candidates();
  ssh();
  binlog_dir();
  binlog_tool();
  remote_workdir();
  return std::move(m_rows);
}

}  // namespace checks_detail

std::vector<CheckRow> evaluate_checks(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes) {
  return checks_detail::Evaluation(cluster, probes).run();
}

}  // namespace mha
