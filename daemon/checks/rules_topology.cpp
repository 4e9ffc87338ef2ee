// Rules about the cluster as a whole and each server's place in it: reachable,
// version, master, single_writer, candidates.

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

namespace mha::checks_detail {

namespace {

std::string fix_for_connect_error(const ServerConfig& server, const Error& error) {
  switch (error.code) {
    case Errc::auth:
      return fmt::format("check user and password in the cluster config, and that mhad's user may log in to '{}' "
                         "from the mhad host (CREATE USER/GRANT)",
                         server.name);
    case Errc::tls:
      return fmt::format("fix TLS to '{}' as the error says: ssl_mode, ssl_ca, ssl_cert, ssl_key in the cluster "
                         "config, or the server's own TLS settings",
                         server.name);
    case Errc::refused:
      return fmt::format("start the server on '{}', or fix host/port ({}) in the cluster config", server.name,
                         endpoint_text(server));
    case Errc::too_many_connections:
      return fmt::format("raise max_connections on '{}' or find what holds its connections", server.name);
    case Errc::not_supported:
      return "mhad supports MariaDB 10.0.9 and later and MySQL 5.7 and later";
    case Errc::timeout:
    case Errc::network:
      return fmt::format("check that {} is up and reachable from the mhad host (firewall, DNS, bind-address)",
                         endpoint_text(server));
    default:
      return fmt::format("check '{}' (its error log) and that mhad's user may run SELECT, SHOW SLAVE STATUS, "
                         "SHOW VARIABLES there",
                         server.name);
  }
}

}  // namespace

void Evaluation::reachable() {
  for (const auto& s : m_servers) {
    const auto& obs = s.obs();
    if (s.reachable) {
      ok("reachable", &s, fmt::format("connected to {}", endpoint_text(*s.config)));
      continue;
    }
    Error error = obs.error.value_or(Error{Errc::internal, "not checked"});
    bool tolerated = s.config->ignore_fail && !is_master(s);
    add("reachable", &s, tolerated ? CheckResult::warn : CheckResult::fail,
        fmt::format("cannot check {}: {}{}", endpoint_text(*s.config), error.message,
                    tolerated ? " (ignore_fail = true: a failover goes on without it)" : ""),
        fix_for_connect_error(*s.config, error));
  }
}

void Evaluation::version() {
  const Server* m = master_server();
  std::optional<Flavor> mf = m && m->flavor ? m->flavor : std::nullopt;
  for (auto& s : m_servers) {
    if (!s.reachable || !s.flavor) continue;
    std::string text = fmt::format("{} ({})", s.flavor->to_string(), s.obs().version);
    if (is_master(s) || !mf) {
      ok("version", &s, is_master(s) ? text + ", the master" : text);
      continue;
    }
    const auto& v = s.flavor->version();
    const auto& mv = mf->version();
    if (s.flavor->kind() != mf->kind()) {
      s.version_too_old = true;
      add("version", &s, CheckResult::fail,
          fmt::format("{}, the master is {}: GTID replication does not work between MariaDB and MySQL", text,
                      mf->to_string()),
          fmt::format("replace '{}' with a {} server", s.config->name, mf->is_mariadb() ? "MariaDB" : "MySQL"));
    } else if (std::pair(v.major, v.minor) < std::pair(mv.major, mv.minor)) {
      s.version_too_old = true;
      add("version", &s, CheckResult::fail,
          fmt::format("{}, older than the master's {}: replication from a newer major version is not supported",
                      text, mf->to_string()),
          fmt::format("upgrade '{}' to {}.{} or later (replicas first, the master last)", s.config->name,
                      mv.major, mv.minor));
    } else if (v < mv) {
      add("version", &s, CheckResult::warn,
          fmt::format("{}, older than the master's {}", text, mf->to_string()),
          fmt::format("upgrade '{}' to {} or later (replicas first, the master last)", s.config->name,
                      mv.to_string()));
    } else {
      ok("version", &s, text);
    }
  }
}

void Evaluation::master() {
  if (const Server* m = master_server()) {
    ok("master", nullptr, fmt::format("'{}' ({})", m->config->name, endpoint_text(*m->config)));
    return;
  }
  add("master", nullptr, CheckResult::fail,
      "no master found: no single writable server, and no replica replicates from a configured server",
      "make the master writable (SET GLOBAL read_only=OFF) and point every replica at it");
}

void Evaluation::single_writer() {
  std::vector<std::string> writable;
  for (const auto& s : m_servers)
    if (s.reachable && s.obs().read_only == false) writable.push_back(s.config->name);
  const Server* m = master_server();
  std::string master_name = m ? fmt::format("'{}'", m->config->name) : std::string("the master");
  if (writable.size() == 1) {
    ok("single_writer", nullptr, fmt::format("only '{}' is writable", writable.front()));
  } else if (writable.empty()) {
    add("single_writer", nullptr, CheckResult::fail,
        "no writable server: every reachable server has read_only=ON",
        fmt::format("SET GLOBAL read_only=OFF on {}", master_name));
  } else {
    add("single_writer", nullptr, CheckResult::fail,
        fmt::format("{} servers are writable: {}", writable.size(), quoted_names(writable)),
        fmt::format("SET GLOBAL read_only=ON (MySQL: super_read_only=ON) on every server but {}", master_name));
  }
}

void Evaluation::candidates() {
  const Server* m = master_server();
  if (!m) return;
  std::vector<std::string> eligible, excluded;
  for (const auto& s : m_servers) {
    if (&s == m) continue;
    std::string why;
    if (s.config->no_master)
      why = "no_master";
    else if (!s.reachable)
      why = "unreachable";
    else if (!s.replica)
      why = "not replicating";
    else if (!s.source || *s.source != *m_master)
      why = "replicates from another server";
    else if (s.obs().replica->last_sql_errno != 0)
      why = "SQL thread error";
    else if (s.log_bin_off)
      why = "log_bin OFF";
    else if (s.log_slave_updates_off && replica_count() > 1)
      why = "log_slave_updates OFF";
    else if (!s.errant.empty())
      why = "errant GTIDs";
    else if (s.version_too_old)
      why = "older version than the master";
    else if (s.probe->repl_user_can_replicate == false)
      why = "repl_user lacks REPLICATION SLAVE";
    if (why.empty())
      eligible.push_back(s.config->candidate_master ? fmt::format("'{}' (candidate_master)", s.config->name)
                                                    : fmt::format("'{}'", s.config->name));
    else
      excluded.push_back(fmt::format("'{}' {}", s.config->name, why));
  }
  if (!eligible.empty()) {
    ok("candidates", nullptr, "can become the master: " + join(eligible));
    return;
  }
  add("candidates", nullptr, CheckResult::fail,
      excluded.empty() ? std::string("no server can become the master: the cluster has no replica")
                       : "no server can become the master: " + join(excluded, "; "),
      "make at least one replica eligible: fix the failures above, or remove no_master from a healthy replica");
}

}  // namespace mha::checks_detail
