// The scripted multi-server fake: see fake_cluster.h.
#include "fakes/fake_cluster.h"

#include "common/gtid.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mha::test {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The first single-quoted literal after `key` (as Flavor writes them: no
// escapes needed for hosts, users and GTIDs in tests).
std::string quoted_after(const std::string& sql, const std::string& key) {
  auto at = sql.find(key);
  if (at == std::string::npos) return "";
  auto open = sql.find('\'', at);
  auto close = sql.find('\'', open + 1);
  return sql.substr(open + 1, close - open - 1);
}

std::string number_after(const std::string& sql, const std::string& key) {
  auto at = sql.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  auto end = sql.find_first_not_of("0123456789", at);
  return sql.substr(at, end - at);
}

Rows one(std::vector<std::string> columns, std::vector<SqlValue> values) {
  Rows rows;
  rows.columns = std::move(columns);
  rows.rows.push_back(std::move(values));
  return rows;
}

Rows name_values(const std::map<std::string, std::string>& values) {
  Rows rows;
  rows.columns = {"Variable_name", "Value"};
  for (const auto& [k, v] : values) rows.rows.push_back({k, v});
  return rows;
}

class FakeClusterSession final : public SqlSession {
 public:
  explicit FakeClusterSession(FakeCluster& cluster) : m_cluster(cluster) {}

  Result<void> connect(const SqlEndpoint& endpoint) override {
    std::lock_guard lock(m_cluster.mutex);
    const bool through_vip = !m_cluster.vip_host.empty() && endpoint.host == m_cluster.vip_host;
    if (through_vip && m_cluster.vip_holder.empty())
      return make_error(Errc::timeout, "connect to {}:{} timed out", endpoint.host, endpoint.port);
    for (std::size_t i = 0; i < m_cluster.servers.size(); ++i) {
      const FakeServer& s = m_cluster.servers[i];
      if (through_vip ? m_cluster.config.servers[i].name != m_cluster.vip_holder
                      : s.host != endpoint.host || s.port != endpoint.port)
        continue;
      if (!s.alive)
        return make_error(Errc::refused, "Can't connect to server on '{}' (111 \"Connection refused\")", s.host);
      if (s.connect_error) return *s.connect_error;
      m_index = i;
      m_connected = true;
      return {};
    }
    return make_error(Errc::network, "Unknown server host '{}'", endpoint.host);
  }
  bool connected() const override { return m_connected; }
  void close() override { m_connected = false; }
  Result<Rows> query(std::string_view sql) override {
    if (!m_connected) return make_error(Errc::network, "not connected");
    std::chrono::milliseconds hang{0};
    {
      std::lock_guard lock(m_cluster.mutex);
      const auto& server = m_cluster.servers[m_index];
      hang = server.hang;
      for (const auto& [prefix, wait] : server.hang_on)
        if (sql.substr(0, prefix.size()) == prefix) hang = wait;
    }
    if (hang.count() > 0) {
      std::this_thread::sleep_for(hang);
      m_connected = false;
      return make_error(Errc::timeout, "Lost connection to server during query (read timeout)");
    }
    std::lock_guard lock(m_cluster.mutex);
    auto r = m_cluster.run(m_index, std::string(sql));
    if (!r && r.error().code == Errc::network) m_connected = false;
    return r;
  }
  Result<void> execute(std::string_view sql) override {
    auto r = query(sql);
    if (!r) return r.error();
    return {};
  }
  int socket_fd() const override { return -1; }

 private:
  FakeCluster& m_cluster;
  std::size_t m_index = 0;
  bool m_connected = false;
};

class FakeShell final : public RemoteShell {
 public:
  FakeShell(FakeCluster& cluster, std::string host) : m_cluster(cluster), m_host(std::move(host)) {}

  Result<CommandResult> run(std::string_view command, std::chrono::milliseconds) override {
    std::chrono::milliseconds slow{0};
    {
      std::lock_guard lock(m_cluster.mutex);
      ++m_cluster.ssh_started[m_host];
      if (auto it = m_cluster.ssh_slow.find(m_host); it != m_cluster.ssh_slow.end()) slow = it->second;
    }
    if (slow.count() > 0) std::this_thread::sleep_for(slow);
    std::lock_guard lock(m_cluster.mutex);
    std::string cmd(command);
    m_cluster.shell_log.push_back(m_host + ": " + cmd);
    m_cluster.events.push_back("shell " + m_host + ": " + cmd);
    if (m_cluster.ssh_down.count(m_host)) return make_error(Errc::network, "ssh: connect to host {}: timed out", m_host);
    auto& pids = m_cluster.pids[m_host];
    CommandResult out;
    out.exit_status = 0;
    if (cmd.find("kill -9 ") != std::string::npos && cmd.find("kill -0 ") != std::string::npos) {
      // The kill-and-wait command (failover/kill_command.h): its pids
      // follow "kill -9 " up to " 2>&1".
      const auto from = cmd.find("kill -9 ") + 8;
      std::istringstream list(cmd.substr(from, cmd.find(" 2>&1", from) - from));
      for (int pid; list >> pid;) {
        if (m_cluster.unkillable.count(pid)) {
          out.exit_status = 3;
          out.out = fmt::format("still exists: {}\n", pid);
          break;
        }
        pids.erase(pid);
      }
    } else if (starts_with(cmd, "kill -9 ")) {
      int pid = std::stoi(cmd.substr(8));
      if (m_cluster.unkillable.count(pid)) {
        out.exit_status = 1;
        out.err = fmt::format("bash: line 1: kill: ({}) - Operation not permitted", pid);
      } else if (!pids.erase(pid)) {
        out.exit_status = 1;
        out.err = fmt::format("bash: line 1: kill: ({}) - No such process", pid);
      }
    } else if (cmd == "ip -o addr show" && m_cluster.config.vip) {
      // The monitor's VIP look (m_host is the server's name): the VIP is on
      // vip_holder's host.
      if (m_host == m_cluster.vip_holder)
        out.out = fmt::format("2: eth0    inet {} scope global eth0\n", m_cluster.config.vip->address);
    } else if (starts_with(cmd, "kill -0 ")) {
      int pid = std::stoi(cmd.substr(8));
      if (!pids.count(pid)) {
        out.exit_status = 1;
        out.err = fmt::format("bash: line 1: kill: ({}) - No such process", pid);
      }
    }
    return out;
  }
  void close() override {}

 private:
  FakeCluster& m_cluster;
  std::string m_host;
};

}  // namespace

bool FakeServer::mariadb() const { return version.find("MariaDB") != std::string::npos; }

FakeCluster::FakeCluster(FlavorKind flavor_kind, int replicas) : kind(flavor_kind) {
  config.name = "app1";
  config.user = "mhad";
  config.password = Secret("secret");
  config.repl_user = "repl";
  config.repl_password = Secret("replpass");
  std::vector<std::string> names = {"master"};
  for (int i = 1; i <= replicas; ++i) names.push_back(fmt::format("slave{}", i));
  for (std::size_t i = 0; i < names.size(); ++i) {
    ServerConfig c;
    c.name = names[i];
    c.host = fmt::format("192.168.3.{}", 74 - (i == 0 ? 0 : 2 + i));  // .74, .71, .70
    c.ip = c.host;
    c.ssh_host = c.host;
    c.candidate_master = names[i] == "slave1";
    config.servers.push_back(c);

    FakeServer s;
    s.name = c.name;
    s.host = c.host;
    s.port = c.port;
    s.version = kind == FlavorKind::mariadb ? "10.11.6-MariaDB-log" : "8.0.36";
    s.server_id = static_cast<std::uint32_t>(i + 1);
    s.variables = {{"server_id", std::to_string(i + 1)},
                   {"hostname", c.name},
                   {"log_bin", "ON"},
                   {"log_bin_basename", "/var/lib/mysql/mysql-bin"},
                   {kind == FlavorKind::mariadb ? "log_slave_updates" : "log_replica_updates", "ON"},
                   {"binlog_format", "ROW"}};
    s.status = {{kind == FlavorKind::mariadb ? "Rpl_semi_sync_master_status" : "Rpl_semi_sync_source_status", "ON"}};
    if (i == 0) {
      s.read_only = false;
      s.executed = gtids(120);
    } else {
      s.configured = true;
      s.master_host = config.servers[0].host;
      s.io = "Yes";
      s.sql_running = true;
      s.received = gtids(120);
      s.executed = gtids(120);
      s.slave_pos = kind == FlavorKind::mariadb ? gtids(120) : "";
      s.super_read_only = kind == FlavorKind::mysql;
    }
    servers.push_back(s);
  }
}

FakeServer& FakeCluster::server(const std::string& name) { return servers.at(index(name)); }

std::size_t FakeCluster::index(const std::string& name) const {
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i].name == name) return i;
  throw std::out_of_range("no fake server " + name);
}

std::string FakeCluster::gtids(int n) const {
  if (n <= 0) return "";
  return kind == FlavorKind::mariadb ? fmt::format("0-1-{}", n) : fmt::format("{}:1-{}", master_uuid, n);
}

void FakeCluster::set_position(const std::string& name, int received_n, int executed_n) {
  std::lock_guard lock(mutex);
  FakeServer& s = server(name);
  s.received = gtids(received_n);
  s.executed = gtids(executed_n);
  if (kind == FlavorKind::mariadb) s.slave_pos = gtids(executed_n);
}

void FakeCluster::kill(const std::string& name) {
  std::lock_guard lock(mutex);
  FakeServer& dead = server(name);
  dead.alive = false;
  for (auto& s : servers)
    if (s.configured && s.master_host == dead.host && s.master_port == dead.port && s.io == "Yes") {
      s.io = "Connecting";
      s.last_io_errno = 2003;
      s.last_io_error = fmt::format("error reconnecting to master 'repl@{}:3306' - retry-time: 60", dead.host);
    }
}

ServerObservation FakeCluster::last_seen(const std::string& name) {
  std::lock_guard lock(mutex);
  const FakeServer& s = server(name);
  ServerObservation obs;
  obs.checked = true;
  obs.reachable = false;
  obs.version = s.version;
  obs.flavor = *Flavor::from_version(s.version);
  obs.server_id = s.server_id;
  obs.read_only = s.read_only;
  obs.gtid_executed = s.executed;
  obs.variables = s.variables;
  obs.status = s.status;
  return obs;
}

std::vector<std::string> FakeCluster::actions(const std::string& name, const std::string& in_phase) {
  std::lock_guard lock(mutex);
  std::vector<std::string> out;
  for (const auto& e : server(name).log) {
    if (!in_phase.empty() && e.phase != in_phase) continue;
    if (starts_with(e.sql, "SELECT VERSION") || starts_with(e.sql, "SELECT @@") || starts_with(e.sql, "SHOW ") ||
        e.sql == Flavor::processlist_sql())
      continue;
    out.push_back(e.sql);
  }
  return out;
}

int FakeCluster::event_index(const std::string& prefix) {
  std::lock_guard lock(mutex);
  for (std::size_t i = 0; i < events.size(); ++i)
    if (starts_with(events[i], prefix)) return static_cast<int>(i);
  return -1;
}

std::unique_ptr<SqlSession> FakeCluster::make_sql() { return std::make_unique<FakeClusterSession>(*this); }

std::unique_ptr<RemoteShell> FakeCluster::make_shell(const ServerConfig& server) {
  return std::make_unique<FakeShell>(*this, server.name);
}

std::string FakeCluster::merge(const std::string& a, const std::string& b) const {
  if (kind == FlavorKind::mariadb) {
    GtidPosition out = *GtidPosition::parse(a);
    for (const auto& g : GtidPosition::parse(b)->gtids()) {
      auto mine = out.get(g.domain);
      if (!mine || g.seq > mine->seq) out.set(g);
    }
    return out.to_string();
  }
  return GtidSet::parse(a)->union_with(*GtidSet::parse(b)).to_string();
}

bool FakeCluster::includes(const std::string& a, const std::string& b) const {
  if (kind == FlavorKind::mariadb) return GtidPosition::parse(a)->includes(*GtidPosition::parse(b));
  return GtidSet::parse(a)->contains(*GtidSet::parse(b));
}

Result<Rows> FakeCluster::run(std::size_t index, const std::string& sql) {
  FakeServer& s = servers[index];
  s.log.push_back({phase, sql});
  if (!starts_with(sql, "SELECT VERSION") && !starts_with(sql, "SELECT @@") && !starts_with(sql, "SHOW ") &&
      sql != Flavor::processlist_sql())
    events.push_back(s.name + ": " + sql);
  for (const auto& prefix : s.die_on)
    if (starts_with(sql, prefix)) s.alive = false;
  if (!s.alive) return make_error(Errc::network, "Lost connection to server during query");
  for (const auto& [prefix, error] : s.fail)
    if (starts_with(sql, prefix)) return error;

  const bool maria = s.mariadb();
  const Flavor flavor = *Flavor::from_version(s.version);
  auto count = [&](const std::string& g) -> std::uint64_t {
    if (maria) {
      std::uint64_t n = 0;
      for (const auto& x : GtidPosition::parse(g)->gtids()) n += x.seq;
      return n;
    }
    return GtidSet::parse(g)->count();
  };
  auto apply_relay_log = [&] {
    s.executed = merge(s.executed, s.received);
    if (maria) s.slave_pos = merge(s.slave_pos, s.received);
  };
  auto source = [&]() -> FakeServer* {
    for (auto& other : servers)
      if (other.host == s.master_host && other.port == s.master_port && &other != &s) return &other;
    return nullptr;
  };
  auto start_io = [&] {
    FakeServer* from = source();
    if (from && from->alive) {
      s.io = "Yes";
      s.last_io_errno = 0;
      s.last_io_error.clear();
      s.received = merge(s.received, from->executed);
    } else {
      s.io = "Connecting";
      s.last_io_errno = 2003;
      s.last_io_error = fmt::format("error connecting to master '{}@{}:{}'", s.master_user, s.master_host, s.master_port);
    }
  };
  auto running_error = [&] {
    return make_error(Errc::sql, "This operation cannot be performed with a running {}; run STOP {} first",
                      maria ? "slave" : "replica", maria ? "SLAVE" : "REPLICA");
  };

  if (sql == "SELECT VERSION()") return one({"VERSION()"}, {s.version});
  if (sql == Flavor::inventory_variables_sql()) {
    auto vars = s.variables;
    vars["read_only"] = s.read_only ? "ON" : "OFF";
    return name_values(vars);
  }
  // A connected replica hears its live master: heartbeats count up at each
  // read (the failure detector takes that as "the master is alive"). MariaDB
  // shows them in SHOW GLOBAL STATUS and in SHOW ALL SLAVES STATUS.
  auto heartbeats = [&] {
    auto& beats = s.status["Slave_received_heartbeats"];
    if (FakeServer* from = source(); s.configured && s.io == "Yes" && from && from->alive)
      beats = std::to_string(beats.empty() ? 1 : std::stoll(beats) + 1);
    return beats.empty() ? std::string("0") : beats;
  };
  if (sql == Flavor::health_status_sql()) {
    heartbeats();
    return name_values(s.status);
  }
  if (sql == "SELECT 1") return one({"1"}, {"1"});
  if (sql == "SELECT @@server_id") return one({"@@server_id"}, {std::to_string(s.server_id)});
  if (sql == "SELECT @@GLOBAL.read_only") return one({"@@GLOBAL.read_only"}, {s.read_only ? "1" : "0"});
  if (sql == flavor.read_only_sql()) {
    if (maria) return one({"@@read_only"}, {s.read_only ? "1" : "0"});
    return one({"@@read_only", "@@super_read_only"}, {s.read_only ? "1" : "0", s.super_read_only ? "1" : "0"});
  }
  if (sql == flavor.read_only_and_gtids_sql()) {
    const std::string ro = s.read_only ? "1" : "0";
    if (maria)
      return one({"@@GLOBAL.read_only", "@@gtid_binlog_pos", "@@gtid_slave_pos", "@@gtid_current_pos"},
                 {ro, s.executed, s.slave_pos, merge(s.executed, s.slave_pos)});
    return one({"@@GLOBAL.read_only", "@@GLOBAL.gtid_executed"}, {ro, s.executed});
  }
  if (sql == flavor.gtid_executed_sql()) {
    if (maria)
      return one({"@@gtid_binlog_pos", "@@gtid_slave_pos", "@@gtid_current_pos"},
                 {s.executed, s.slave_pos, merge(s.executed, s.slave_pos)});
    return one({"@@GLOBAL.gtid_executed"}, {s.executed});
  }
  if (sql == flavor.replica_hosts_sql()) {
    Rows rows;
    rows.columns = {"Server_id", "Host", "Port", "Master_id"};
    for (const auto& [id, host] : s.replica_hosts)
      rows.rows.push_back({std::to_string(id), host, std::string("3306"), std::to_string(s.server_id)});
    return rows;
  }
  const bool all_connections = maria && sql == flavor.monitor_replica_status_sql();
  if (sql == flavor.replica_status_sql() || all_connections) {
    Rows rows;
    const std::uint64_t read_pos = 1000 + 100 * count(s.received);
    const std::uint64_t exec_pos = 1000 + 100 * count(s.executed);
    const SqlValue behind = s.sql_running && s.io == "Yes" ? SqlValue(std::to_string(s.seconds_behind)) : SqlValue();
    if (maria) {
      rows.columns = {"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Master_Log_File",
                      "Read_Master_Log_Pos", "Relay_Master_Log_File", "Slave_IO_Running", "Slave_SQL_Running",
                      "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
                      "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Exec_Master_Log_Pos",
                      "Relay_Log_Space", "Seconds_Behind_Master", "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno",
                      "Last_SQL_Error", "Master_Server_Id", "Using_Gtid", "Gtid_IO_Pos"};
    } else {
      rows.columns = {"Replica_IO_State", "Source_Host", "Source_User", "Source_Port", "Source_Log_File",
                      "Read_Source_Log_Pos", "Relay_Source_Log_File", "Replica_IO_Running", "Replica_SQL_Running",
                      "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
                      "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Exec_Source_Log_Pos",
                      "Relay_Log_Space", "Seconds_Behind_Source", "Last_IO_Errno", "Last_IO_Error", "Last_SQL_Errno",
                      "Last_SQL_Error", "Source_Server_Id", "Auto_Position", "Retrieved_Gtid_Set",
                      "Executed_Gtid_Set"};
    }
    if (!s.configured) return rows;
    std::vector<SqlValue> row = {s.io == "Yes" ? "Waiting for master to send event" : "",
                                 s.master_host, s.master_user, std::to_string(s.master_port), "mysql-bin.000012",
                                 std::to_string(read_pos), "mysql-bin.000012", s.io, s.sql_running ? "Yes" : "No",
                                 "", "", "", "", "", "", std::to_string(exec_pos), "4096", behind,
                                 std::to_string(s.last_io_errno), s.last_io_error, std::to_string(s.last_sql_errno),
                                 s.last_sql_error, "1"};
    if (maria) {
      row.push_back("Slave_Pos");
      row.push_back(s.received);
    } else {
      row.push_back("1");
      row.push_back(s.received);
      row.push_back(s.executed);
    }
    if (all_connections) {  // SHOW ALL SLAVES STATUS: the connection's name first, counters after
      rows.columns.insert(rows.columns.begin(), {"Connection_name", "Slave_SQL_State"});
      row.insert(row.begin(), {"", s.sql_running ? "Slave has read all relay log" : ""});
      rows.columns.push_back("Slave_received_heartbeats");
      row.push_back(heartbeats());
    }
    rows.rows.push_back(std::move(row));
    return rows;
  }

  // Replication control.
  if (sql == flavor.stop_io_thread_sql()) {
    s.io = "No";
    return Rows{};
  }
  if (sql == flavor.stop_sql_thread_sql()) {
    s.sql_running = false;
    return Rows{};
  }
  if (sql == flavor.stop_replica_sql()) {
    s.io = "No";
    s.sql_running = false;
    return Rows{};
  }
  if (sql == flavor.start_sql_thread_sql()) {
    if (!s.configured) return make_error(Errc::sql, "Misconfigured replica: no source");
    s.sql_running = true;
    s.last_sql_errno = 0;
    s.last_sql_error.clear();
    apply_relay_log();
    return Rows{};
  }
  if (sql == flavor.start_io_thread_sql()) {
    if (!s.configured) return make_error(Errc::sql, "Misconfigured replica: no source");
    start_io();
    return Rows{};
  }
  if (sql == flavor.start_replica_sql()) {
    if (!s.configured) return make_error(Errc::sql, "Misconfigured replica: no source");
    s.sql_running = true;
    start_io();
    apply_relay_log();
    return Rows{};
  }
  if (sql == flavor.reset_replica_all_sql()) {
    if (s.io != "No" || s.sql_running) return running_error();
    s.configured = false;
    s.master_host.clear();
    s.received.clear();
    return Rows{};
  }
  if (starts_with(sql, "CHANGE MASTER TO") || starts_with(sql, "CHANGE REPLICATION SOURCE TO")) {
    if (s.io != "No" || s.sql_running) return running_error();
    const std::string key = maria || starts_with(sql, "CHANGE MASTER") ? "MASTER_" : "SOURCE_";
    s.configured = true;
    s.master_host = quoted_after(sql, key + "HOST=");
    s.master_port = static_cast<std::uint16_t>(std::stoi(number_after(sql, key + "PORT=")));
    s.master_user = quoted_after(sql, key + "USER=");
    // Relay logs are purged; GTID positioning restarts from what was applied.
    s.received = maria ? s.slave_pos : "";
    s.last_io_errno = 0;
    s.last_io_error.clear();
    return Rows{};
  }
  if (sql == Flavor::processlist_sql()) {
    Rows rows;
    rows.columns = {"ID", "USER", "HOST", "DB", "COMMAND", "TIME", "STATE", "INFO"};
    for (const auto& p : s.processes)
      rows.rows.push_back({std::to_string(p.id), p.user, "app-host:40000", SqlValue(), p.command,
                           std::to_string(p.time), "", p.info.empty() ? SqlValue() : SqlValue(p.info)});
    return rows;
  }
  if (sql == flavor.io_thread_ids_sql()) {
    Rows rows;
    rows.columns = {"ID"};
    if (s.io != "No") rows.rows.push_back({std::to_string(k_io_thread_id_base + index)});
    return rows;
  }
  if (starts_with(sql, "KILL CONNECTION ")) {
    const auto id = std::stoull(sql.substr(16));
    if (id == k_io_thread_id_base + index && s.io != "No") {  // the IO thread ends; its config stays
      s.io = "No";
      return Rows{};
    }
    auto it = std::find_if(s.processes.begin(), s.processes.end(), [&](const auto& p) { return p.id == id; });
    if (it == s.processes.end()) return make_error(Errc::sql, "Unknown thread id: {}", id);
    s.processes.erase(it);
    return Rows{};
  }
  if (sql == "SET GLOBAL gtid_slave_pos = @@gtid_current_pos") {
    if (!maria) return make_error(Errc::sql, "Unknown system variable 'gtid_slave_pos'");
    if (s.io != "No" || s.sql_running) return running_error();
    s.slave_pos = merge(s.executed, s.slave_pos);
    return Rows{};
  }
  if (sql == "SET GLOBAL read_only=0") {
    s.read_only = false;
    s.super_read_only = false;
    return Rows{};
  }
  if (sql == "SET GLOBAL read_only=1") {
    s.read_only = true;
    return Rows{};
  }
  if (sql == "SET GLOBAL super_read_only=1") {
    s.read_only = s.super_read_only = true;
    return Rows{};
  }
  if (sql == "SET GLOBAL super_read_only=0") {
    s.super_read_only = false;
    return Rows{};
  }
  if (starts_with(sql, "SELECT MASTER_GTID_WAIT(") || starts_with(sql, "SELECT WAIT_FOR_EXECUTED_GTID_SET(")) {
    const std::string wanted = quoted_after(sql, "(");
    const std::string column = sql.substr(7);
    // MariaDB waits on gtid_slave_pos, MySQL on gtid_executed.
    auto reached = [&] { return includes(maria ? s.slave_pos : s.executed, wanted); };
    if (!reached() && s.sql_running && includes(s.received, wanted)) apply_relay_log();
    return one({column}, {reached() ? "0" : (maria ? "-1" : "1")});
  }
  return make_error(Errc::sql, "fake cluster: statement not understood: {}", sql);
}

VipOutcome FakeVip::do_release(const ServerConfig& old_master, bool ssh_reachable, std::chrono::milliseconds limit) {
  std::lock_guard lock(m_cluster.mutex);
  limits.push_back(limit);
  m_cluster.events.push_back(fmt::format("vip: release {} ssh={}", old_master.name, ssh_reachable ? 1 : 0));
  // As `ip addr del` on the old host: the address goes only from there.
  if (release_outcome.ok && holder == old_master.name) holder.clear();
  if (release_outcome.ok && moves && m_cluster.vip_holder == old_master.name) m_cluster.vip_holder.clear();
  return release_outcome;
}

VipOutcome FakeVip::do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                               std::chrono::milliseconds limit) {
  std::lock_guard lock(m_cluster.mutex);
  limits.push_back(limit);
  m_cluster.events.push_back(fmt::format("vip: acquire {} -> {}", old_master.name, new_master.name));
  if (acquire_outcome.ok) holder = new_master.name;
  if (acquire_outcome.ok && moves) m_cluster.vip_holder = new_master.name;
  return acquire_outcome;
}

}  // namespace mha::test
