#include "daemon/checks/cluster_checks.h"

#include "common/gtid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdlib>
#include <map>

namespace mha {

std::string_view check_result_name(CheckResult result) {
  switch (result) {
    case CheckResult::ok: return "ok";
    case CheckResult::warn: return "warn";
    case CheckResult::fail: return "fail";
  }
  return "fail";
}

namespace {

// A replica whose opinion arrives later than this during failure detection
// is of little use: detection asks every 100 ms and decides within seconds.
constexpr int k_max_net_timeout_s = 10;

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

// The first of `names` the server has, as (name, value); ("", "") when none.
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

// MySQL 8.0.23+ spells replication SOURCE/REPLICA; the older forms are gone in 8.4.
bool source_keywords(const Flavor& flavor) { return flavor.is_mysql() && flavor.version().at_least(8, 0, 23); }

std::string gtid_positioning_clause(const Flavor& flavor) {
  if (flavor.is_mariadb()) return "MASTER_USE_GTID=slave_pos";
  return source_keywords(flavor) ? "SOURCE_AUTO_POSITION=1" : "MASTER_AUTO_POSITION=1";
}

std::string change_source_sql(const Flavor& flavor, std::string_view clauses) {
  return fmt::format("{} TO {}", source_keywords(flavor) ? "CHANGE REPLICATION SOURCE" : "CHANGE MASTER", clauses);
}

// Repointing statement with a placeholder password: fixes never carry secrets.
std::string repoint_sql(const Flavor& flavor, const ServerConfig& master, std::string_view repl_user) {
  std::string_view p = source_keywords(flavor) ? "SOURCE" : "MASTER";
  return fmt::format("{}; {}; {}", flavor.stop_replica_sql(),
                     change_source_sql(flavor, fmt::format("{p}_HOST='{}', {p}_PORT={}, {p}_USER='{}', "
                                                           "{p}_PASSWORD='...', {}",
                                                           master.host, master.port, repl_user,
                                                           gtid_positioning_clause(flavor), fmt::arg("p", p))),
                     flavor.start_replica_sql());
}

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ") {
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

std::string fix_for_connect_error(const ServerConfig& server, const Error& error) {
  switch (error.code) {
    case Errc::auth:
      return fmt::format("check user and password in the cluster config, and that mhad's user may log in to '{}' "
                         "from the mhad host (CREATE USER/GRANT)",
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
  Evaluation(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes) : m_cluster(cluster) {
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

  std::vector<CheckRow> run() {
    compute_errant();
    reachable();
    version();
    master();
    single_writer();
    replicates_from_master();
    replication_threads();
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

  // --- GTIDs --------------------------------------------------------------

  void compute_errant() {
    const Server* m = master_server();
    if (!m || !m->reachable || !m->flavor) return;
    for (auto& s : m_servers) {
      if (&s == m || !s.replica || !s.flavor || s.flavor->kind() != m->flavor->kind()) continue;
      const auto& obs = s.obs();
      if (s.flavor->is_mariadb()) {
        auto mine = GtidPosition::parse(obs.gtid_executed);
        auto theirs = GtidPosition::parse(m->obs().gtid_executed);
        if (!mine || !theirs) continue;
        auto io_pos = GtidPosition::parse(obs.replica->gtid_io_pos);
        auto slave_pos = GtidPosition::parse(obs.gtid_slave_pos);
        // The master was read at about the same time, not at the same
        // instant: what this replica received through replication after
        // that is not errant. A GTID counts as received when the replica's
        // received or applied position holds exactly it, or has passed its
        // seq and it was not written here (local writes carry this server's
        // server_id).
        auto received = [&](const MariadbGtid& g) {
          for (const auto* pos : {io_pos ? &*io_pos : nullptr, slave_pos ? &*slave_pos : nullptr}) {
            if (!pos) continue;
            auto r = pos->get(g.domain);
            if (r && (*r == g || (r->seq >= g.seq && g.server_id != obs.server_id))) return true;
          }
          return false;
        };
        GtidPosition errant;
        for (const auto& g : mine->errant_against(*theirs).gtids())
          if (!received(g)) errant.set(g);
        s.errant_checked = true;
        for (const auto& g : errant.gtids()) s.errant.push_back(g.to_string());
        s.errant_text = errant.to_string();
      } else {
        auto mine = GtidSet::parse(obs.gtid_executed);
        auto theirs = GtidSet::parse(m->obs().gtid_executed);
        auto retrieved = GtidSet::parse(obs.replica->retrieved_gtid_set);
        if (!mine || !theirs || !retrieved) continue;
        GtidSet errant = mine->subtract(*theirs).subtract(*retrieved);
        s.errant_checked = true;
        s.errant_text = errant.to_string();
        if (!errant.empty()) s.errant.push_back(s.errant_text);
      }
    }
  }

  // --- SQL checks -----------------------------------------------------------

  void reachable() {
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

  void version() {
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

  void master() {
    if (const Server* m = master_server()) {
      ok("master", nullptr, fmt::format("'{}' ({})", m->config->name, endpoint_text(*m->config)));
      return;
    }
    add("master", nullptr, CheckResult::fail,
        "no master found: no single writable server, and no replica replicates from a configured server",
        "make the master writable (SET GLOBAL read_only=OFF) and point every replica at it");
  }

  void single_writer() {
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

  void replicates_from_master() {
    const Server* m = master_server();
    if (!m) return;
    for (const auto& s : m_servers) {
      if (&s == m || !s.reachable || !s.flavor) continue;
      if (!s.replica) {
        add("replicates_from_master", &s, CheckResult::fail, "replicates from no server",
            fmt::format("on '{}': {}", s.config->name, repoint_sql(*s.flavor, *m->config, m_repl_user)));
        continue;
      }
      const auto& r = *s.obs().replica;
      if (s.source && *s.source == *m_master) {
        ok("replicates_from_master", &s, fmt::format("replicates from '{}' ({}:{})", m->config->name,
                                                     r.master_host, r.master_port));
        continue;
      }
      std::string from = s.source ? fmt::format("'{}' ({}:{})", m_servers[*s.source].config->name, r.master_host,
                                                r.master_port)
                                  : fmt::format("{}:{}, which is not in the configuration", r.master_host,
                                                r.master_port);
      if (s.source && m_cluster.multi_tier_slave) {
        ok("replicates_from_master", &s, fmt::format("replicates from {} (multi_tier_slave = true)", from));
        continue;
      }
      add("replicates_from_master", &s, CheckResult::fail,
          fmt::format("replicates from {}, the master is '{}' ({})", from, m->config->name,
                      endpoint_text(*m->config)),
          fmt::format("on '{}': {}", s.config->name, repoint_sql(*s.flavor, *m->config, m_repl_user)));
    }
  }

  void replication_threads() {
    for (const auto& s : m_servers) {
      if (!s.replica || !s.flavor) continue;
      const auto& r = *s.obs().replica;
      const Flavor& f = *s.flavor;
      auto yes_no = [](ReplicaStatus::ThreadState t) {
        return t == ReplicaStatus::ThreadState::yes ? "yes" : t == ReplicaStatus::ThreadState::no ? "no" : "connecting";
      };
      if (r.last_io_errno != 0 || r.last_sql_errno != 0) {
        std::vector<std::string> errors;
        if (r.last_io_errno != 0) errors.push_back(fmt::format("Last_IO_Error {}: {}", r.last_io_errno, r.last_io_error));
        if (r.last_sql_errno != 0)
          errors.push_back(fmt::format("Last_SQL_Error {}: {}", r.last_sql_errno, r.last_sql_error));
        std::string fix;
        if (r.last_sql_errno != 0)
          fix = fmt::format("fix the error (compare the failing row with the master), then {} on '{}'",
                            f.start_replica_sql(), s.config->name);
        else
          fix = fmt::format("fix the cause (repl_user's password and grants, the network to {}:{}), then {} on '{}'",
                            r.master_host, r.master_port, f.start_replica_sql(), s.config->name);
        add("replication_threads", &s, CheckResult::fail,
            fmt::format("IO thread {}, SQL thread {}; {}", yes_no(r.io_running), r.sql_running ? "yes" : "no",
                        join(errors, "; ")),
            std::move(fix));
      } else if (!r.sql_running || r.io_running == ReplicaStatus::ThreadState::no) {
        add("replication_threads", &s, CheckResult::fail,
            fmt::format("replication stopped: IO thread {}, SQL thread {}", yes_no(r.io_running),
                        r.sql_running ? "yes" : "no"),
            fmt::format("{} on '{}'", f.start_replica_sql(), s.config->name));
      } else if (r.io_running == ReplicaStatus::ThreadState::connecting) {
        add("replication_threads", &s, CheckResult::fail,
            fmt::format("IO thread is connecting to {}:{}", r.master_host, r.master_port),
            fmt::format("check that '{}' reaches {}:{} and that repl_user '{}' can log in there", s.config->name,
                        r.master_host, r.master_port, r.master_user.empty() ? m_repl_user : r.master_user));
      } else {
        ok("replication_threads", &s, "IO and SQL threads running");
      }
    }
  }

  void replication_lag() {
    const auto limit_s = std::chrono::duration_cast<std::chrono::seconds>(m_cluster.seconds_behind_master).count();
    for (const auto& s : m_servers) {
      if (!s.replica) continue;
      const auto& r = *s.obs().replica;
      if (!r.replicating()) continue;  // replication_threads says why
      if (r.seconds_behind && *r.seconds_behind > limit_s) {
        add("replication_lag", &s, CheckResult::warn,
            fmt::format("{}s behind its master, over seconds_behind_master ({}s)", *r.seconds_behind, limit_s),
            fmt::format("find what slows '{}' (long transactions, tables without a primary key, disk); a failover "
                        "waits for it to catch up",
                        s.config->name));
      } else if (r.sql_delay > 0 && is_candidate(s)) {
        add("replication_lag", &s, CheckResult::warn,
            fmt::format("delayed replica (SQL_Delay={}s) that may be chosen as the new master", r.sql_delay),
            fmt::format("set no_master = true for '{}' in the cluster config", s.config->name));
      } else {
        ok("replication_lag", &s,
           r.seconds_behind ? fmt::format("{}s behind its master", *r.seconds_behind) : std::string("lag unknown"));
      }
    }
  }

  void gtid_mode() {
    for (const auto& s : m_servers) {
      if (!s.reachable || !s.flavor || !s.flavor->is_mysql() || !s.has_variables()) continue;
      std::string mode = s.obs().variable("gtid_mode");
      if (is_on(mode)) {
        ok("gtid_mode", &s, "gtid_mode ON");
      } else {
        add("gtid_mode", &s, CheckResult::fail,
            fmt::format("gtid_mode is {}: mhad fails over by GTID only", mode.empty() ? "unknown" : mode),
            "enable GTIDs on every server: enforce_gtid_consistency=ON, then gtid_mode OFF_PERMISSIVE, "
            "ON_PERMISSIVE, ON (one step at a time, and in my.cnf)");
      }
    }
  }

  void gtid_positioning() {
    for (const auto& s : m_servers) {
      if (!s.replica || !s.flavor) continue;
      const auto& r = *s.obs().replica;
      const Flavor& f = *s.flavor;
      if (r.auto_position) {
        ok("gtid_positioning", &s,
           f.is_mariadb() ? (r.using_gtid == ReplicaStatus::UsingGtid::current_pos ? "Using_Gtid=Current_Pos"
                                                                                     : "Using_Gtid=Slave_Pos")
                          : "Auto_Position=1");
        continue;
      }
      add("gtid_positioning", &s, CheckResult::fail,
          f.is_mariadb() ? "Using_Gtid=No: replicates by binlog file and position"
                         : "Auto_Position=0: replicates by binlog file and position",
          fmt::format("on '{}': {}; {}; {}", s.config->name, f.stop_replica_sql(),
                      change_source_sql(f, gtid_positioning_clause(f)), f.start_replica_sql()));
    }
  }

  void errant_gtids() {
    const Server* m = master_server();
    for (const auto& s : m_servers) {
      if (!s.errant_checked) continue;
      if (s.errant.empty()) {
        ok("errant_gtids", &s, "none");
        continue;
      }
      std::string fix;
      if (s.flavor->is_mariadb()) {
        // MariaDB does not binlog an empty transaction, and in strict mode the
        // replica must not receive its own GTID back: mark it as applied on
        // the replica first, then give the master a binlogged no-op with that
        // GTID (DROP TABLE IF EXISTS of a table that does not exist is
        // logged). Verified on MariaDB 10.11 in the sandbox.
        std::vector<std::string> statements;
        for (const auto& text : s.errant)
          if (auto g = MariadbGtid::parse(text))
            statements.push_back(fmt::format("SET SESSION gtid_domain_id={}, server_id={}, gtid_seq_no={}; "
                                             "DROP TABLE IF EXISTS mysql.mhad_errant_placeholder",
                                             g->domain, g->server_id, g->seq));
        fix = fmt::format("if those writes are harmless (or also done on the master): on '{0}' STOP SLAVE; SET GLOBAL "
                          "gtid_slave_pos=@@gtid_binlog_pos; then on '{1}' {2}; then on '{0}' START SLAVE; "
                          "otherwise rebuild '{0}' from the master",
                          s.config->name, m->config->name, join(statements, "; "));
      } else {
        fix = fmt::format("if those writes are harmless (or also done on the master), inject them on '{}' as empty "
                          "transactions: SET GTID_NEXT='<uuid:n>'; BEGIN; COMMIT; SET GTID_NEXT='AUTOMATIC' for each "
                          "of them; otherwise rebuild '{}' from the master",
                          m->config->name, s.config->name);
      }
      add("errant_gtids", &s, CheckResult::fail,
          fmt::format("transactions the master '{}' never had: {}", m->config->name, s.errant_text), fix);
    }
  }

  void read_only() {
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

  void log_bin() {
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

  void log_slave_updates() {
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

  void binlog_format() {
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

  void replication_filters() {
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

  void binlog_filters() {
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

  void server_id() {
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

  void gtid_strict_mode() {
    for (const auto& s : m_servers) {
      if (!s.reachable || !s.flavor || !s.flavor->is_mariadb() || !s.has_variables()) continue;
      if (is_on(s.obs().variable("gtid_strict_mode"))) {
        ok("gtid_strict_mode", &s, "gtid_strict_mode ON");
        continue;
      }
      add("gtid_strict_mode", &s, CheckResult::warn,
          "gtid_strict_mode is OFF: an out-of-order GTID (a write on a replica) is accepted silently and found only "
          "at failover",
          fmt::format("SET GLOBAL gtid_strict_mode=ON on '{}' (and gtid_strict_mode=ON in my.cnf)", s.config->name));
    }
  }

  void semi_sync() {
    const Server* m = master_server();
    if (!m || !m->reachable || !m->flavor || !m->has_variables()) return;
    const auto& obs = m->obs();
    auto [enabled_name, enabled] =
        first_variable(obs, {"rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"});
    bool source_names = enabled_name == "rpl_semi_sync_source_enabled";
    const std::string master_var = source_names ? "rpl_semi_sync_source_enabled" : "rpl_semi_sync_master_enabled";
    const std::string replica_var = source_names ? "rpl_semi_sync_replica_enabled" : "rpl_semi_sync_slave_enabled";
    const std::string lost = "acknowledged writes may be lost when the master's host dies";
    bool master_on = !enabled_name.empty() && is_on(enabled);
    if (!master_on) {
      std::string fix =
          m->flavor->is_mariadb()
              ? fmt::format("SET GLOBAL {}=ON on '{}' and {}=ON on the replicas (and in my.cnf)", master_var,
                            m->config->name, replica_var)
              : enabled_name.empty()
                    ? fmt::format("on '{}': INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so' "
                                  "(before 8.0.26: rpl_semi_sync_master, semisync_master.so), enable it, and the "
                                  "replica plugin on the replicas",
                                  m->config->name)
                    : fmt::format("SET GLOBAL {}=ON on '{}' and {}=ON on the replicas (and in my.cnf)", master_var,
                                  m->config->name, replica_var);
      add("semi_sync", m, CheckResult::warn,
          fmt::format("semi-synchronous replication is {}: {}", enabled_name.empty() ? "not installed" : "OFF", lost),
          std::move(fix));
      return;  // the replicas' side matters only once the master's is on
    }
    std::string status = first_status(obs, {"Rpl_semi_sync_source_status", "Rpl_semi_sync_master_status"});
    std::string clients_text = first_status(obs, {"Rpl_semi_sync_source_clients", "Rpl_semi_sync_master_clients"});
    long clients = std::strtol(clients_text.c_str(), nullptr, 10);
    std::string restart_io = fmt::format("{}; {}", m->flavor->stop_io_thread_sql(), m->flavor->start_io_thread_sql());
    if (!is_on(status) || clients < 1) {
      add("semi_sync", m, CheckResult::warn,
          is_on(status) ? fmt::format("semi-sync is enabled but no replica acknowledges (0 clients): {}", lost)
                        : fmt::format("semi-sync is enabled but inactive (status OFF: it fell back to asynchronous "
                                      "replication): {}",
                                      lost),
          fmt::format("set {}=ON on the replicas (and in my.cnf), then restart their IO threads: {}", replica_var,
                      restart_io));
    } else {
      ok("semi_sync", m, fmt::format("active, {} replica{} acknowledge{}", clients, clients == 1 ? "" : "s",
                                     clients == 1 ? "s" : ""));
    }
    for (const auto& s : m_servers) {
      if (&s == m || !s.replica || !s.has_variables() || !s.flavor) continue;
      auto [rname, rvalue] = first_variable(s.obs(), {"rpl_semi_sync_replica_enabled", "rpl_semi_sync_slave_enabled"});
      auto [mname, mvalue] = first_variable(s.obs(), {"rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"});
      std::vector<std::string> problems, fixes;
      std::string r_var = rname.empty() ? replica_var : rname;
      std::string m_var = mname.empty() ? master_var : mname;
      if (rname.empty() || !is_on(rvalue)) {
        problems.push_back(fmt::format("{} is {}: it never acknowledges writes", r_var, rname.empty() ? "missing" : "OFF"));
        fixes.push_back(fmt::format("SET GLOBAL {}=ON, then {}", r_var,
                                    fmt::format("{}; {}", s.flavor->stop_io_thread_sql(), s.flavor->start_io_thread_sql())));
      }
      if (is_candidate(s) && (mname.empty() || !is_on(mvalue))) {
        problems.push_back(fmt::format("{} is {}: as the new master it would replicate asynchronously", m_var,
                                       mname.empty() ? "missing" : "OFF"));
        fixes.push_back(fmt::format("SET GLOBAL {}=ON (it only acts while '{}' is master)", m_var, s.config->name));
      }
      if (problems.empty())
        ok("semi_sync", &s, is_candidate(s) ? "replica and master sides enabled" : "replica side enabled");
      else
        add("semi_sync", &s, CheckResult::warn, join(problems, "; "),
            fmt::format("on '{}': {} (and in my.cnf)", s.config->name, join(fixes, "; ")));
    }
  }

  void net_timeout() {
    for (const auto& s : m_servers) {
      if (!s.replica || !s.has_variables() || !s.flavor) continue;
      auto [name, value] = first_variable(s.obs(), {"replica_net_timeout", "slave_net_timeout"});
      if (name.empty()) continue;
      long seconds = std::strtol(value.c_str(), nullptr, 10);
      if (seconds <= k_max_net_timeout_s) {
        ok("slave_net_timeout", &s, fmt::format("{} {}s", name, seconds));
        continue;
      }
      const Flavor& f = *s.flavor;
      std::string heartbeat = change_source_sql(
          f, source_keywords(f) ? "SOURCE_HEARTBEAT_PERIOD=2" : "MASTER_HEARTBEAT_PERIOD=2");
      add("slave_net_timeout", &s, CheckResult::warn,
          fmt::format("{} is {}s: '{}' notices a dead or frozen master only after {}s, so its opinion comes late "
                      "when mhad asks whether the master is dead",
                      name, seconds, s.config->name, seconds),
          fmt::format("on '{}': SET GLOBAL {}=4 (and in my.cnf); {}; {}; {}", s.config->name, name,
                      f.stop_replica_sql(), heartbeat, f.start_replica_sql()));
    }
  }

  // mhad's user applies the events salvaged from a dead master's binlog to
  // the new master while it is still read_only: without the privilege to
  // write there, that failover stops (needs_operator) instead of finishing.
  void admin_write_privilege() {
    const Server* m = master_server();
    for (const auto& s : m_servers) {
      if (!s.reachable || &s == m || !is_candidate(s) || !s.probe->obs.flavor) continue;
      const auto& p = *s.probe;
      const auto wanted = p.obs.flavor->write_while_read_only_privileges();
      if (!p.own_privileges) {
        add("admin_write_privilege", &s, CheckResult::warn,
            fmt::format("could not read mhad's own grants: {}", p.own_grants_error),
            fmt::format("check by hand on '{}': SHOW GRANTS FOR '{}'@'<mhad host>' must include one of {}",
                        s.config->name, m_cluster.user, join(wanted, " / ")));
        continue;
      }
      std::string held;
      for (const auto& w : wanted)
        if (p.own_privileges->count(w)) held = w;
      if (!held.empty()) {
        ok("admin_write_privilege", &s, fmt::format("mhad's user has {}: it can apply salvaged events while '{}' is "
                                                    "still read_only",
                                                    held, s.config->name));
        continue;
      }
      add("admin_write_privilege", &s, CheckResult::fail,
          fmt::format("mhad's user '{}' has none of {} on '{}': events salvaged from a dead master cannot be applied "
                      "to it before promotion, and such a failover stops for an operator",
                      m_cluster.user, join(wanted, " / "), s.config->name),
          fmt::format("on the master: GRANT {} ON *.* TO '{}'@'<mhad host>' (it replicates to '{}')", wanted.back(),
                      m_cluster.user, s.config->name));
    }
  }

  void repl_privilege() {
    const Server* m = master_server();
    for (const auto& s : m_servers) {
      if (!s.reachable || &s == m || !is_candidate(s)) continue;
      const auto& p = *s.probe;
      std::string user = p.repl_user.empty() ? m_repl_user : p.repl_user;
      if (p.repl_user_can_replicate == true) {
        ok("repl_privilege", &s, fmt::format("'{}' has REPLICATION SLAVE", user));
      } else if (p.repl_user_can_replicate == false) {
        add("repl_privilege", &s, CheckResult::fail,
            fmt::format("'{}' lacks REPLICATION SLAVE on '{}': once it is the master, the replicas cannot log in",
                        user, s.config->name),
            fmt::format("on the master: GRANT REPLICATION SLAVE ON *.* TO '{}'@'<replica hosts>' (CREATE USER first "
                        "if missing); the grant replicates to '{}'",
                        user, s.config->name));
      } else if (p.repl_user.empty()) {
        add("repl_privilege", &s, CheckResult::warn,
            fmt::format("could not check: {}",
                        p.repl_grants_detail.empty() ? "repl_user is not set and the server is not a replica"
                                                     : p.repl_grants_detail),
            "set repl_user in the cluster config");
      } else {
        add("repl_privilege", &s, CheckResult::warn, fmt::format("could not check '{}': {}", user, p.repl_grants_detail),
            fmt::format("let mhad's user read mysql.user (GRANT SELECT ON mysql.user TO it), or check by hand: SHOW "
                        "GRANTS FOR '{}'@'<host>' on '{}'",
                        user, s.config->name));
      }
    }
  }

  void candidates() {
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

  // --- SSH checks -----------------------------------------------------------

  void ssh() {
    for (const auto& s : m_servers) {
      const auto& h = s.probe->host;
      const auto& c = *s.config;
      std::string ssh_host = c.ssh_host.empty() ? c.host : c.ssh_host;
      std::string login = c.ssh_user.empty() ? ssh_host : fmt::format("{}@{}", c.ssh_user, ssh_host);
      std::string target = fmt::format("{}:{}", login, c.ssh_port);
      if (!h.checked) {
        if (c.skip_init_ssh_check) ok("ssh", &s, "not checked (skip_init_ssh_check = true)");
        continue;
      }
      if (h.ssh_ok) {
        ok("ssh", &s, "ssh " + target);
        continue;
      }
      add("ssh", &s, CheckResult::fail, fmt::format("ssh {}: {}", target, h.ssh_error),
          fmt::format("let mhad log in without a password: check ssh_user ('{}'), ssh_key ('{}') and ssh_port ({}) "
                      "for '{}' (try: ssh{} -p {} {} true)",
                      c.ssh_user, c.ssh_key.empty() ? "~/.ssh default" : c.ssh_key, c.ssh_port, c.name,
                      c.ssh_key.empty() ? "" : " -i " + c.ssh_key, c.ssh_port, login));
    }
  }

  void binlog_dir() {
    for (const auto& s : m_servers) {
      const auto& h = s.probe->host;
      // The probe looks at every server that replicates from nobody; only
      // the master's binlogs matter to a failover.
      if (!h.binlog_dir_readable || (master_server() && !is_master(s))) continue;
      if (*h.binlog_dir_readable) {
        ok("binlog_dir", &s, h.binlog_dir_detail);
        continue;
      }
      const auto& dirs = s.config->master_binlog_dir;
      std::string fix;
      if (!h.binlog_dir_expected.empty() &&
          std::find(dirs.begin(), dirs.end(), h.binlog_dir_expected) == dirs.end())
        fix = fmt::format("set master_binlog_dir = [\"{}\"] for '{}' (where log_bin_basename points)",
                          h.binlog_dir_expected, s.config->name);
      else if (!h.binlog_dir_found.empty())
        fix = fmt::format("let ssh_user '{}' read the binlogs in '{}' on '{}' (e.g. add it to the mysql group)",
                          s.config->ssh_user, h.binlog_dir_found, s.config->name);
      else
        fix = fmt::format("set master_binlog_dir for '{}' to the directory that holds its binlogs", s.config->name);
      add("binlog_dir", &s, CheckResult::fail, h.binlog_dir_detail, std::move(fix));
    }
  }

  void binlog_tool() {
    for (const auto& s : m_servers) {
      const auto& h = s.probe->host;
      if (!h.binlog_tool_present) continue;
      if (*h.binlog_tool_present) {
        ok("binlog_tool", &s, h.binlog_tool_detail.empty() ? h.binlog_tool : h.binlog_tool + " at " + h.binlog_tool_detail);
        continue;
      }
      bool mariadb = s.flavor && s.flavor->is_mariadb();
      std::string host = s.config->ssh_host.empty() ? s.config->host : s.config->ssh_host;
      add("binlog_tool", &s, CheckResult::fail,
          fmt::format("{} not found on {}{}{}", h.binlog_tool, host, h.binlog_tool_detail.empty() ? "" : ": ",
                      h.binlog_tool_detail),
          mariadb ? fmt::format("on {}: apt-get install mariadb-client (dnf install MariaDB-client), or set "
                                "client_bindir",
                                host)
                  : fmt::format("on {}: apt-get install mysql-client (dnf install mysql), or set client_bindir", host));
    }
  }

  void remote_workdir() {
    for (const auto& s : m_servers) {
      const auto& h = s.probe->host;
      if (!h.workdir_writable) continue;
      if (*h.workdir_writable) {
        ok("remote_workdir", &s, fmt::format("'{}' writable", s.config->remote_workdir));
        continue;
      }
      add("remote_workdir", &s, CheckResult::warn,
          fmt::format("cannot create a file in '{}': {}", s.config->remote_workdir, h.workdir_detail),
          fmt::format("create '{}' writable for ssh_user '{}' on '{}', or set remote_workdir", s.config->remote_workdir,
                      s.config->ssh_user, s.config->name));
    }
  }

  const ClusterConfig& m_cluster;
  std::vector<Server> m_servers;
  std::optional<std::size_t> m_master;
  std::string m_repl_user;  // for hints: the configured one, else a replica's Master_User
  std::vector<CheckRow> m_rows;
};

}  // namespace

std::vector<CheckRow> evaluate_checks(const ClusterConfig& cluster, const std::vector<ServerProbe>& probes) {
  return Evaluation(cluster, probes).run();
}

nlohmann::json check_report_json(const std::vector<CheckRow>& rows) {
  using nlohmann::json;
  json list = json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& row : rows) {
    ++counts[static_cast<int>(row.result)];
    list.push_back(json{{"check", row.check},
                        {"server", row.server},
                        {"result", check_result_name(row.result)},
                        {"detail", row.detail},
                        {"fix", row.fix}});
  }
  return json{{"rows", list}, {"summary", {{"ok", counts[0]}, {"warn", counts[1]}, {"fail", counts[2]}}}};
}

}  // namespace mha
