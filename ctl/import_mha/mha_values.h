// MHA parameter values checked and turned into mhad's TOML values: hostnames
// and IPv4 addresses, ports, MHA's 0/1 flags, bare seconds into duration
// strings ("1" -> "1s"), comma lists into arrays, ping_type and log_level
// into mhad's words. A value that MHA could not have meant is refused with
// what was expected, what was found and the fix. Pure. mhactl import-mha only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mha::ctl::import_mha {

// A TOML value (literal text), or the error after "KEY: ".
struct Converted {
  std::string toml;
  std::string error;
  bool ok() const { return error.empty(); }
};

// A hostname (RFC 1123 labels; '_' tolerated), an IPv4 address, or an IPv6
// address. A name of digits and dots only must be a valid IPv4 address:
// four numbers 0-255 without leading zeros ("192.1683.74" is refused).
Converted convert_host(std::string_view value);
Converted convert_port(std::string_view value);
// Whole seconds, at least `min`: "3" -> "3s".
Converted convert_seconds(std::string_view value, int min);
// MHA's 0 or 1 -> false or true.
Converted convert_flag(std::string_view value);
// A string as it is; `ascii_only`: any non-ASCII character is refused (user
// names), else only full-width forms and full-width spaces (paths, scripts).
Converted convert_text(std::string_view value, bool ascii_only);
// "/a/, /b" -> ["/a/", "/b"] (MHA removes every space).
Converted convert_dir_list(std::string_view value);
// SELECT / CONNECT / INSERT, any case -> "select" / ...
Converted convert_ping_type(std::string_view value);
// debug, info, notice, warning, error (MHA's Log::Dispatch also knew
// critical, alert, emergency: mhad's highest is error).
Converted convert_log_level(std::string_view value);

// The first character an ASCII value cannot hold, as
// "full-width '１' (U+FF11); write '1' instead", or nullopt. With
// `any_non_ascii` false only full-width forms (U+FF01-U+FF5E) and U+3000
// are reported.
std::optional<std::string> non_ascii_problem(std::string_view text, bool any_non_ascii);

}  // namespace mha::ctl::import_mha
