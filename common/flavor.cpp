// Flavor-specific SQL: see flavor.h for the version thresholds.
#include "common/flavor.h"

#include <algorithm>
#include <charconv>
#include <optional>

namespace mha {

namespace {

bool contains_mariadb(std::string_view text) {
  constexpr std::string_view k_needle = "mariadb";
  if (text.size() < k_needle.size()) return false;
  for (size_t i = 0; i + k_needle.size() <= text.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < k_needle.size() && match; ++j) {
      char c = text[i + j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      match = c == k_needle[j];
    }
    if (match) return true;
  }
  return false;
}

// Reads 1-4 digits at `pos`; a version part beyond 9999 is not a version.
std::optional<int> read_number(std::string_view text, size_t& pos) {
  size_t end = pos;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  if (end == pos || end - pos > 4) return std::nullopt;
  int value = 0;
  std::from_chars(text.data() + pos, text.data() + end, value);
  pos = end;
  return value;
}

}  // namespace

std::string ServerVersion::to_string() const { return fmt::format("{}.{}.{}", major, minor, patch); }

std::string sql_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "''"; break;  // valid with and without NO_BACKSLASH_ESCAPES
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\x1a': out += "\\Z"; break;
      default: out += c;
    }
  }
  out += '\'';
  return out;
}

Result<Flavor> Flavor::from_version(std::string_view version_string) {
  constexpr std::string_view k_space = " \t\r\n";
  std::string_view text = version_string;
  text.remove_prefix(std::min(text.size(), text.find_first_not_of(k_space)));
  if (const auto last = text.find_last_not_of(k_space); last != std::string_view::npos)
    text = text.substr(0, last + 1);

  const FlavorKind kind = contains_mariadb(text) ? FlavorKind::mariadb : FlavorKind::mysql;
  // MariaDB before 11.0 reports "5.5.5-10.x.y-MariaDB" over the protocol so
  // that old MySQL clients accept it; the real version follows the prefix.
  constexpr std::string_view k_fake_prefix = "5.5.5-";
  std::string_view rest = text;
  if (kind == FlavorKind::mariadb && rest.starts_with(k_fake_prefix)) rest.remove_prefix(k_fake_prefix.size());

  size_t pos = 0;
  const auto skip_dot = [&] {
    if (pos >= rest.size() || rest[pos] != '.') return false;
    ++pos;
    return true;
  };
  const auto major = read_number(rest, pos);
  const auto minor = major && skip_dot() ? read_number(rest, pos) : std::nullopt;
  const auto patch = minor && skip_dot() ? read_number(rest, pos) : std::nullopt;
  // After the patch number only a suffix ("-log", "-MariaDB-...") may follow.
  if (!patch || (pos < rest.size() && rest[pos] != '-'))
    return make_error(Errc::parse, "unrecognized server version '{}': expected MAJOR.MINOR.PATCH[-suffix]",
                      version_string);
  const ServerVersion version{*major, *minor, *patch};

  if (kind == FlavorKind::mariadb && !version.at_least(10, 0, 9))
    return make_error(Errc::not_supported,
                      "MariaDB {} is not supported: GTID failover needs MariaDB 10.0.9 or newer",
                      version.to_string());
  if (kind == FlavorKind::mysql && !version.at_least(5, 7, 0))
    return make_error(Errc::not_supported, "MySQL {} is not supported: mhad needs MySQL 5.7 or newer",
                      version.to_string());
  return Flavor(kind, version);
}

std::string Flavor::to_string() const {
  return fmt::format("{} {}", is_mariadb() ? "MariaDB" : "MySQL", m_version.to_string());
}

// MariaDB: SHOW SLAVE STATUS on every version. SHOW REPLICA STATUS (10.5.1+)
// is only a synonym with the very same columns, SHOW SLAVE STATUS is not
// deprecated there, and one spelling means one code path and one set of
// recorded fixtures for all MariaDB versions.
std::string Flavor::replica_status_sql() const {
  if (is_mysql() && m_version.at_least(8, 0, 22)) return "SHOW REPLICA STATUS";
  return "SHOW SLAVE STATUS";
}

std::string Flavor::monitor_replica_status_sql() const {
  return is_mariadb() ? "SHOW ALL SLAVES STATUS" : replica_status_sql();
}

// MySQL: @@GLOBAL explicitly. In 5.7 gtid_executed also had a (deprecated)
// session value, and a bare @@gtid_executed would read that one.
std::string Flavor::gtid_executed_sql() const {
  if (is_mariadb()) return "SELECT @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos";
  return "SELECT @@GLOBAL.gtid_executed";
}

std::string Flavor::read_only_and_gtids_sql() const {
  if (is_mariadb()) return "SELECT @@GLOBAL.read_only, @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos";
  return "SELECT @@GLOBAL.read_only, @@GLOBAL.gtid_executed";
}

std::string Flavor::master_status_sql() const {
  if (is_mariadb()) return m_version.at_least(10, 5, 2) ? "SHOW BINLOG STATUS" : "SHOW MASTER STATUS";
  return m_version.at_least(8, 2, 0) ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
}

std::string Flavor::read_only_sql() const {
  if (is_mariadb()) return "SELECT @@read_only";
  return "SELECT @@read_only, @@super_read_only";
}

std::string Flavor::inventory_variables_sql() {
  return "SHOW GLOBAL VARIABLES WHERE Variable_name IN ("
         "'server_id','hostname','log_bin','log_bin_basename','log_slave_updates','log_replica_updates',"
         "'binlog_format','gtid_strict_mode','gtid_domain_id','gtid_mode','enforce_gtid_consistency',"
         "'read_only','super_read_only','sync_binlog','relay_log_purge','datadir','server_uuid',"
         "'rpl_semi_sync_master_enabled','rpl_semi_sync_slave_enabled','rpl_semi_sync_master_timeout',"
         "'rpl_semi_sync_master_wait_point','rpl_semi_sync_source_enabled','rpl_semi_sync_replica_enabled',"
         "'rpl_semi_sync_source_timeout','slave_net_timeout','replica_net_timeout','max_connections')";
}

std::string Flavor::tls_status_sql() {
  return "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version','Ssl_cipher')";
}

std::string Flavor::replica_hosts_sql() const {
  if (is_mysql() && m_version.at_least(8, 0, 22)) return "SHOW REPLICAS";
  return "SHOW SLAVE HOSTS";
}

std::string Flavor::health_status_sql() {
  return "SHOW GLOBAL STATUS WHERE Variable_name IN ("
         "'Rpl_semi_sync_master_status','Rpl_semi_sync_master_clients','Rpl_semi_sync_slave_status',"
         "'Rpl_semi_sync_source_status','Rpl_semi_sync_source_clients','Rpl_semi_sync_replica_status',"
         "'Slave_last_heartbeat','Slave_received_heartbeats','Uptime')";
}

std::string_view Flavor::received_gtids_column() const {
  return is_mariadb() ? "Gtid_IO_Pos" : "Retrieved_Gtid_Set";
}

std::string_view Flavor::executed_gtids_column() const { return is_mariadb() ? "" : "Executed_Gtid_Set"; }

namespace {
// MariaDB keeps the SLAVE keyword (REPLICA is a synonym from 10.5.1, SLAVE
// works everywhere); MySQL removed the SLAVE forms in 8.4, REPLICA exists
// from 8.0.22.
std::string_view replica_keyword(const Flavor& flavor) {
  return flavor.is_mysql() && flavor.version().at_least(8, 0, 22) ? "REPLICA" : "SLAVE";
}
}  // namespace

std::string Flavor::start_replica_sql() const { return fmt::format("START {}", replica_keyword(*this)); }
std::string Flavor::stop_replica_sql() const { return fmt::format("STOP {}", replica_keyword(*this)); }
std::string Flavor::start_io_thread_sql() const {
  return fmt::format("START {} IO_THREAD", replica_keyword(*this));
}
std::string Flavor::stop_io_thread_sql() const { return fmt::format("STOP {} IO_THREAD", replica_keyword(*this)); }
std::string Flavor::start_sql_thread_sql() const {
  return fmt::format("START {} SQL_THREAD", replica_keyword(*this));
}
std::string Flavor::stop_sql_thread_sql() const {
  return fmt::format("STOP {} SQL_THREAD", replica_keyword(*this));
}
std::string Flavor::reset_replica_all_sql() const { return fmt::format("RESET {} ALL", replica_keyword(*this)); }

// MariaDB uses slave_pos: the replica resumes from the GTIDs it applied as a
// replica. A demoted old master must first copy its binlog position there
// (SET GLOBAL gtid_slave_pos = @@gtid_binlog_pos); that is the caller's step.
std::string Flavor::adopt_own_position_sql() const {
  return is_mariadb() ? "SET GLOBAL gtid_slave_pos = @@gtid_current_pos" : "";
}

std::string Flavor::processlist_sql() {
  return "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST "
         "WHERE ID <> CONNECTION_ID()";
}

std::string Flavor::kill_connection_sql(std::uint64_t id) { return fmt::format("KILL CONNECTION {}", id); }

std::string Flavor::io_thread_ids_sql() const {
  if (is_mariadb()) return "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND = 'Slave_IO'";
  // MySQL: the receiver thread's name changed in 8.0.26.
  return "SELECT PROCESSLIST_ID FROM performance_schema.threads WHERE NAME IN ('thread/sql/replica_io', "
         "'thread/sql/slave_io') AND PROCESSLIST_ID IS NOT NULL";
}

std::string Flavor::change_master_sql(const ReplicationSource& source) const {
  const bool new_syntax = !is_mariadb() && m_version.at_least(8, 0, 23);
  const char* word = new_syntax ? "SOURCE" : "MASTER";
  // An empty password is MHA's "[, MASTER_PASSWORD]": the clause is left out
  // and the replica keeps the password it has (CHANGE MASTER keeps every
  // option it is not given, on both flavors, even when the host changes).
  const std::string password =
      source.password.empty() ? "" : fmt::format(", {}_PASSWORD={}", word, sql_quote(source.password));
  std::string head = fmt::format("{} TO {}_HOST={}, {}_PORT={}, {}_USER={}{}",
                                 new_syntax ? "CHANGE REPLICATION SOURCE" : "CHANGE MASTER", word,
                                 sql_quote(source.host), word, source.port, word, sql_quote(source.user), password);
  if (tls_required(source.tls.mode)) head += ", " + tls_source_clauses(source.tls);
  if (is_mariadb()) return head + ", MASTER_USE_GTID=slave_pos";
  if (new_syntax) return head + ", SOURCE_AUTO_POSITION=1" + (source.get_public_key ? ", GET_SOURCE_PUBLIC_KEY=1" : "");
  // GET_MASTER_PUBLIC_KEY exists from 8.0; 5.7 has no caching_sha2_password.
  const bool public_key = source.get_public_key && m_version.at_least(8, 0, 0);
  return head + ", MASTER_AUTO_POSITION=1" + (public_key ? ", GET_MASTER_PUBLIC_KEY=1" : "");
}

namespace {
// MySQL 8.0.23+ spells replication SOURCE/REPLICA; the older forms are gone in 8.4.
bool source_keywords(const Flavor& flavor) { return flavor.is_mysql() && flavor.version().at_least(8, 0, 23); }
}  // namespace

std::string Flavor::tls_source_clauses(const TlsSettings& tls) const {
  const std::string_view w = source_keywords(*this) ? "SOURCE" : "MASTER";
  if (!tls_required(tls.mode)) return "";
  std::string out = fmt::format("{}_SSL=1", w);
  if (tls_verifies(tls.mode)) out += fmt::format(", {}_SSL_CA={}", w, sql_quote(tls.ca));
  if (!tls.cert.empty()) out += fmt::format(", {}_SSL_CERT={}", w, sql_quote(tls.cert));
  if (!tls.key.empty()) out += fmt::format(", {}_SSL_KEY={}", w, sql_quote(tls.key));
  return out + fmt::format(", {}_SSL_VERIFY_SERVER_CERT={}", w, tls.mode == SslMode::verify_identity ? 1 : 0);
}

std::string Flavor::change_source_sql(std::string_view clauses) const {
  return fmt::format("{} TO {}", source_keywords(*this) ? "CHANGE REPLICATION SOURCE" : "CHANGE MASTER", clauses);
}

std::string Flavor::gtid_positioning_clause() const {
  if (is_mariadb()) return "MASTER_USE_GTID=slave_pos";
  return source_keywords(*this) ? "SOURCE_AUTO_POSITION=1" : "MASTER_AUTO_POSITION=1";
}

std::string Flavor::repoint_hint_sql(std::string_view host, uint16_t port, std::string_view user) const {
  std::string_view p = source_keywords(*this) ? "SOURCE" : "MASTER";
  return fmt::format("{}; {}; {}", stop_replica_sql(),
                     change_source_sql(fmt::format("{p}_HOST='{}', {p}_PORT={}, {p}_USER='{}', {p}_PASSWORD='...', {}",
                                                   host, port, user, gtid_positioning_clause(), fmt::arg("p", p))),
                     start_replica_sql());
}

std::string Flavor::heartbeat_period_sql(int seconds) const {
  return change_source_sql(fmt::format("{}_HEARTBEAT_PERIOD={}", source_keywords(*this) ? "SOURCE" : "MASTER", seconds));
}

std::string Flavor::restart_io_thread_sql() const {
  return fmt::format("{}; {}", stop_io_thread_sql(), start_io_thread_sql());
}

std::string Flavor::version_sql() { return "SELECT VERSION()"; }
std::string Flavor::server_id_sql() { return "SELECT @@server_id"; }
std::string Flavor::show_grants_sql() { return "SHOW GRANTS"; }

std::string Flavor::repl_privilege_sql(std::string_view user) {
  return fmt::format("SELECT COUNT(*) FROM mysql.user WHERE User = {} AND Repl_slave_priv = 'Y'", sql_quote(user));
}

std::string Flavor::heartbeat_write_sql() {
  return "INSERT INTO mhad.heartbeat (id, ts) VALUES (1, NOW(3)) ON DUPLICATE KEY UPDATE ts = NOW(3)";
}
std::string Flavor::heartbeat_database_sql() { return "CREATE DATABASE IF NOT EXISTS mhad"; }
std::string Flavor::heartbeat_table_sql() {
  return "CREATE TABLE IF NOT EXISTS mhad.heartbeat (id TINYINT PRIMARY KEY, ts TIMESTAMP(3))";
}

std::string Flavor::wait_for_gtids_sql(std::string_view gtids, std::chrono::seconds timeout) const {
  const auto seconds = std::max<std::chrono::seconds::rep>(timeout.count(), 1);
  if (is_mariadb()) return fmt::format("SELECT MASTER_GTID_WAIT({}, {})", sql_quote(gtids), seconds);
  return fmt::format("SELECT WAIT_FOR_EXECUTED_GTID_SET({}, {})", sql_quote(gtids), seconds);
}

bool Flavor::wait_timed_out(int64_t result) const { return is_mariadb() ? result == -1 : result == 1; }

std::string Flavor::fence_writes_sql() const {
  if (is_mariadb()) return "SET GLOBAL read_only=1";
  return "SET GLOBAL super_read_only=1";
}

std::string Flavor::unfence_writes_sql() const { return "SET GLOBAL read_only=0"; }

std::vector<std::string> Flavor::write_while_read_only_privileges() const {
  if (is_mariadb()) {
    if (m_version.at_least(10, 11, 0)) return {"ALL PRIVILEGES", "READ ONLY ADMIN"};
    return {"ALL PRIVILEGES", "SUPER"};
  }
  return {"ALL PRIVILEGES", "SUPER", "CONNECTION_ADMIN"};
}

std::string Flavor::admin_writes_sql() const {
  if (is_mariadb()) return "";
  return "SET GLOBAL super_read_only=0";
}

std::string_view Flavor::binlog_tool() const {
  if (is_mariadb() && m_version.at_least(10, 4, 6)) return "mariadb-binlog";
  return "mysqlbinlog";
}

bool Flavor::binlog_tool_accepts_gtid_start() const { return is_mariadb() && m_version.at_least(10, 8, 0); }

}  // namespace mha
