// MHA's configuration (the global default file, then the app file, as MHA
// layers them: a server's own value, else the app file's [server default],
// else the global file's, else the built-in default) mapped onto one mhad
// cluster: the keys of clusters.d/NAME.toml, each with the MHA line it came
// from. Warns for every parameter without a counterpart; refuses what is
// broken (a malformed host, a value MHA would not take, a server without a
// hostname, two servers on one ip:port, a per-cluster key that differs
// between servers). Passwords never reach the result or a message: a
// password becomes a *_password_file key and a warning with the command that
// creates the file. Pure. mhactl import-mha only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ctl/import_mha/mha_ini.h"
#include "ctl/import_mha/problems.h"

namespace mha::ctl::import_mha {

struct TomlEntry {
  std::string key;     // mhad's
  std::string value;   // TOML literal
  std::string origin;  // "app1.cnf:387 ping_interval=1" (a password's value is never shown)
};

struct TomlServer {
  std::string name;    // the MHA block name: server1
  std::string origin;  // "app1.cnf:397 [server1]"
  std::vector<TomlEntry> entries;
};

struct ImportedCluster {
  std::string name;                  // the app file's stem: the clusters.d file to write
  std::vector<std::string> sources;  // the files read, as named
  std::vector<TomlEntry> entries;    // cluster level, in --check-config order
  std::vector<TomlServer> servers;   // in MHA's order (its tie-break order, as mhad's config order is)
};

// Where a cluster's password files are expected: DIR/NAME.password, DIR/NAME.repl.
inline constexpr std::string_view k_secrets_dir = "/etc/mhad";

// `global` may be null (no default file). Nullopt when anything was refused.
std::optional<ImportedCluster> map_mha_config(const IniFile* global, const IniFile& app, const std::string& name,
                                              Problems& problems);

}  // namespace mha::ctl::import_mha
