// Checking and converting MHA values (see mha_values.h).

#include "ctl/import_mha/mha_values.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <vector>

#include "common/config/toml_text.h"

namespace mha::ctl::import_mha {
namespace {

using config_detail::lowercase;
using config_detail::toml_string;

Converted fail(std::string text) { return Converted{{}, std::move(text)}; }
Converted done(std::string toml) { return Converted{std::move(toml), {}}; }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// The code point starting at text[i] and its length in bytes; nullopt for
// bytes that are not UTF-8 (a file saved as GBK, say).
std::optional<std::pair<char32_t, size_t>> decode(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return std::pair<char32_t, size_t>{lead, 1};
  const size_t length = lead >= 0xF8 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (length == 0 || i + length > text.size()) return std::nullopt;
  char32_t cp = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  return std::pair<char32_t, size_t>{cp, length};
}

// Problems of one IPv4-looking name (digits and dots), or "" if it is fine.
std::string ipv4_problem(std::string_view text) {
  const auto parts = split(text, '.');
  if (parts.size() != 4)
    return fmt::format("{} numbers where an IPv4 address has four", parts.size());
  for (std::string_view part : parts) {
    if (part.empty()) return "an empty number between two dots";
    if (part.size() > 1 && part.front() == '0')
      return fmt::format("'{}' has a leading zero (read as octal by some resolvers)", part);
    if (part.size() > 3 || std::stoi(std::string(part)) > 255) return fmt::format("'{}' is over 255", part);
  }
  return "";
}

bool valid_hostname(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);  // a fully qualified "db1.example.com."
  if (text.empty() || text.size() > 253) return false;
  for (std::string_view label : split(text, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        }))
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> non_ascii_problem(std::string_view text, bool any_non_ascii) {
  for (size_t i = 0; i < text.size();) {
    const auto decoded = decode(text, i);
    if (!decoded)
      return fmt::format("the byte 0x{:02X}, which is not UTF-8; convert the file, e.g. iconv -f GBK -t UTF-8",
                         static_cast<unsigned char>(text[i]));
    const auto [cp, length] = *decoded;
    const std::string shown(text.substr(i, length));
    i += length;
    if (cp < 0x80) continue;
    if (cp >= 0xFF01 && cp <= 0xFF5E)
      return fmt::format("full-width '{}' (U+{:04X}); write the ASCII '{}' instead", shown, static_cast<unsigned>(cp),
                         static_cast<char>(cp - 0xFEE0));
    if (cp == 0x3000)
      return "a full-width space (U+3000); use an ASCII space, or start a comment after the value with ' #'";
    if (any_non_ascii)
      return fmt::format("the non-ASCII character '{}' (U+{:04X}); this value must be ASCII: retype it", shown,
                         static_cast<unsigned>(cp));
  }
  return std::nullopt;
}

Converted convert_host(std::string_view value) {
  constexpr std::string_view expected = "expected a hostname or an IPv4 address (four numbers 0-255)";
  if (value.empty()) return fail(fmt::format("{}, found none", expected));
  if (auto problem = non_ascii_problem(value, true))
    return fail(fmt::format("{}, found {} with {}", expected, toml_string(value), *problem));
  if (value.find(':') != std::string_view::npos) {
    in6_addr address{};
    if (inet_pton(AF_INET6, std::string(value).c_str(), &address) == 1) return done(toml_string(value));
    return fail(fmt::format("{} or IPv6 address, found {}, which is neither; fix the address", expected,
                            toml_string(value)));
  }
  if (std::all_of(value.begin(), value.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    const std::string problem = ipv4_problem(value);
    if (problem.empty()) return done(toml_string(value));
    return fail(fmt::format("{}, found {} ({}); fix the address", expected, toml_string(value), problem));
  }
  if (!valid_hostname(value))
    return fail(fmt::format("{}, found {}: a hostname is dot-separated labels of letters, digits and '-'; fix it",
                            expected, toml_string(value)));
  return done(toml_string(value));
}

Converted convert_port(std::string_view value) {
  if (auto problem = non_ascii_problem(value, true))
    return fail(fmt::format("expected a port number from 1 to 65535, found {}", *problem));
  if (all_digits(value) && value.size() <= 5) {
    const int port = std::stoi(std::string(value));
    if (port >= 1 && port <= 65535) return done(std::to_string(port));
  }
  return fail(fmt::format("expected a port number from 1 to 65535, found {}; write e.g. port=3306", toml_string(value)));
}

Converted convert_seconds(std::string_view value, int min) {
  if (auto problem = non_ascii_problem(value, true))
    return fail(fmt::format("expected whole seconds like 3, found {}", *problem));
  if (all_digits(value) && value.size() <= 9) {
    const int seconds = std::stoi(std::string(value));
    if (seconds >= min) return done(toml_string(fmt::format("{}s", seconds)));
  }
  return fail(fmt::format("expected whole seconds of at least {}, like 3 (MHA's unit), found {}; write a number "
                          "without a unit",
                          min, toml_string(value)));
}

Converted convert_flag(std::string_view value) {
  if (auto problem = non_ascii_problem(value, true)) return fail(fmt::format("expected 0 or 1, found {}", *problem));
  if (value == "0") return done("false");
  if (value == "1") return done("true");
  return fail(fmt::format("expected 0 or 1, found {}; MHA reads any other text as 1, write 1 if that was meant, "
                          "else 0",
                          toml_string(value)));
}

Converted convert_text(std::string_view value, bool ascii_only) {
  if (auto problem = non_ascii_problem(value, ascii_only))
    return fail(fmt::format("expected {}, found {} with {}", ascii_only ? "an ASCII name" : "a path or command",
                            toml_string(value), *problem));
  return done(toml_string(value));
}

Converted convert_dir_list(std::string_view value) {
  if (auto problem = non_ascii_problem(value, false))
    return fail(fmt::format("expected directories separated by commas, found {} with {}", toml_string(value), *problem));
  std::string compact;
  for (char c : value)
    if (c != ' ' && c != '\t') compact += c;
  std::vector<std::string> dirs;
  for (std::string_view dir : split(compact, ','))
    if (!dir.empty()) dirs.push_back(toml_string(dir));
  if (dirs.empty())
    return fail("expected directories separated by commas like /var/lib/mysql, found none; remove the line for "
                "MHA's default (/var/lib/mysql,/var/log/mysql)");
  return done(fmt::format("[{}]", fmt::join(dirs, ", ")));
}

Converted convert_ping_type(std::string_view value) {
  if (auto problem = non_ascii_problem(value, true))
    return fail(fmt::format("expected SELECT, CONNECT or INSERT, found {}", *problem));
  const std::string lower = lowercase(value);
  if (lower == "select" || lower == "connect" || lower == "insert") return done(toml_string(lower));
  return fail(fmt::format("expected SELECT, CONNECT or INSERT, found {}", toml_string(value)));
}

Converted convert_log_level(std::string_view value) {
  if (auto problem = non_ascii_problem(value, true))
    return fail(fmt::format("expected debug, info, notice, warning or error, found {}", *problem));
  const std::string lower = lowercase(value);
  for (std::string_view level : {"debug", "info", "notice", "warning", "error"})
    if (lower == level) return done(toml_string(level));
  return fail(fmt::format("expected debug, info, notice, warning or error (mhad has no higher level), found {}",
                          toml_string(value)));
}

}  // namespace mha::ctl::import_mha
