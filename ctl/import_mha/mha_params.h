// Every parameter of MHA's app1.cnf / masterha_default.cnf (MHA 0.58,
// ../shared/reference/mha.md §2) and what it becomes in mhad's cluster file:
// the mhad key (common/config/keys.cpp), how the value is converted, and
// where it may stand; or why mhad has no counterpart. Pure table.
#pragma once

#include <string_view>
#include <vector>

namespace mha::ctl::import_mha {

enum class Kind {
  host,        // hostname or IP, validated
  port,
  seconds,     // MHA's bare seconds -> "3s"
  flag,        // 0/1 -> false/true
  text,        // paths, commands: as they are
  ascii_text,  // user names
  dir_list,    // comma list -> array
  ping_type,
  log_level,
  secret,      // never copied: *_password_file points at a file to create
  ignored,     // no counterpart in mhad: a warning with `why`
};

// Where the mhad key may stand (common/config/keys.h's Scope).
enum class Place {
  cluster,      // one value per cluster
  inherit,      // cluster level, and a [[server]] may override it
  server_only,  // a server's identity: MHA reads it from [serverN] only
  server_flag,  // MHA's per-server flags, never inherited
  none,         // Kind::ignored
};

struct MhaParam {
  std::string_view name;  // MHA's
  std::string_view key;   // mhad's (for a secret, the *_file key)
  Kind kind;
  Place place;
  std::string_view why;   // Kind::ignored: why there is no counterpart
};

// In the order mhad --check-config shows the keys: hostname first among the
// server keys.
const std::vector<MhaParam>& mha_params();

const MhaParam* find_mha_param(std::string_view name);

}  // namespace mha::ctl::import_mha
