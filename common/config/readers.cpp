// Typed readers of config values (see readers.h), and the names of the
// config enums.

#include "common/config/readers.h"

#include <arpa/inet.h>

#include <algorithm>
#include <limits>

#include "common/config/toml_text.h"
#include "common/units.h"

namespace mha {

std::string_view data_loss_policy_name(DataLossPolicy policy) {
  return policy == DataLossPolicy::abort ? "abort" : "proceed";
}

std::string_view host_key_checking_name(HostKeyChecking mode) {
  switch (mode) {
    case HostKeyChecking::yes: return "yes";
    case HostKeyChecking::accept_new: return "accept-new";
    case HostKeyChecking::no: return "no";
  }
  return "yes";
}

std::string_view coordination_name(Coordination mode) { return mode == Coordination::etcd ? "etcd" : "none"; }

std::string_view ping_type_name(PingType type) {
  switch (type) {
    case PingType::select: return "select";
    case PingType::connect: return "connect";
    case PingType::insert: return "insert";
  }
  return "select";
}

namespace config_detail {

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

bool is_ipv4_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return false;
  auto number = [](std::string_view digits, int max) {
    if (digits.empty() || digits.size() > 3) return false;
    if (digits.size() > 1 && digits.front() == '0') return false;
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    return value <= max;
  };
  const std::string_view prefix = text.substr(slash + 1);
  if (!number(prefix, 32) || prefix == "0") return false;
  std::string_view address = text.substr(0, slash);
  for (int octet = 0; octet < 4; ++octet) {
    const size_t dot = address.find('.');
    const std::string_view part = octet < 3 ? address.substr(0, dot) : address;
    if ((octet < 3) == (dot == std::string_view::npos)) return false;
    if (!number(part, 255)) return false;
    if (octet < 3) address.remove_prefix(dot + 1);
  }
  return true;
}

std::string describe(const toml::node& node, bool secret) {
  switch (node.type()) {
    case toml::node_type::string:
      return secret ? "a string" : toml_string(node.value_exact<std::string>().value_or(""));
    case toml::node_type::integer:
      return secret ? "an integer" : fmt::format("integer {}", node.value_exact<int64_t>().value_or(0));
    case toml::node_type::floating_point:
      return secret ? "a float" : fmt::format("float {}", node.value_exact<double>().value_or(0.0));
    case toml::node_type::boolean:
      return secret ? "a boolean" : fmt::format("boolean {}", node.value_exact<bool>().value_or(false));
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

void type_error(FileReport& r, const toml::node& node, std::string_view key, std::string_view expected,
                bool secret) {
  r.error(node.source(), key, fmt::format("expected {}, found {}", expected, describe(node, secret)));
}

std::optional<std::string> read_string(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto value = node.value_exact<std::string>()) return value;
  type_error(r, node, key, "a string");
  return std::nullopt;
}

std::optional<std::string> read_nonempty(FileReport& r, const toml::node& node, std::string_view key,
                                         std::string_view expected) {
  auto value = node.value_exact<std::string>();
  if (!value || value->empty()) {
    type_error(r, node, key, expected);
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> read_path(FileReport& r, const toml::node& node, std::string_view key) {
  return read_nonempty(r, node, key, "a path");
}

std::optional<bool> read_bool(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto value = node.value_exact<bool>()) return value;
  type_error(r, node, key, "true or false");
  return std::nullopt;
}

std::optional<int64_t> read_int(FileReport& r, const toml::node& node, std::string_view key, int64_t min,
                                int64_t max, std::string_view what) {
  auto value = node.value_exact<int64_t>();
  if (value && *value >= min && *value <= max) return value;
  if (max >= std::numeric_limits<int>::max())  // "no upper bound" for the int fields
    type_error(r, node, key, fmt::format("{} of at least {}", what, min));
  else
    type_error(r, node, key, fmt::format("{} from {} to {}", what, min, max));
  return std::nullopt;
}

std::optional<uint16_t> read_port(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto value = read_int(r, node, key, 1, 65535, "a port")) return static_cast<uint16_t>(*value);
  return std::nullopt;
}

std::optional<Duration> read_duration(FileReport& r, const toml::node& node, std::string_view key,
                                      bool positive) {
  if (auto number = node.value_exact<int64_t>()) {
    r.error(node.source(), key,
            fmt::format("expected a duration string like \"{}s\", found integer {}", *number >= 0 ? *number : 3,
                        *number));
    return std::nullopt;
  }
  auto text = node.value_exact<std::string>();
  if (!text) {
    type_error(r, node, key, "a duration string like \"3s\"");
    return std::nullopt;
  }
  auto parsed = parse_duration(*text);
  if (!parsed) {
    r.error(node.source(), key, parsed.error().message);
    return std::nullopt;
  }
  if (positive && parsed->count() == 0) {
    r.error(node.source(), key, fmt::format("expected a duration greater than zero, found {}", toml_string(*text)));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<uint64_t> read_size(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto number = node.value_exact<int64_t>()) {
    if (*number >= 0) return static_cast<uint64_t>(*number);
    r.error(node.source(), key, fmt::format("expected a size like \"100MiB\", \"100MB\" or \"4096\", found integer {}", *number));
    return std::nullopt;
  }
  auto text = node.value_exact<std::string>();
  if (!text) {
    type_error(r, node, key, "a size like \"100MiB\", \"100MB\" or \"4096\"");
    return std::nullopt;
  }
  auto parsed = parse_size(*text);
  if (!parsed) {
    r.error(node.source(), key, parsed.error().message);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::vector<std::string>> read_dir_list(FileReport& r, const toml::node& node,
                                                      std::string_view key) {
  std::vector<std::string> dirs;
  auto add = [&dirs](std::string_view text) {
    while (!text.empty()) {
      const size_t comma = text.find(',');
      std::string_view part = text.substr(0, comma);
      while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
      while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
      if (!part.empty()) dirs.emplace_back(part);
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
    }
  };
  if (auto text = node.value_exact<std::string>()) {
    add(*text);
  } else if (const toml::array* array = node.as_array()) {
    bool ok = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (auto item = element.value_exact<std::string>()) {
        add(*item);
      } else {
        type_error(r, element, fmt::format("{}[{}]", key, i), "a directory path");
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
  } else {
    type_error(r, node, key, "an array of directories like [\"/var/lib/mysql\"]");
    return std::nullopt;
  }
  if (dirs.empty()) {
    r.error(node.source(), key, "expected at least one directory like [\"/var/lib/mysql\"], found none");
    return std::nullopt;
  }
  return dirs;
}

std::optional<PingType> read_ping_type(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text) {
    const std::string lower = lowercase(*text);
    for (PingType type : {PingType::select, PingType::connect, PingType::insert})
      if (lower == ping_type_name(type)) return type;
  }
  type_error(r, node, key, R"("select", "connect" or "insert")");
  return std::nullopt;
}

std::optional<HostKeyChecking> read_host_key_checking(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text) {
    const std::string lower = lowercase(*text);
    for (HostKeyChecking mode : {HostKeyChecking::yes, HostKeyChecking::accept_new, HostKeyChecking::no})
      if (lower == host_key_checking_name(mode)) return mode;
  }
  type_error(r, node, key, R"("yes", "accept-new" or "no" (OpenSSH's StrictHostKeyChecking words))");
  return std::nullopt;
}

std::optional<std::string> read_tls_file(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text && !text->empty() && text->front() == '/') return text;
  type_error(r, node, key, "an absolute path to a PEM file (the same path on mhad's host and the servers' hosts)");
  return std::nullopt;
}

std::optional<SslMode> read_ssl_mode(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto text = node.value_exact<std::string>()) {
    const std::string lower = lowercase(*text);
    for (SslMode mode : {SslMode::disabled, SslMode::preferred, SslMode::required, SslMode::verify_ca,
                         SslMode::verify_identity})
      if (lower == ssl_mode_name(mode)) return mode;
  }
  type_error(r, node, key,
             R"("disabled", "preferred", "required", "verify_ca" or "verify_identity" (the MySQL client's --ssl-mode))");
  return std::nullopt;
}

std::optional<DataLossPolicy> read_data_loss_policy(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text) {
    const std::string lower = lowercase(*text);
    for (DataLossPolicy policy : {DataLossPolicy::proceed, DataLossPolicy::abort})
      if (lower == data_loss_policy_name(policy)) return policy;
  }
  type_error(r, node, key, R"("proceed" or "abort")");
  return std::nullopt;
}

std::optional<LogLevel> read_log_level(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text) {
    const std::string lower = lowercase(*text);
    for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::notice, LogLevel::warning, LogLevel::error})
      if (lower == log_level_name(level)) return level;
  }
  type_error(r, node, key, R"("debug", "info", "notice", "warning" or "error")");
  return std::nullopt;
}

std::optional<std::string> read_name(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text && is_valid_name(*text)) return text;
  type_error(r, node, key, k_name_expected);
  return std::nullopt;
}

std::optional<std::string> read_host(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  // Only digits and dots is an IPv4 address or a typo, never a host name
  // (seed 000's "192.1683.74" would otherwise be resolved and fail later).
  if (text && !text->empty() &&
      std::all_of(text->begin(), text->end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; })) {
    in_addr address{};
    if (::inet_pton(AF_INET, text->c_str(), &address) == 1) return text;
    r.error(node.source(), key,
            fmt::format("\"{}\" is not a valid IPv4 address (four numbers 0-255 separated by dots); fix the "
                        "address",
                        *text));
    return std::nullopt;
  }
  if (text && !text->empty() &&
      std::none_of(text->begin(), text->end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '/'; }))
    return text;
  type_error(r, node, key, "a hostname or IP address");
  return std::nullopt;
}

std::optional<std::string> read_listen_address(FileReport& r, const toml::node& node, std::string_view key) {
  // An IPv4 literal, not a name: the exporter binds it as written, and a
  // name that resolves differently tomorrow would move the listener
  // silently. No IPv6: Debian's civetweb (under prometheus-cpp) is built
  // without it.
  auto text = node.value_exact<std::string>();
  if (text && text->empty()) return text;
  if (text) {
    const auto colon = text->rfind(':');
    const std::string host = colon == std::string::npos ? "" : text->substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : text->substr(colon + 1);
    const bool port_ok = !port.empty() && port.size() <= 5 && port.front() != '0' &&
                         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                         std::stoi(port) <= 65535;
    in_addr address{};
    if (port_ok && ::inet_pton(AF_INET, host.c_str(), &address) == 1) return text;
  }
  type_error(r, node, key,
             R"("host:port" with an IPv4 address and a port from 1 to 65535, like "127.0.0.1:9104" (empty: off))");
  return std::nullopt;
}

std::optional<Coordination> read_coordination(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto text = node.value_exact<std::string>())
    for (Coordination mode : {Coordination::none, Coordination::etcd})
      if (lowercase(*text) == coordination_name(mode)) return mode;
  type_error(r, node, key, R"("none" (this mhad acts alone) or "etcd" (one of several acts, elected in etcd))");
  return std::nullopt;
}

namespace {

// "http://host:port" or "https://host:port", nothing after the port: the
// client appends /v3/... itself, and a path here would be silently wrong.
bool is_endpoint_url(std::string_view text) {
  std::string_view rest;
  if (text.rfind("http://", 0) == 0)
    rest = text.substr(7);
  else if (text.rfind("https://", 0) == 0)
    rest = text.substr(8);
  else
    return false;
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.find_first_of("/?#@ ") != std::string_view::npos) return false;
  if (port.empty() || port.size() > 5 || port.front() == '0') return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  return std::stoi(std::string(port)) <= 65535;
}

}  // namespace

std::optional<std::vector<std::string>> read_etcd_endpoints(FileReport& r, const toml::node& node,
                                                            std::string_view key) {
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    type_error(r, node, key, R"(an array of URLs like ["http://10.0.0.5:2379", "http://10.0.0.6:2379"])");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    auto text = element.value_exact<std::string>();
    if (text && is_endpoint_url(*text)) {
      out.push_back(*text);
    } else {
      type_error(r, element, fmt::format("{}[{}]", key, i), R"(a URL "http://HOST:PORT" or "https://HOST:PORT")");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> read_etcd_prefix(FileReport& r, const toml::node& node, std::string_view key) {
  // Every key is PREFIX/CLUSTER/...: a trailing '/' would make "//".
  auto text = node.value_exact<std::string>();
  if (text && text->size() >= 2 && text->front() == '/' && text->back() != '/' &&
      text->find_first_of(" \t\n") == std::string::npos)
    return text;
  type_error(r, node, key, R"(a key prefix starting with '/' and not ending with it, like "/mhad")");
  return std::nullopt;
}

}  // namespace config_detail
}  // namespace mha
