// The config key tables and applying them (see keys.h).

#include "common/config/keys.h"

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "common/config/readers.h"
#include "common/config/render_value.h"
#include "common/config/secrets.h"
#include "common/config/toml_text.h"

namespace mha::config_detail {
namespace {

std::string_view level_place(Level level) {
  switch (level) {
    case Level::defaults: return "in [defaults]";
    case Level::cluster: return "at cluster level";
    case Level::server: return "in a [[server]] table";
  }
  return "";
}

constexpr int64_t k_int_max = std::numeric_limits<int>::max();

// Readers with their bounds fixed, so that a key's reader is one function.
template <bool Positive>
std::optional<Duration> read_duration_of(FileReport& r, const toml::node& n, std::string_view k) {
  return read_duration(r, n, k, Positive);
}
template <int64_t Min, int64_t Max>
std::optional<int> read_int_in(FileReport& r, const toml::node& n, std::string_view k) {
  if (auto v = read_int(r, n, k, Min, Max)) return static_cast<int>(*v);
  return std::nullopt;
}
std::optional<std::string> read_group(FileReport& r, const toml::node& n, std::string_view k) {
  return read_nonempty(r, n, k, "a group name");
}

// The struct a member of ClusterConfig or ServerConfig lives in.
template <class Owner>
Owner& owner_in(Target& t);
template <>
ClusterConfig& owner_in<ClusterConfig>(Target& t) {
  return *t.cluster;
}
template <>
ServerConfig& owner_in<ServerConfig>(Target& t) {
  return *t.server;
}

// Member = what Read read, if it read anything.
template <auto Member, auto Read>
void read_into(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = Read(r, n, k)) owner_in<typename MemberOf<decltype(Member)>::type>(t).*Member = std::move(*v);
}
template <auto Member, auto Read>
void read_into_daemon(FileReport& r, const toml::node& n, const std::string& k, DaemonConfig& daemon) {
  if (auto v = Read(r, n, k)) daemon.*Member = std::move(*v);
}

// Secret and its file: setting one clears the other, so a cluster's
// password overrides a password_file from [defaults] and vice versa.
template <auto SecretMember, auto FileMember>
void cluster_secret(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_secret(r, n, k)) {
    t.cluster->*SecretMember = std::move(*v);
    (t.cluster->*FileMember).clear();
  }
}
template <auto SecretMember, auto FileMember>
void cluster_secret_file(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_secret_file(r, n, k)) {
    t.cluster->*SecretMember = std::move(v->secret);
    t.cluster->*FileMember = std::move(v->path);
  }
}
template <auto SecretMember, auto FileMember>
void daemon_secret_file(FileReport& r, const toml::node& n, const std::string& k, DaemonConfig& daemon) {
  if (auto v = read_secret_file(r, n, k)) {
    daemon.*SecretMember = std::move(v->secret);
    daemon.*FileMember = std::move(v->path);
  }
}
// ssh_user / ssh_key: the cluster's value, which is also every server's default.
template <auto ClusterMember, auto ServerMember, bool Path>
void both_string(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  auto v = Path ? read_path(r, n, k) : read_nonempty(r, n, k, "a user name");
  if (!v) return;
  if (t.cluster != nullptr) t.cluster->*ClusterMember = *v;
  t.server->*ServerMember = std::move(*v);
}

}  // namespace

// In the order --check-config shows them: ClusterConfig's keys as in
// [cluster.NAME], ServerConfig's as in [[cluster.NAME.server]]. ssh_user and
// ssh_key are shown in both, so the server keys sit between the cluster keys
// and the cluster's scripts.
const std::vector<KeySpec>& key_specs() {
  using C = ClusterConfig;
  using S = ServerConfig;
  static const std::vector<KeySpec> specs = {
      {"user", Scope::cluster, read_into<&C::user, read_string>, shown<&C::user>, nullptr},
      {"password", Scope::cluster, cluster_secret<&C::password, &C::password_file>, shown<&C::password>, nullptr},
      {"password_file", Scope::cluster, cluster_secret_file<&C::password, &C::password_file>,
       shown<&C::password_file>, nullptr},
      {"repl_user", Scope::cluster, read_into<&C::repl_user, read_string>, shown<&C::repl_user>, nullptr},
      {"repl_password", Scope::cluster, cluster_secret<&C::repl_password, &C::repl_password_file>,
       shown<&C::repl_password>, nullptr},
      {"repl_password_file", Scope::cluster, cluster_secret_file<&C::repl_password, &C::repl_password_file>,
       shown<&C::repl_password_file>, nullptr},
      {"ping_interval", Scope::cluster, read_into<&C::ping_interval, read_duration_of<true>>, shown<&C::ping_interval>,
       nullptr},
      {"ping_type", Scope::cluster, read_into<&C::ping_type, read_ping_type>, shown<&C::ping_type>, nullptr},
      {"ping_failures", Scope::cluster, read_into<&C::ping_failures, read_int_in<1, k_int_max>>, shown<&C::ping_failures>,
       nullptr},
      {"connect_timeout", Scope::cluster, read_into<&C::connect_timeout, read_duration_of<true>>,
       shown<&C::connect_timeout>, nullptr},
      {"read_timeout", Scope::cluster, read_into<&C::read_timeout, read_duration_of<true>>, shown<&C::read_timeout>,
       nullptr},
      {"frozen_master_timeout", Scope::cluster, read_into<&C::frozen_master_timeout, read_duration_of<true>>,
       shown<&C::frozen_master_timeout>, nullptr},
      {"min_failover_interval", Scope::cluster, read_into<&C::min_failover_interval, read_duration_of<false>>,
       shown<&C::min_failover_interval>, nullptr},
      {"auto_failover", Scope::cluster, read_into<&C::auto_failover, read_bool>, shown<&C::auto_failover>, nullptr},
      {"auto_rejoin", Scope::cluster, read_into<&C::auto_rejoin, read_bool>, shown<&C::auto_rejoin>, nullptr},
      {"on_possible_data_loss", Scope::cluster, read_into<&C::on_possible_data_loss, read_data_loss_policy>,
       shown<&C::on_possible_data_loss>, nullptr},
      {"on_unfenced_master", Scope::cluster, read_into<&C::on_unfenced_master, read_data_loss_policy>,
       shown<&C::on_unfenced_master>, nullptr},
      {"ssh_known_hosts", Scope::cluster, read_into<&C::ssh_known_hosts, read_string>, shown<&C::ssh_known_hosts>,
       nullptr},
      {"ssh_host_key_checking", Scope::cluster, read_into<&C::ssh_host_key_checking, read_host_key_checking>,
       shown<&C::ssh_host_key_checking>, nullptr},
      {"keep_ssh_session", Scope::cluster, read_into<&C::keep_ssh_session, read_bool>, shown<&C::keep_ssh_session>,
       nullptr},
      {"replica_host_check", Scope::cluster, read_into<&C::replica_host_check, read_bool>,
       shown<&C::replica_host_check>, nullptr},
      {"running_seconds_limit", Scope::cluster, read_into<&C::running_seconds_limit, read_duration_of<false>>,
       shown<&C::running_seconds_limit>, nullptr},
      {"running_updates_limit", Scope::cluster, read_into<&C::running_updates_limit, read_int_in<0, k_int_max>>,
       shown<&C::running_updates_limit>, nullptr},
      {"seconds_behind_master", Scope::cluster, read_into<&C::seconds_behind_master, read_duration_of<false>>,
       shown<&C::seconds_behind_master>, nullptr},
      {"max_relay_lag_bytes", Scope::cluster, read_into<&C::max_relay_lag_bytes, read_size>,
       shown_size<&C::max_relay_lag_bytes>, nullptr},
      {"check_repl_filter", Scope::cluster, read_into<&C::check_repl_filter, read_bool>, shown<&C::check_repl_filter>,
       nullptr},
      {"latest_priority", Scope::cluster, read_into<&C::latest_priority, read_bool>, shown<&C::latest_priority>, nullptr},
      {"multi_tier_slave", Scope::cluster, read_into<&C::multi_tier_slave, read_bool>, shown<&C::multi_tier_slave>,
       nullptr},
      {"use_gtid_auto_pos", Scope::cluster, read_into<&C::use_gtid_auto_pos, read_bool>, shown<&C::use_gtid_auto_pos>,
       nullptr},
      {"log_level", Scope::cluster, read_into<&C::log_level, read_log_level>, shown<&C::log_level>, nullptr},

      {"host", Scope::server_only, read_into<&S::host, read_host>, nullptr, shown<&S::host>},
      {"port", Scope::inherit, read_into<&S::port, read_port>, nullptr, shown<&S::port>},
      {"ssl_mode", Scope::inherit, read_into<&S::ssl_mode, read_ssl_mode>, nullptr, shown<&S::ssl_mode>},
      {"ssl_ca", Scope::inherit, read_into<&S::ssl_ca, read_tls_file>, nullptr, shown<&S::ssl_ca>},
      {"ssl_cert", Scope::inherit, read_into<&S::ssl_cert, read_tls_file>, nullptr, shown<&S::ssl_cert>},
      {"ssl_key", Scope::inherit, read_into<&S::ssl_key, read_tls_file>, nullptr, shown<&S::ssl_key>},
      {"ip", Scope::server_only, read_into<&S::ip, read_host>, nullptr, shown<&S::ip>},
      {"ssh_host", Scope::server_only, read_into<&S::ssh_host, read_host>, nullptr, shown<&S::ssh_host>},
      {"ssh_port", Scope::inherit, read_into<&S::ssh_port, read_port>, nullptr, shown<&S::ssh_port>},
      {"ssh_user", Scope::both, both_string<&C::ssh_user, &S::ssh_user, false>, shown<&C::ssh_user>,
       shown<&S::ssh_user>},
      {"ssh_key", Scope::both, both_string<&C::ssh_key, &S::ssh_key, true>, shown<&C::ssh_key>, shown<&S::ssh_key>},
      {"ssh_options", Scope::inherit, read_into<&S::ssh_options, read_string>, nullptr, shown<&S::ssh_options>},
      {"ssh_connection_timeout", Scope::inherit, read_into<&S::ssh_connection_timeout, read_duration_of<true>>, nullptr,
       shown<&S::ssh_connection_timeout>},
      {"candidate_master", Scope::server_flag, read_into<&S::candidate_master, read_bool>, nullptr,
       shown<&S::candidate_master>},
      {"no_master", Scope::server_flag, read_into<&S::no_master, read_bool>, nullptr, shown<&S::no_master>},
      {"ignore_fail", Scope::server_flag, read_into<&S::ignore_fail, read_bool>, nullptr, shown<&S::ignore_fail>},
      {"skip_init_ssh_check", Scope::server_flag, read_into<&S::skip_init_ssh_check, read_bool>, nullptr,
       shown<&S::skip_init_ssh_check>},
      {"skip_reset_slave", Scope::inherit, read_into<&S::skip_reset_slave, read_bool>, nullptr,
       shown<&S::skip_reset_slave>},
      {"check_repl_delay", Scope::inherit, read_into<&S::check_repl_delay, read_bool>, nullptr,
       shown<&S::check_repl_delay>},
      {"master_binlog_dir", Scope::inherit, read_into<&S::master_binlog_dir, read_dir_list>, nullptr,
       shown<&S::master_binlog_dir>},
      {"remote_workdir", Scope::inherit, read_into<&S::remote_workdir, read_path>, nullptr, shown<&S::remote_workdir>},
      {"master_pid_file", Scope::inherit, read_into<&S::master_pid_file, read_string>, nullptr,
       shown<&S::master_pid_file>},
      {"client_bindir", Scope::inherit, read_into<&S::client_bindir, read_string>, nullptr, shown<&S::client_bindir>},
      {"client_libdir", Scope::inherit, read_into<&S::client_libdir, read_string>, nullptr, shown<&S::client_libdir>},
      {"disable_log_bin", Scope::inherit, read_into<&S::disable_log_bin, read_bool>, nullptr, shown<&S::disable_log_bin>},
      {"node_label", Scope::server_only, read_into<&S::node_label, read_string>, nullptr, shown<&S::node_label>},

      {"secondary_check_script", Scope::cluster, read_into<&C::secondary_check_script, read_string>,
       shown<&C::secondary_check_script>, nullptr},
      {"master_ip_failover_script", Scope::cluster, read_into<&C::master_ip_failover_script, read_string>,
       shown<&C::master_ip_failover_script>, nullptr},
      {"master_ip_online_change_script", Scope::cluster, read_into<&C::master_ip_online_change_script, read_string>,
       shown<&C::master_ip_online_change_script>, nullptr},
      {"shutdown_script", Scope::cluster, read_into<&C::shutdown_script, read_string>, shown<&C::shutdown_script>,
       nullptr},
      {"report_script", Scope::cluster, read_into<&C::report_script, read_string>, shown<&C::report_script>, nullptr},
  };
  return specs;
}

namespace {

// "Did you mean" candidates. On a tie the first wins, so they are offered by
// scope (cluster-wide keys first, per-server flags last), in table order
// within a scope: a typo as close to ssh_host as to ssh_port suggests
// ssh_port.
const std::vector<std::string_view>& suggestion_order() {
  static const std::vector<std::string_view> names = [] {
    std::vector<const KeySpec*> specs;
    for (const KeySpec& spec : key_specs()) specs.push_back(&spec);
    std::stable_sort(specs.begin(), specs.end(), [](const KeySpec* a, const KeySpec* b) { return a->scope < b->scope; });
    std::vector<std::string_view> out;
    for (const KeySpec* spec : specs) out.push_back(spec->name);
    return out;
  }();
  return names;
}

const KeySpec* find_spec(std::string_view name) {
  for (const KeySpec& spec : key_specs())
    if (spec.name == name) return &spec;
  return nullptr;
}

// Keys of a cluster file handled outside key_specs().
constexpr std::array<std::string_view, 3> k_structural_keys = {"name", "vip", "server"};

// MHA parameters mhad has no use for: a warning, so that an imported
// app1.cnf loads.
struct IgnoredKey {
  std::string_view name;
  std::string_view reason;
};
constexpr std::array<IgnoredKey, 5> k_mha_ignored = {{
    {"manager_workdir", "state lives in [daemon] state_dir"},
    {"manager_log", "logs go to the journal"},
    {"handle_raw_binlog", "binlog events are always saved as they are, as with MHA's default"},
    {"init_conf_load_script", "all settings come from the config files"},
    {"ssh_ip", "MHA never read it either; ssh connects to ssh_host"},
}};

// MHA names that mhad spells differently: an error naming the new key.
struct RenamedKey {
  std::string_view mha_name;
  std::string_view name;
};
constexpr std::array<RenamedKey, 2> k_mha_renamed = {{
    {"hostname", "host"},
    {"last_failover_minute", "min_failover_interval"},
}};

// Reports a key nobody knows here; true if it was one of MHA's (handled).
bool handle_foreign_key(FileReport& r, const toml::key& key, const std::string& path) {
  for (const IgnoredKey& ignored : k_mha_ignored) {
    if (ignored.name == key.str()) {
      r.warning(key.source(), path,
                fmt::format("MHA key '{}' is not used by mhad: {}, ignoring", ignored.name, ignored.reason));
      return true;
    }
  }
  for (const RenamedKey& renamed : k_mha_renamed) {
    if (renamed.mha_name == key.str()) {
      r.error(key.source(), path,
              fmt::format("expected a known key, found MHA's name for '{}'; did you mean '{}'?", renamed.name,
                          renamed.name));
      return true;
    }
  }
  return false;
}

}  // namespace

const std::vector<DaemonKeySpec>& daemon_key_specs() {
  using D = DaemonConfig;
  static const std::vector<DaemonKeySpec> specs = {
      {"socket", read_into_daemon<&D::socket, read_path>, shown<&D::socket>},
      {"state_dir", read_into_daemon<&D::state_dir, read_path>, shown<&D::state_dir>},
      {"socket_group", read_into_daemon<&D::socket_group, read_group>, shown<&D::socket_group>},
      {"admin_group", read_into_daemon<&D::admin_group, read_group>, shown<&D::admin_group>},
      {"worker_threads", read_into_daemon<&D::worker_threads, read_int_in<1, 1024>>, shown<&D::worker_threads>},
      {"log_level", read_into_daemon<&D::log_level, read_log_level>, shown<&D::log_level>},
      {"metrics_listen", read_into_daemon<&D::metrics_listen, read_listen_address>, shown<&D::metrics_listen>},
      {"coordination", read_into_daemon<&D::coordination, read_coordination>, shown<&D::coordination>},
      {"etcd_endpoints", read_into_daemon<&D::etcd_endpoints, read_etcd_endpoints>, shown<&D::etcd_endpoints>},
      {"etcd_prefix", read_into_daemon<&D::etcd_prefix, read_etcd_prefix>, shown<&D::etcd_prefix>},
      {"instance_name", read_into_daemon<&D::instance_name, read_name>, shown<&D::instance_name>},
      {"etcd_ca", read_into_daemon<&D::etcd_ca, read_tls_file>, shown<&D::etcd_ca>},
      {"etcd_cert", read_into_daemon<&D::etcd_cert, read_tls_file>, shown<&D::etcd_cert>},
      {"etcd_key", read_into_daemon<&D::etcd_key, read_tls_file>, shown<&D::etcd_key>},
      {"etcd_user", read_into_daemon<&D::etcd_user, read_group>, shown<&D::etcd_user>},
      {"etcd_password_file", daemon_secret_file<&D::etcd_password, &D::etcd_password_file>,
       shown<&D::etcd_password_file>},
  };
  return specs;
}

bool is_cluster_file_key(std::string_view name) {
  return find_spec(name) != nullptr ||
         std::find(k_structural_keys.begin(), k_structural_keys.end(), name) != k_structural_keys.end();
}

void unknown_key(FileReport& r, const toml::key& key, const std::string& path,
                 const std::vector<std::string_view>& candidates) {
  if (handle_foreign_key(r, key, path)) return;
  if (auto suggestion = closest_key(key.str(), candidates))
    r.error(key.source(), path,
            fmt::format("expected a known key, found an unknown key; did you mean '{}'?", *suggestion));
  else
    r.error(key.source(), path, "expected a known key, found an unknown key");
}

void apply_table(FileReport& r, const toml::table& table, std::string_view prefix, Level level, Target& target) {
  // password and password_file in one table: which one was meant is a guess.
  std::set<std::string_view> skip;
  if (level != Level::server) {
    for (auto [secret, file] : {std::pair<std::string_view, std::string_view>{"password", "password_file"},
                                {"repl_password", "repl_password_file"}}) {
      const toml::node* secret_node = table.get(secret);
      const toml::node* file_node = table.get(file);
      if (secret_node == nullptr || file_node == nullptr) continue;
      r.error(file_node->source(), fmt::format("{}{}", prefix, file),
              fmt::format("expected either {} or {}, found both ({} at line {})", secret, file, secret,
                          secret_node->source().begin.line));
      skip.insert(secret);
      skip.insert(file);
    }
  }
  for (auto&& [key, node] : table) {
    const std::string path = fmt::format("{}{}", prefix, key.str());
    if (skip.count(key.str()) != 0) continue;
    const bool structural =
        std::find(k_structural_keys.begin(), k_structural_keys.end(), key.str()) != k_structural_keys.end();
    if (structural) {
      if (level == Level::cluster || (level == Level::server && key.str() == "name")) continue;
      if (level == Level::defaults)
        r.error(key.source(), path, "expected in a clusters.d/*.toml file, found in [defaults]");
      else
        r.error(key.source(), path, "expected at cluster level, found in a [[server]] table");
      continue;
    }
    const KeySpec* spec = find_spec(key.str());
    if (spec == nullptr) {
      std::vector<std::string_view> candidates = suggestion_order();
      if (level == Level::cluster) candidates.insert(candidates.end(), k_structural_keys.begin(), k_structural_keys.end());
      if (level == Level::server) candidates.push_back("name");
      unknown_key(r, key, path, candidates);
      continue;
    }
    if (level == Level::server && spec->scope == Scope::cluster) {
      r.error(key.source(), path, "expected at cluster level (one value per cluster), found in a [[server]] table");
      continue;
    }
    if (level != Level::server && spec->scope == Scope::server_flag) {
      r.error(key.source(), path,
              fmt::format("expected in a [[server]] table (per server and not inherited, as in MHA), found {}",
                          level_place(level)));
      continue;
    }
    if (level != Level::server && spec->scope == Scope::server_only) {
      r.error(key.source(), path, fmt::format("expected in a [[server]] table, found {}", level_place(level)));
      continue;
    }
    spec->apply(r, node, path, target);
  }
}

namespace {

// The [daemon] etcd keys that only make sense together, reported at the key
// that is missing its partner.
void check_coordination(FileReport& r, const toml::table& table, DaemonConfig& daemon) {
  auto where = [&table](std::string_view key) {
    const toml::node* node = table.get(key);
    return node != nullptr ? node->source() : table.source();
  };
  if (daemon.coordination == Coordination::etcd && daemon.etcd_endpoints.empty() && table.get("coordination"))
    r.error(where("coordination"), "daemon.coordination",
            "expected daemon.etcd_endpoints with at least one URL when coordination is \"etcd\", found none");
  if (daemon.etcd_cert.empty() != daemon.etcd_key.empty() && (table.get("etcd_cert") || table.get("etcd_key"))) {
    const std::string_view set = daemon.etcd_cert.empty() ? "etcd_key" : "etcd_cert";
    const std::string_view missing = daemon.etcd_cert.empty() ? "etcd_cert" : "etcd_key";
    r.error(where(set), fmt::format("daemon.{}", set),
            fmt::format("expected daemon.{} with it (a client certificate needs its key), found none", missing));
  }
  if (daemon.etcd_user.empty() != daemon.etcd_password_file.empty() &&
      (table.get("etcd_user") || table.get("etcd_password_file"))) {
    const std::string_view set = daemon.etcd_user.empty() ? "etcd_password_file" : "etcd_user";
    const std::string_view missing = daemon.etcd_user.empty() ? "etcd_user" : "etcd_password_file";
    r.error(where(set), fmt::format("daemon.{}", set),
            fmt::format("expected daemon.{} with it (etcd authentication needs both), found none", missing));
  }
}

}  // namespace

void read_daemon(FileReport& r, const toml::node& node, DaemonConfig& daemon) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    type_error(r, node, "daemon", "a table [daemon]");
    return;
  }
  std::vector<std::string_view> names;
  for (const DaemonKeySpec& spec : daemon_key_specs()) names.push_back(spec.name);
  for (auto&& [key, value] : *table) {
    const std::string path = fmt::format("daemon.{}", key.str());
    const auto spec = std::find_if(daemon_key_specs().begin(), daemon_key_specs().end(),
                                   // A copy, not [&key]: Clang 14 (the fuzz build) cannot capture a structured binding.
                                   [name = key.str()](const DaemonKeySpec& s) { return s.name == name; });
    if (spec != daemon_key_specs().end())
      spec->apply(r, value, path, daemon);
    else if (is_cluster_file_key(key.str()))
      r.error(key.source(), path, "expected in [defaults] or a clusters.d/*.toml file, found in [daemon]");
    else
      unknown_key(r, key, path, names);
  }
  check_coordination(r, *table, daemon);
}

}  // namespace mha::config_detail
