// The one table of config keys: where each may be written, how it is read
// into ClusterConfig/ServerConfig/DaemonConfig, and how --check-config shows
// it. Applying a table of keys ([daemon], [defaults], a cluster file, a
// [[server]]) with every misplaced, unknown or MHA-only key reported.
// Internal to common/config/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/config/report.h"

namespace mha::config_detail {

enum class Level { defaults, cluster, server };

// Where a key may be written.
enum class Scope {
  cluster,      // ClusterConfig only: [defaults] or cluster level
  both,         // ClusterConfig, and a server may override it (ssh_user, ssh_key)
  inherit,      // ServerConfig, inherited from cluster level and [defaults]
  server_only,  // one server's identity (host, ip, ...)
  server_flag,  // MHA's per-server flags, never inherited (candidate_master, ...)
};

// What a key is applied to. At [defaults] and cluster level, `server` is the
// template every [[server]] starts from; at server level `cluster` is null.
struct Target {
  ClusterConfig* cluster = nullptr;
  ServerConfig* server = nullptr;
};

struct KeySpec {
  std::string_view name;
  Scope scope;
  void (*apply)(FileReport&, const toml::node&, const std::string& path, Target&);
  std::string (*show_cluster)(const ClusterConfig&);  // null: not shown in [cluster.NAME]
  std::string (*show_server)(const ServerConfig&);    // null: not shown in [[server]]
};

// Every key of a cluster file, [defaults] and [[server]], except the
// structural ones (name, vip, server) handled where they occur; in the order
// --check-config shows them.
const std::vector<KeySpec>& key_specs();

struct DaemonKeySpec {
  std::string_view name;
  void (*apply)(FileReport&, const toml::node&, const std::string& path, DaemonConfig&);
  std::string (*show)(const DaemonConfig&);
};

// Every key of [daemon], in the order --check-config shows them.
const std::vector<DaemonKeySpec>& daemon_key_specs();

// A key of a cluster file (key_specs() or structural).
bool is_cluster_file_key(std::string_view name);

// Reports a key nobody knows here: MHA's ignored keys as a warning, MHA's
// renamed keys and typos as an error naming the key meant.
void unknown_key(FileReport& r, const toml::key& key, const std::string& path,
                 const std::vector<std::string_view>& candidates);

// Applies the keys of a [defaults], cluster or [[server]] table. Structural
// keys at cluster level and `name` at server level are the caller's.
void apply_table(FileReport& r, const toml::table& table, std::string_view prefix, Level level, Target& target);

// Applies the [daemon] table of mhad.toml.
void read_daemon(FileReport& r, const toml::node& node, DaemonConfig& daemon);

}  // namespace mha::config_detail
