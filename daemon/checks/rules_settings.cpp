// Rules about server settings: read_only, log_bin, log_slave_updates,
// binlog_format, replication_filters, master_status and binlog_filters,
// server_id and server_uuid.

#include "daemon/checks/evaluation.h"

#include <fmt/format.h>

#include <map>

namespace mha::checks_detail {

namespace {

std::string describe_filters(const ReplicationFilters& f) {
  std::vector<std::string> parts;
  auto add = [&](const char* name, const std::vector<std::string>& list) {
    if (!list.empty()) parts.push_back(fmt::format("{}={}", name, join(sorted(list), ",")));
  };
  add("replicate_do_db", f.do_db);
  add("replicate_ignore_db", f.ignore_db);
  add("replicate_do_table", f.do_table);
  add("replicate_ignore_table", f.ignore_table);
  add("replicate_wild_do_table", f.wild_do_table);
  add("replicate_wild_ignore_table", f.wild_ignore_table);
  return parts.empty() ? "none" : join(parts, " ");
}

ReplicationFilters normalized(ReplicationFilters f) {
  for (auto* list : {&f.do_db, &f.ignore_db, &f.do_table, &f.ignore_table, &f.wild_do_table, &f.wild_ignore_table})
    *list = sorted(std::move(*list));
  return f;
}

}  // namespace

void Evaluation::read_only() {
  const Server* m = master_server();
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.flavor || &s == m) continue;
    if (!m && !s.replica) continue;
    const auto& obs = s.obs();
    if (s.flavor->is_mysql()) {
      std::string super = obs.variable("super_read_only");
      bool known = !super.empty();
      if (known ? is_on(super) : obs.read_only == true) {
        ok("read_only", &s, known ? "super_read_only ON" : "read_only ON");
        continue;
      }
      add("read_only", &s, CheckResult::fail,
          fmt::format("super_read_only is OFF (read_only {}): writes to '{}' would make it diverge from the master",
                      obs.read_only == true ? "ON" : "OFF", s.config->name),
          fmt::format("SET GLOBAL super_read_only=ON on '{}' (and super_read_only=ON in my.cnf)", s.config->name));
      continue;
    }
    if (obs.read_only == true) {
      ok("read_only", &s, "read_only ON");
      continue;
    }
    add("read_only", &s, CheckResult::fail,
        fmt::format("read_only is OFF: writes to '{}' would make it diverge from the master", s.config->name),
        fmt::format("SET GLOBAL read_only=ON on '{}' (and read_only=ON in my.cnf)", s.config->name));
  }
}

void Evaluation::log_bin() {
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.has_variables() || !is_candidate(s)) continue;
    if (!s.log_bin_off) {
      ok("log_bin", &s, "log_bin ON");
      continue;
    }
    add("log_bin", &s, CheckResult::fail,
        is_master(s) ? std::string("log_bin is OFF: replicas cannot replicate from the master")
                     : fmt::format("log_bin is OFF: '{}' cannot become the master", s.config->name),
        fmt::format("enable the binary log on '{}' (log_bin=mysql-bin in my.cnf) and restart it, or set "
                    "no_master = true for it",
                    s.config->name));
  }
}

void Evaluation::log_slave_updates() {
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.has_variables() || !is_candidate(s) || s.log_bin_off) continue;
    auto [name, value] = first_variable(s.obs(), {"log_replica_updates", "log_slave_updates"});
    if (name.empty()) continue;
    if (!s.log_slave_updates_off) {
      ok("log_slave_updates", &s, name + " ON");
      continue;
    }
    bool other_replicas = m_cluster.servers.size() >= 3;
    bool fail = !is_master(s) && other_replicas;
    add("log_slave_updates", &s, fail ? CheckResult::fail : CheckResult::warn,
        fail ? fmt::format("{} is OFF: as the new master '{}' could not serve the other replicas the "
                           "transactions they miss, so it is never promoted",
                           name, s.config->name)
             : fmt::format("{} is OFF: its binlog lacks replicated transactions; harmless with no other "
                           "replica, breaks a failover once one is added",
                           name),
        fmt::format("set {}=ON in my.cnf on '{}' and restart it", name, s.config->name));
  }
}

void Evaluation::binlog_format() {
  std::map<std::string, std::vector<std::string>> by_format;
  for (const auto& s : m_servers) {
    if (!s.reachable) continue;
    std::string format = s.obs().variable("binlog_format");
    if (!format.empty()) by_format[format].push_back(s.config->name);
  }
  if (by_format.empty()) return;
  if (by_format.size() == 1) {
    ok("binlog_format", nullptr, fmt::format("{} on every server", by_format.begin()->first));
    return;
  }
  std::vector<std::string> parts;
  for (const auto& [format, names] : by_format) parts.push_back(fmt::format("{} on {}", format, quoted_names(names)));
  const Server* m = master_server();
  std::string target = m && m->reachable && !m->obs().variable("binlog_format").empty()
                           ? m->obs().variable("binlog_format")
                           : std::string("ROW");
  add("binlog_format", nullptr, CheckResult::warn, "binlog_format differs: " + join(parts, "; "),
      fmt::format("set binlog_format={} on every server (in my.cnf; SET GLOBAL affects new sessions only)", target));
}

void Evaluation::replication_filters() {
  if (!m_cluster.check_repl_filter) {
    ok("replication_filters", nullptr, "not checked (check_repl_filter = false)");
    return;
  }
  std::vector<std::pair<ReplicationFilters, std::vector<std::string>>> groups;
  for (const auto& s : m_servers) {
    if (!s.replica) continue;
    auto f = normalized(s.obs().replica->filters);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == f; });
    if (it == groups.end())
      groups.push_back({f, {s.config->name}});
    else
      it->second.push_back(s.config->name);
  }
  if (groups.empty()) return;
  if (groups.size() == 1) {
    ok("replication_filters", nullptr, fmt::format("the same on every replica: {}", describe_filters(groups[0].first)));
    return;
  }
  std::vector<std::string> parts;
  for (const auto& [f, names] : groups) parts.push_back(fmt::format("{}: {}", quoted_names(names), describe_filters(f)));
  add("replication_filters", nullptr, CheckResult::fail, "replication filters differ: " + join(parts, "; "),
      "make the replicate_* filters the same on every replica (my.cnf), or remove them");
}

void Evaluation::binlog_filters() {
  // The master status is where Binlog_Do/Ignore_DB come from: say when it
  // could not be read instead of comparing without that server.
  for (const auto& s : m_servers)
    if (s.reachable && !s.log_bin_off && !s.probe->master_status_error.empty())
      add("master_status", &s, CheckResult::warn, "could not check: " + s.probe->master_status_error,
          fmt::format("grant mhad's user {} on '{}'",
                      s.flavor && s.flavor->is_mariadb() && s.flavor->version().at_least(10, 5, 2)
                          ? "BINLOG MONITOR"
                          : "REPLICATION CLIENT",
                      s.config->name));
  if (!m_cluster.check_repl_filter) return;
  using Pair = std::pair<std::vector<std::string>, std::vector<std::string>>;  // do, ignore
  std::vector<std::pair<Pair, std::vector<std::string>>> groups;
  for (const auto& s : m_servers) {
    if (!s.reachable || !s.probe->master_status) continue;
    Pair p{sorted(s.probe->master_status->binlog_do_db), sorted(s.probe->master_status->binlog_ignore_db)};
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == p; });
    if (it == groups.end())
      groups.push_back({p, {s.config->name}});
    else
      it->second.push_back(s.config->name);
  }
  if (groups.empty()) return;
  auto describe = [](const Pair& p) {
    if (p.first.empty() && p.second.empty()) return std::string("none");
    std::vector<std::string> parts;
    if (!p.first.empty()) parts.push_back("binlog_do_db=" + join(p.first, ","));
    if (!p.second.empty()) parts.push_back("binlog_ignore_db=" + join(p.second, ","));
    return join(parts, " ");
  };
  const std::string fix =
      "use the same binlog_do_db/binlog_ignore_db on every server, equal to the replicas' "
      "replicate_do_db/replicate_ignore_db, or none of them";
  if (groups.size() > 1) {
    std::vector<std::string> parts;
    for (const auto& [p, names] : groups) parts.push_back(fmt::format("{}: {}", quoted_names(names), describe(p)));
    add("binlog_filters", nullptr, CheckResult::fail, "binlog filters differ: " + join(parts, "; "), fix);
    return;
  }
  // MHA's rule: the binlog filters match the replicas' database filters,
  // so that a promoted replica writes to its binlog what the others apply.
  const Pair& binlog = groups[0].first;
  for (const auto& s : m_servers) {
    if (!s.replica) continue;
    const auto& f = s.obs().replica->filters;
    Pair replicate{sorted(f.do_db), sorted(f.ignore_db)};
    if (replicate != binlog) {
      add("binlog_filters", nullptr, CheckResult::fail,
          fmt::format("binlog filters ({}) differ from the replicas' database filters ({} on '{}')",
                      describe(binlog),
                      replicate.first.empty() && replicate.second.empty()
                          ? std::string("none")
                          : describe_filters(ReplicationFilters{replicate.first, replicate.second, {}, {}, {}, {}}),
                      s.config->name),
          fix);
      return;
    }
  }
  ok("binlog_filters", nullptr, fmt::format("the same on every server: {}", describe(binlog)));
}

void Evaluation::server_id() {
  std::map<std::uint32_t, std::vector<std::string>> by_id;
  std::map<std::string, std::vector<std::string>> by_uuid;
  for (const auto& s : m_servers) {
    if (!s.reachable) continue;
    by_id[s.obs().server_id].push_back(s.config->name);
    std::string uuid = s.obs().variable("server_uuid");
    if (!uuid.empty()) by_uuid[uuid].push_back(s.config->name);
  }
  if (by_id.empty()) return;
  std::vector<std::string> duplicates, all;
  for (const auto& [id, names] : by_id) {
    if (names.size() > 1) duplicates.push_back(fmt::format("{} on {}", id, quoted_names(names)));
    for (const auto& n : names) all.push_back(fmt::format("{} {}", n, id));
  }
  if (duplicates.empty())
    ok("server_id", nullptr, "unique: " + join(all));
  else
    add("server_id", nullptr, CheckResult::fail, "duplicate server_id: " + join(duplicates, "; "),
        "give every server its own server_id (SET GLOBAL server_id=N and in my.cnf), then restart replication");
  if (by_uuid.empty()) return;
  std::vector<std::string> uuid_duplicates;
  for (const auto& [uuid, names] : by_uuid)
    if (names.size() > 1) uuid_duplicates.push_back(fmt::format("{} on {}", uuid, quoted_names(names)));
  if (uuid_duplicates.empty())
    ok("server_uuid", nullptr, "unique");
  else
    add("server_uuid", nullptr, CheckResult::fail, "duplicate server_uuid: " + join(uuid_duplicates, "; "),
        "a cloned server keeps its origin's UUID: delete auto.cnf in its datadir and restart it");
}

}  // namespace mha::checks_detail
