// Reading MHA's INI files (see mha_ini.h).

#include "ctl/import_mha/mha_ini.h"

#include <fmt/format.h>

#include "common/config/toml_text.h"

namespace mha::ctl::import_mha {
namespace {

constexpr std::string_view k_ideographic_space = "\xE3\x80\x80";  // U+3000
constexpr std::string_view k_fullwidth_equals = "\xEF\xBC\x9D";   // U+FF1D
constexpr std::string_view k_fullwidth_colon = "\xEF\xBC\x9A";    // U+FF1A

bool starts_with_space(std::string_view text) {
  return !text.empty() && (text.front() == ' ' || text.front() == '\t' || text.starts_with(k_ideographic_space));
}
bool ends_with_space(std::string_view text) {
  return !text.empty() && (text.back() == ' ' || text.back() == '\t' || text.ends_with(k_ideographic_space));
}

// The value without a comment after it: `#` after whitespace, or
// Config::Tiny's own ` ; ` form.
std::string_view strip_comment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    const bool hash = value[i] == '#';
    const bool semicolon = value[i] == ';' && (i + 1 == value.size() || value[i + 1] == ' ' || value[i + 1] == '\t');
    if ((hash || semicolon) && ends_with_space(value.substr(0, i))) return value.substr(0, i);
  }
  if (!value.empty() && value.front() == '#') return {};  // "key= #comment": nothing before the comment
  return value;
}

// MHA strips one pair of quotes around a value.
std::string_view strip_quotes(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
    return value.substr(1, value.size() - 2);
  return value;
}

// A line that holds a password is not quoted back in a message.
std::string shown_line(std::string_view line) {
  if (config_detail::lowercase(line).find("password") != std::string::npos) return "(a line with a password, not shown)";
  return config_detail::toml_string(line);
}

}  // namespace

std::string_view trim_space(std::string_view text) {
  while (starts_with_space(text)) text.remove_prefix(text.front() == ' ' || text.front() == '\t' ? 1 : 3);
  while (ends_with_space(text)) text.remove_suffix(text.back() == ' ' || text.back() == '\t' ? 1 : 3);
  return text;
}

IniFile parse_mha_ini(std::string_view text, const std::string& path, Problems& problems) {
  IniFile file;
  file.path = path;
  size_t current = std::string::npos;  // index into file.sections
  int number = 0;
  while (!text.empty()) {
    ++number;
    const size_t newline = text.find('\n');
    std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string_view line = trim_space(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    if (line.front() == '[') {
      const std::string_view header = trim_space(strip_comment(line));
      if (header.size() < 2 || header.back() != ']') {
        problems.error(path, number,
                       fmt::format("expected a section header like [server1], found {}; close it with ']'",
                                   shown_line(line)));
        continue;
      }
      const std::string name(trim_space(header.substr(1, header.size() - 2)));
      current = std::string::npos;
      for (size_t i = 0; i < file.sections.size(); ++i)
        if (file.sections[i].name == name) current = i;
      if (current != std::string::npos) {
        problems.warning(path, number,
                         fmt::format("[{}] again (first at line {}): read as one block, later values win, as in MHA",
                                     name, file.sections[current].line));
      } else {
        file.sections.push_back(IniSection{name, number, {}});
        current = file.sections.size() - 1;
      }
      continue;
    }

    const size_t equals = line.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      std::string fix = "write KEY=VALUE, a [section] header, or start the line with '#'";
      if (line.find(k_fullwidth_equals) != std::string_view::npos)
        fix = "the line has a full-width '\xEF\xBC\x9D' (U+FF1D) where MHA needs '=': replace it with '='";
      else if (line.find(k_fullwidth_colon) != std::string_view::npos)
        fix = "the line has a full-width '\xEF\xBC\x9A' (U+FF1A) where MHA needs '=': replace it with '='";
      else if (line.find(':') != std::string_view::npos)
        fix = "MHA needs '=' between key and value, not ':'";
      problems.error(path, number,
                     fmt::format("expected KEY=VALUE, found {}; {}", equals == 0 ? "no key before '='" : shown_line(line),
                                 fix));
      continue;
    }
    IniEntry entry;
    entry.key = std::string(trim_space(line.substr(0, equals)));
    entry.value = std::string(strip_quotes(trim_space(strip_comment(trim_space(line.substr(equals + 1))))));
    entry.line = number;
    if (current == std::string::npos) {
      file.sections.push_back(IniSection{"", number, {}});
      current = file.sections.size() - 1;
    }
    auto& entries = file.sections[current].entries;
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->key != entry.key) continue;
      problems.warning(path, number,
                       fmt::format("{}: set again (first at line {}): this value wins, as in MHA", entry.key, it->line));
      entries.erase(it);
      break;
    }
    entries.push_back(std::move(entry));
  }
  return file;
}

}  // namespace mha::ctl::import_mha
