// MHA's configuration files (app1.cnf, /etc/masterha_default.cnf) read as
// MHA reads them with Config::Tiny: `[section]` headers, `key=value` lines,
// whitespace around both, quotes around a value stripped, `#` and `;`
// comment lines. Also what people write in them that Config::Tiny would
// have taken as part of the value: a comment after the value (a `#` that
// follows whitespace; a `#` inside a word, as in a password `ab#c`, stays),
// and full-width spaces (U+3000) around the value, as in the seed guides.
// Pure: text in, sections and problems out. mhactl import-mha only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ctl/import_mha/problems.h"

namespace mha::ctl::import_mha {

struct IniEntry {
  std::string key;
  std::string value;  // trimmed, comment and quotes removed
  int line = 0;
};

struct IniSection {
  std::string name;  // "" for keys before the first [section]
  int line = 0;      // of the header; for "", of the first key
  std::vector<IniEntry> entries;
};

struct IniFile {
  std::string path;  // as the user named it, for messages
  std::vector<IniSection> sections;  // in file order; a repeated header is merged into the first
};

// Problems are reported against `path`. A line that is neither a comment,
// a header nor key=value is an error; a key set twice in one section is a
// warning (the later value wins, as in MHA).
IniFile parse_mha_ini(std::string_view text, const std::string& path, Problems& problems);

// ASCII whitespace and U+3000 (ideographic space) trimmed from both ends.
std::string_view trim_space(std::string_view text);

}  // namespace mha::ctl::import_mha
