// Passwords in the config: inline (`password = "..."`) or from a file that
// only its owner may access (`password_file`, chmod 600). A secret's content
// never reaches a message. Internal to common/config/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"
#include "common/config/report.h"

namespace mha::config_detail {

std::optional<Secret> read_secret(FileReport& r, const toml::node& node, std::string_view key);

struct SecretFile {
  std::string path;  // as resolved
  Secret secret;
};

// The password in the file `node` names (relative to the config file's
// directory): the whole file minus one trailing newline. Refused unless it is
// a regular file (not a symlink), owned by mhad's user or root, and only its
// owner may read or write it; checked on the descriptor it is read from.
std::optional<SecretFile> read_secret_file(FileReport& r, const toml::node& node, std::string_view key);

}  // namespace mha::config_detail
