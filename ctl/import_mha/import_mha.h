// `mhactl import-mha FILE [--default PATH]`: MHA's app file (and its global
// default file) in, mhad's cluster TOML and the problems found out. Runs
// locally, without mhad. On any error there is no TOML at all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha::ctl::import_mha {

inline constexpr std::string_view k_mha_default_file = "/etc/masterha_default.cnf";  // MHA's $DEFAULT_GLOBAL_CONF

struct ImportResult {
  std::string toml;                   // empty when refused
  std::vector<std::string> messages;  // for stderr, one line each
  int exit_status = 0;                // 0 written (warnings allowed), 1 refused or unreadable
};

// Pure: the texts as read. `global_path` null: no default file.
ImportResult import_mha_text(const std::string& app_path, std::string_view app_text, const std::string* global_path,
                             std::string_view global_text);

// Reads the files. `default_file` nullopt: k_mha_default_file if it exists
// (as MHA: a missing default file is skipped), else that file, which must exist.
ImportResult import_mha_files(const std::string& app_path, const std::optional<std::string>& default_file);

}  // namespace mha::ctl::import_mha
