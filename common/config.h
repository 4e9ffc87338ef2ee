// Configuration of mhad: /etc/mhad/mhad.toml (daemon settings and defaults
// for every cluster) plus clusters.d/*.toml (one cluster each). Parses into
// plain structs; every field carries MHA's default where MHA had the key.
// Pure: reads files, never talks to a server. Runs on the main loop (load and
// reload) and in `mhad --check-config`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/log.h"  // LogLevel and log_level_name() live there (do not redefine)
#include "common/tls.h"

namespace mha {

using Duration = std::chrono::milliseconds;

// A password. Never printed: fmt/ostream/JSON helpers render it masked.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : m_value(std::move(value)) {}
  const std::string& reveal() const { return m_value; }  // for the SQL/SSH seams only
  bool empty() const { return m_value.empty(); }
  bool operator==(const Secret&) const = default;

 private:
  std::string m_value;
};

// `text` with every occurrence of the secret replaced by "********" (no-op
// for an empty secret): what reaches logs, reports and replies. Escaped
// forms are masked too: JSON-escaped, SQL-quoted (backslash escapes and
// doubled quotes), shell-quoted (single, double, backslashes), URL-encoded,
// and each of those JSON-escaped (common/config/scrub.cpp).
std::string scrub(std::string text, const Secret& secret);

enum class PingType { select, connect, insert };
// SSH host keys, with OpenSSH's words: yes = only hosts in known_hosts;
// accept-new = a host not there yet is added on first contact, a changed key
// is still refused; no = any key (not recommended: whoever answers on the
// address is trusted with the binlogs, the VIP and the host probe).
enum class HostKeyChecking { yes, accept_new, no };
// What a failover does when acknowledged writes may be lost: the dead
// master's binlog could not be read and semi-sync was not on.
enum class DataLossPolicy { proceed, abort };
// Whether this mhad acts alone or one of several does, elected in etcd.
enum class Coordination { none, etcd };

// Per-server settings. Keys with an optional<> inherit from the cluster
// (then [defaults], then the built-in default) when not set on the server;
// the loader resolves them, so after load every optional here is filled.
struct ServerConfig {
  std::string name;                 // [[server]] name; required, unique in cluster
  std::string host;                 // hostname or IP; required (MHA: hostname)
  uint16_t port = 3306;             // MHA: port
  std::string ip;                   // MHA: ip; defaults to host
  std::string ssh_host;             // MHA: ssh_host; defaults to host
  uint16_t ssh_port = 22;           // MHA: ssh_port
  std::string ssh_user;             // MHA: ssh_user; default: cluster's, else "root"
  std::string ssh_key;              // private key path; default: cluster's
  std::string ssh_options;          // MHA: ssh_options (extra OpenSSH-style options)
  Duration ssh_connection_timeout{5000};  // MHA: ssh_connection_timeout (5 s)
  bool candidate_master = false;    // MHA: candidate_master, not inherited
  bool no_master = false;           // MHA: no_master, not inherited
  bool ignore_fail = false;         // MHA: ignore_fail, not inherited
  bool skip_init_ssh_check = false; // MHA: skip_init_ssh_check, not inherited
  bool skip_reset_slave = false;    // MHA: skip_reset_slave
  bool check_repl_delay = true;     // MHA: check_repl_delay (1)
  std::vector<std::string> master_binlog_dir{"/var/lib/mysql", "/var/log/mysql"};  // MHA default
  std::string remote_workdir = "/var/tmp";  // MHA: remote_workdir
  std::string master_pid_file;      // MHA: master_pid_file (for shutdown_script)
  std::string client_bindir;        // MHA: client_bindir
  std::string client_libdir;        // MHA: client_libdir
  bool disable_log_bin = false;     // MHA: disable_log_bin
  std::string node_label;           // MHA: node_label (cosmetic)
  // TLS (the MySQL client's ssl-mode, ssl-ca, ssl-cert, ssl-key), inherited
  // like port. mhad connects to this server with them, and CHANGE MASTER on
  // this server as a replica uses them for its replication connection, so
  // the paths must exist on mhad's host and on this server's host.
  SslMode ssl_mode = SslMode::disabled;
  std::string ssl_ca;
  std::string ssl_cert;
  std::string ssl_key;

  TlsSettings tls() const { return TlsSettings{ssl_mode, ssl_ca, ssl_cert, ssl_key}; }
};

struct VipConfig {
  std::string address;    // "192.168.3.100/24"
  std::string interface;  // "enp0s3"
  bool arping = true;     // send gratuitous ARP after adding
};

struct ClusterConfig {
  std::string name;               // file stem unless `name` is set
  std::filesystem::path source;   // the file it came from

  std::string user = "root";      // MHA: user (default root)
  Secret password;                // MHA: password / password_file
  std::string password_file;      // path it came from, if any (shown, not the secret)
  std::string repl_user;          // MHA: repl_user; empty = replica's Master_User
  Secret repl_password;           // MHA: repl_password / repl_password_file
  std::string repl_password_file;

  Duration ping_interval{3000};   // MHA: ping_interval (3 s)
  PingType ping_type = PingType::select;  // MHA: ping_type (SELECT)
  int ping_failures = 4;          // MHA declares dead after 4 failed pings (3 retries)
  Duration connect_timeout{4000}; // MHA: mysql_connect_timeout=4 for status reads
  Duration read_timeout{4000};    // per-query read timeout of monitoring sessions
  // A master whose port accepts connections but that answers nothing for this
  // long, while no replica hears from it either, is declared dead ("frozen").
  // 10 s: over two read timeouts (a busy server gets a second chance), far
  // under the minute MHA needs before a frozen master's listen backlog fills.
  Duration frozen_master_timeout{10000};
  Duration min_failover_interval{8 * 3600 * 1000};  // MHA: last_failover_minute=480
  bool auto_failover = true;      // false: detect and report only (masterha_master_monitor)
  bool auto_rejoin = false;       // a fenced old master that comes back clean rejoins as a replica by itself
  // known_hosts file for every SSH login mhad makes; "" = OpenSSH's
  // (~/.ssh/known_hosts of mhad's user, then /etc/ssh/ssh_known_hosts).
  std::string ssh_known_hosts;
  HostKeyChecking ssh_host_key_checking = HostKeyChecking::yes;
  // A dead_host failover where nothing fenced the old master (its host did
  // not answer SSH, no shutdown_script powered it off, the VIP release was
  // not confirmed): it may be alive behind a partition, taking writes from
  // clients that still reach it. proceed (MHA's behaviour) promotes and
  // reports the risk; abort stops before promoting (needs_operator).
  DataLossPolicy on_unfenced_master = DataLossPolicy::proceed;
  // proceed (MHA's behaviour): promote anyway, the report states the risk.
  // abort: stop before promoting, park the cluster for the operator.
  DataLossPolicy on_possible_data_loss = DataLossPolicy::proceed;
  Duration running_seconds_limit{10000};  // MHA online switch: --running_seconds_limit 10
  int running_updates_limit = 1;  // MHA online switch: --running_updates_limit 1
  Duration seconds_behind_master{30000};  // MHA check_repl: --seconds_behind_master 30
  uint64_t max_relay_lag_bytes = 100ull * 1000 * 1000;  // MHA's 100 MB rule (check_repl_delay)
  bool check_repl_filter = true;  // MHA: check_repl_filter
  bool latest_priority = true;    // MHA: latest_priority
  bool multi_tier_slave = false;  // MHA: multi_tier_slave
  bool use_gtid_auto_pos = true;  // MHA: use_gtid_auto_pos
  LogLevel log_level = LogLevel::info;  // MHA: log_level

  std::string ssh_user = "root";  // MHA default is the current OS user; mhad runs as root
  std::string ssh_key;            // private key; empty = ~/.ssh defaults
  // Keep an SSH session to the master's host open (a look every 5 cycles), so
  // that the host check of a failure costs milliseconds instead of a login.
  bool keep_ssh_session = true;
  // While the master is suspect, ask each replica's host (over its kept SSH
  // session) whether a TCP connect to the master's port succeeds: a vanished
  // host is then called dead_host in ~3 ping intervals, and a master that a
  // replica's host still reaches is never failed over (mhad is cut off).
  // Needs SSH to the replicas with bash and timeout(1) there.
  bool replica_host_check = true;
  std::string secondary_check_script;     // MHA: secondary_check_script
  std::string master_ip_failover_script;  // MHA: master_ip_failover_script
  std::string master_ip_online_change_script;  // MHA: master_ip_online_change_script
  std::string shutdown_script;            // MHA: shutdown_script
  std::string report_script;              // MHA: report_script

  std::optional<VipConfig> vip;
  std::vector<ServerConfig> servers;  // config order = MHA's tie-break order
};

// `text` without the cluster's admin and replication passwords: server error
// texts can quote a statement, and CHANGE MASTER carries the replication one.
std::string scrub_secrets(std::string text, const ClusterConfig& cluster);

struct DaemonConfig {
  std::string socket = "/run/mhad/mhad.sock";
  std::string state_dir = "/var/lib/mhad";
  // Members of socket_group may connect and read (status, check, version,
  // stats); changing a cluster needs root or admin_group, a different group
  // by default so that being able to look is not being able to fail over.
  std::string socket_group = "mhad";
  std::string admin_group = "mhad-admin";
  int worker_threads = 8;          // bounded pool for blocking SQL/SSH work
  LogLevel log_level = LogLevel::info;
  std::string metrics_listen;      // "host:port" serving /metrics (Prometheus); empty: off

  // Manager HA (docs/man/mhad.toml.5): with "etcd", several mhad watch the
  // same clusters and a lease-backed leader key per cluster decides which
  // one acts; "none" is one mhad acting alone.
  Coordination coordination = Coordination::none;
  std::vector<std::string> etcd_endpoints;  // "http(s)://host:port", tried in order
  std::string etcd_prefix = "/mhad";        // keys live under PREFIX/CLUSTER/
  std::string instance_name;                // the leader key's value; load fills in the host name
  std::string etcd_ca;                      // PEM files for https endpoints; empty: system CAs / no client cert
  std::string etcd_cert;
  std::string etcd_key;
  std::string etcd_user;                    // etcd authentication; empty: none
  std::string etcd_password_file;
  Secret etcd_password;                     // read from etcd_password_file
};

struct Config {
  std::filesystem::path main_file;        // mhad.toml
  std::filesystem::path clusters_dir;     // clusters.d next to it
  DaemonConfig daemon;
  std::vector<ClusterConfig> clusters;    // sorted by name

  const ClusterConfig* find_cluster(std::string_view name) const;
};

// Outcome of loading: a Config, or every problem found (all of them, not just
// the first), each "FILE:LINE:COL: KEY: expected ..., found ...". A config
// with any problem is refused as a whole.
struct ConfigLoad {
  std::optional<Config> config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;  // e.g. a key MHA had that mhad ignores
};

// Reads main_file and every clusters.d/*.toml beside it (sorted by file
// name; names not ending in .toml, and hidden files, are ignored). A missing
// main_file is an error that says to create it or pass --config; an empty one
// is valid. A missing or empty clusters.d is a warning: the daemon idles.
// Messages name files as given (main_file as passed, clusters as
// main_file's directory / "clusters.d" / name) and keys as TOML paths:
// "ping_interval", "vip.address", "server[0].port" (0-based, config order),
// "defaults.ping_interval", "daemon.socket". Problems with a file as a
// whole (unreadable) have no LINE:COL.
ConfigLoad load_config(const std::filesystem::path& main_file);

// Same, from strings (for unit tests): main text + {file name -> text}.
// Messages name them "mhad.toml" and "clusters.d/NAME". Relative
// password_file paths resolve against config_dir (main text) and
// config_dir/clusters.d (cluster files); with an empty config_dir, against
// the current directory and "clusters.d".
ConfigLoad load_config_from_strings(const std::string& main_text,
                                    const std::map<std::string, std::string>& cluster_files,
                                    const std::filesystem::path& config_dir = {});

// The effective configuration as TOML with every default filled and every
// secret shown as "********" (empty ones as ""), password_file paths shown
// (`mhad --check-config`). Shape: [daemon], then per cluster a
// "# cluster NAME (from FILE)" comment, [cluster.NAME], [cluster.NAME.vip]
// and one [[cluster.NAME.server]] per server with every inherited value
// resolved. Durations as format_duration, sizes as format_size.
std::string render_effective_config(const Config& config);

std::string_view ping_type_name(PingType type);
std::string_view data_loss_policy_name(DataLossPolicy policy);
std::string_view host_key_checking_name(HostKeyChecking mode);  // "yes", "accept-new", "no"
std::string_view coordination_name(Coordination mode);          // "none", "etcd"

}  // namespace mha
