// Loading mhad.toml and clusters.d/*.toml into Config, and rendering it back.
// The one file that includes toml++: its exceptions stop here.
//
// Order of resolution for every value (see config.h): the server's own value,
// then the cluster file's, then mhad.toml's [defaults], then the built-in
// default in config.h. Implemented by copying: [defaults] is applied onto a
// default ClusterConfig and a "template" ServerConfig, each cluster file onto
// copies of those, each [[server]] onto a copy of its cluster's template.

#include "common/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <toml++/toml.h>

#include "common/result.h"
#include "common/units.h"

namespace mha {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_masked = "********";

// ---------------------------------------------------------------------------
// Text helpers

// A TOML basic string: also how values are quoted in messages.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04X}", c);
        else
          out += ch;
    }
  }
  out += '"';
  return out;
}

bool is_bare_key(std::string_view key) {
  if (key.empty()) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::string toml_key(std::string_view key) { return is_bare_key(key) ? std::string(key) : toml_string(key); }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Optimal string alignment distance: a swap of two letters counts as one.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The closest of `candidates` to `key` if it is close enough to be a typo:
// distance <= 2 (<= 1 for keys of three letters or fewer), ignoring case.
std::optional<std::string_view> closest_key(std::string_view key, const std::vector<std::string_view>& candidates) {
  const std::string lower = lowercase(key);
  const size_t limit = key.size() <= 3 ? 1 : 2;
  std::optional<std::string_view> best;
  size_t best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    const size_t distance = edit_distance(lower, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// Names that go on an mhactl command line: letters, digits, '-', '_', '.';
// not starting with '-' (it would read as an option).
bool is_valid_name(std::string_view name) {
  if (name.empty() || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// "a.b.c.d/nn" with every octet 0-255 (no leading zeros) and nn 1-32.
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

// ---------------------------------------------------------------------------
// Problems of one file

struct Diag {
  uint32_t line = 0;  // 0: about the file as a whole
  uint32_t column = 0;
  std::string text;
};

// Problems found in one file, handed over in the order they appear in it.
class FileReport {
 public:
  FileReport(std::string file, fs::path dir) : m_file(std::move(file)), m_dir(std::move(dir)) {}

  const std::string& file() const { return m_file; }
  const fs::path& dir() const { return m_dir; }  // base of relative paths written in this file
  bool has_errors() const { return !m_errors.empty(); }

  void error(const toml::source_region& where, std::string_view key, std::string_view message) {
    error_at(where.begin.line, where.begin.column, key, message);
  }
  void error_at(uint32_t line, uint32_t column, std::string_view key, std::string_view message) {
    m_errors.push_back({line, column, fmt::format("{}:{}:{}: {}: {}", m_file, line, column, key, message)});
  }
  void file_error(std::string_view message) { m_errors.push_back({0, 0, fmt::format("{}: {}", m_file, message)}); }
  void warning(const toml::source_region& where, std::string_view key, std::string_view message) {
    m_warnings.push_back({where.begin.line, where.begin.column,
                          fmt::format("{}:{}:{}: {}: {}", m_file, where.begin.line, where.begin.column, key, message)});
  }

  void hand_over(ConfigLoad& out) {
    auto by_position = [](const Diag& a, const Diag& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    };
    std::stable_sort(m_errors.begin(), m_errors.end(), by_position);
    std::stable_sort(m_warnings.begin(), m_warnings.end(), by_position);
    for (Diag& diag : m_errors) out.errors.push_back(std::move(diag.text));
    for (Diag& diag : m_warnings) out.warnings.push_back(std::move(diag.text));
    m_errors.clear();
    m_warnings.clear();
  }

 private:
  std::string m_file;
  fs::path m_dir;
  std::vector<Diag> m_errors;
  std::vector<Diag> m_warnings;
};

// ---------------------------------------------------------------------------
// Typed values. Each reader reports a problem itself and returns nullopt.

// What a node holds, for "found ...". Secrets show the type only.
std::string describe(const toml::node& node, bool secret = false) {
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
                bool secret = false) {
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
                                int64_t max, std::string_view what = "an integer") {
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

// A duration string. A bare integer is what an MHA user writes
// (ping_interval=3, in seconds): refused, with the string to write instead.
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

// A size string, or an integer number of bytes.
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

// An array of strings, or MHA's comma-separated single string.
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

constexpr std::string_view k_name_expected = "a name of letters, digits, '-', '_' and '.', not starting with '-'";

std::optional<std::string> read_name(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text && is_valid_name(*text)) return text;
  type_error(r, node, key, k_name_expected);
  return std::nullopt;
}

std::optional<std::string> read_host(FileReport& r, const toml::node& node, std::string_view key) {
  auto text = node.value_exact<std::string>();
  if (text && !text->empty() &&
      std::none_of(text->begin(), text->end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '/'; }))
    return text;
  type_error(r, node, key, "a hostname or IP address");
  return std::nullopt;
}

std::optional<Secret> read_secret(FileReport& r, const toml::node& node, std::string_view key) {
  if (auto value = node.value_exact<std::string>()) return Secret(std::move(*value));
  type_error(r, node, key, "a string", /*secret=*/true);
  return std::nullopt;
}

// The password in `path` (relative to the config file's directory): the
// whole file minus one trailing newline. Refused unless only its owner may
// read or write it. The content never reaches a message.
struct SecretFile {
  std::string path;  // as resolved
  Secret secret;
};

std::optional<SecretFile> read_secret_file(FileReport& r, const toml::node& node, std::string_view key) {
  auto written = read_path(r, node, key);
  if (!written) return std::nullopt;
  fs::path path(*written);
  if (path.is_relative() && !r.dir().empty()) path = r.dir() / path;
  const std::string shown = path.string();
  auto fail = [&](std::string_view expected, std::string_view found) {
    r.error(node.source(), key, fmt::format("expected {}, found {}", expected, found));
    return std::nullopt;
  };
  struct stat st {};
  if (::stat(shown.c_str(), &st) != 0)
    return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("a readable password file", fmt::format("{}: not a regular file", shown));
  if ((st.st_mode & 077) != 0) {
    const std::string_view access = (st.st_mode & 044) != 0   ? "readable"
                                    : (st.st_mode & 022) != 0 ? "writable"
                                                              : "accessible";
    return fail("a password file only its owner can access",
                fmt::format("{}: mode {:04o} is {} by group/other; run: chmod 600 {}", shown, st.st_mode & 07777,
                            access, shown));
  }
  std::FILE* file = std::fopen(shown.c_str(), "rb");
  if (file == nullptr)
    return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(errno)));
  std::string content;
  char buffer[4096];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) content.append(buffer, got);
  const bool read_failed = std::ferror(file) != 0;
  const int read_errno = errno;
  std::fclose(file);
  if (read_failed) return fail("a readable password file", fmt::format("{}: {}", shown, std::strerror(read_errno)));
  if (!content.empty() && content.back() == '\n') {
    content.pop_back();
    if (!content.empty() && content.back() == '\r') content.pop_back();
  }
  return SecretFile{shown, Secret(std::move(content))};
}

// ---------------------------------------------------------------------------
// Keys

enum class Level { defaults, cluster, server };

std::string_view level_place(Level level) {
  switch (level) {
    case Level::defaults: return "in [defaults]";
    case Level::cluster: return "at cluster level";
    case Level::server: return "in a [[server]] table";
  }
  return "";
}

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

using Apply = void (*)(FileReport&, const toml::node&, const std::string&, Target&);

struct KeySpec {
  std::string_view name;
  Scope scope;
  Apply apply;
};

template <auto Member>
void cluster_string(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_string(r, n, k)) t.cluster->*Member = std::move(*v);
}
template <auto Member>
void cluster_bool(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_bool(r, n, k)) t.cluster->*Member = *v;
}
template <auto Member, bool Positive>
void cluster_duration(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_duration(r, n, k, Positive)) t.cluster->*Member = *v;
}
template <auto Member, int64_t Min, int64_t Max>
void cluster_int(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_int(r, n, k, Min, Max)) t.cluster->*Member = static_cast<int>(*v);
}
// Secret and its file: setting one clears the other, so a cluster's
// password overrides a password_file from [defaults] and vice versa.
template <auto SecretMember, auto FileMember>
void cluster_secret(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_secret(r, n, k)) {
    t.cluster->*SecretMember = std::move(*v);
    (t.cluster->*FileMember).clear();
  }
}
template <auto SecretMember, auto FileMember>
void cluster_secret_file(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_secret_file(r, n, k)) {
    t.cluster->*SecretMember = std::move(v->secret);
    t.cluster->*FileMember = std::move(v->path);
  }
}
template <auto Member>
void server_string(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_string(r, n, k)) t.server->*Member = std::move(*v);
}
template <auto Member>
void server_path(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_path(r, n, k)) t.server->*Member = std::move(*v);
}
template <auto Member>
void server_host(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_host(r, n, k)) t.server->*Member = std::move(*v);
}
template <auto Member>
void server_bool(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_bool(r, n, k)) t.server->*Member = *v;
}
template <auto Member>
void server_port(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_port(r, n, k)) t.server->*Member = *v;
}
template <auto Member>
void server_duration(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_duration(r, n, k, true)) t.server->*Member = *v;
}
// ssh_user / ssh_key: the cluster's value, which is also every server's default.
template <auto ClusterMember, auto ServerMember, bool Path>
void both_string(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  auto v = Path ? read_path(r, n, k) : read_nonempty(r, n, k, "a user name");
  if (!v) return;
  if (t.cluster != nullptr) t.cluster->*ClusterMember = *v;
  t.server->*ServerMember = std::move(*v);
}

void set_ping_type(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_ping_type(r, n, k)) t.cluster->ping_type = *v;
}
void set_data_loss_policy(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_data_loss_policy(r, n, k)) t.cluster->on_possible_data_loss = *v;
}
void set_log_level(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_log_level(r, n, k)) t.cluster->log_level = *v;
}
void set_max_relay_lag(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_size(r, n, k)) t.cluster->max_relay_lag_bytes = *v;
}
void set_binlog_dirs(FileReport& r, const toml::node& n, const std::string& k, Target& t) {
  if (auto v = read_dir_list(r, n, k)) t.server->master_binlog_dir = std::move(*v);
}

constexpr int64_t k_int_max = std::numeric_limits<int>::max();

// Every key of a cluster file, [defaults] and [[server]], except the
// structural ones (name, vip, server) handled where they occur.
const std::vector<KeySpec>& key_specs() {
  using C = ClusterConfig;
  using S = ServerConfig;
  static const std::vector<KeySpec> specs = {
      {"user", Scope::cluster, cluster_string<&C::user>},
      {"password", Scope::cluster, cluster_secret<&C::password, &C::password_file>},
      {"password_file", Scope::cluster, cluster_secret_file<&C::password, &C::password_file>},
      {"repl_user", Scope::cluster, cluster_string<&C::repl_user>},
      {"repl_password", Scope::cluster, cluster_secret<&C::repl_password, &C::repl_password_file>},
      {"repl_password_file", Scope::cluster, cluster_secret_file<&C::repl_password, &C::repl_password_file>},
      {"ping_interval", Scope::cluster, cluster_duration<&C::ping_interval, true>},
      {"ping_type", Scope::cluster, set_ping_type},
      {"ping_failures", Scope::cluster, cluster_int<&C::ping_failures, 1, k_int_max>},
      {"connect_timeout", Scope::cluster, cluster_duration<&C::connect_timeout, true>},
      {"read_timeout", Scope::cluster, cluster_duration<&C::read_timeout, true>},
      {"frozen_master_timeout", Scope::cluster, cluster_duration<&C::frozen_master_timeout, true>},
      {"min_failover_interval", Scope::cluster, cluster_duration<&C::min_failover_interval, false>},
      {"auto_failover", Scope::cluster, cluster_bool<&C::auto_failover>},
      {"on_possible_data_loss", Scope::cluster, set_data_loss_policy},
      {"keep_ssh_session", Scope::cluster, cluster_bool<&C::keep_ssh_session>},
      {"running_seconds_limit", Scope::cluster, cluster_duration<&C::running_seconds_limit, false>},
      {"running_updates_limit", Scope::cluster, cluster_int<&C::running_updates_limit, 0, k_int_max>},
      {"seconds_behind_master", Scope::cluster, cluster_duration<&C::seconds_behind_master, false>},
      {"max_relay_lag_bytes", Scope::cluster, set_max_relay_lag},
      {"check_repl_filter", Scope::cluster, cluster_bool<&C::check_repl_filter>},
      {"latest_priority", Scope::cluster, cluster_bool<&C::latest_priority>},
      {"multi_tier_slave", Scope::cluster, cluster_bool<&C::multi_tier_slave>},
      {"use_gtid_auto_pos", Scope::cluster, cluster_bool<&C::use_gtid_auto_pos>},
      {"log_level", Scope::cluster, set_log_level},
      {"secondary_check_script", Scope::cluster, cluster_string<&C::secondary_check_script>},
      {"master_ip_failover_script", Scope::cluster, cluster_string<&C::master_ip_failover_script>},
      {"master_ip_online_change_script", Scope::cluster, cluster_string<&C::master_ip_online_change_script>},
      {"shutdown_script", Scope::cluster, cluster_string<&C::shutdown_script>},
      {"report_script", Scope::cluster, cluster_string<&C::report_script>},

      {"ssh_user", Scope::both, both_string<&C::ssh_user, &S::ssh_user, false>},
      {"ssh_key", Scope::both, both_string<&C::ssh_key, &S::ssh_key, true>},

      {"port", Scope::inherit, server_port<&S::port>},
      {"ssh_port", Scope::inherit, server_port<&S::ssh_port>},
      {"ssh_options", Scope::inherit, server_string<&S::ssh_options>},
      {"ssh_connection_timeout", Scope::inherit, server_duration<&S::ssh_connection_timeout>},
      {"check_repl_delay", Scope::inherit, server_bool<&S::check_repl_delay>},
      {"master_binlog_dir", Scope::inherit, set_binlog_dirs},
      {"remote_workdir", Scope::inherit, server_path<&S::remote_workdir>},
      {"master_pid_file", Scope::inherit, server_string<&S::master_pid_file>},
      {"client_bindir", Scope::inherit, server_string<&S::client_bindir>},
      {"client_libdir", Scope::inherit, server_string<&S::client_libdir>},
      {"disable_log_bin", Scope::inherit, server_bool<&S::disable_log_bin>},
      {"skip_reset_slave", Scope::inherit, server_bool<&S::skip_reset_slave>},

      {"host", Scope::server_only, server_host<&S::host>},
      {"ip", Scope::server_only, server_host<&S::ip>},
      {"ssh_host", Scope::server_only, server_host<&S::ssh_host>},
      {"node_label", Scope::server_only, server_string<&S::node_label>},

      {"candidate_master", Scope::server_flag, server_bool<&S::candidate_master>},
      {"no_master", Scope::server_flag, server_bool<&S::no_master>},
      {"ignore_fail", Scope::server_flag, server_bool<&S::ignore_fail>},
      {"skip_init_ssh_check", Scope::server_flag, server_bool<&S::skip_init_ssh_check>},
  };
  return specs;
}

const KeySpec* find_spec(std::string_view name) {
  for (const KeySpec& spec : key_specs())
    if (spec.name == name) return &spec;
  return nullptr;
}

// Keys of a cluster file handled outside key_specs().
constexpr std::array<std::string_view, 3> k_structural_keys = {"name", "vip", "server"};

bool is_cluster_file_key(std::string_view name) {
  return find_spec(name) != nullptr ||
         std::find(k_structural_keys.begin(), k_structural_keys.end(), name) != k_structural_keys.end();
}

// MHA parameters mhad has no use for: a warning, so that an imported
// app1.cnf loads.
struct IgnoredKey {
  std::string_view name;
  std::string_view reason;
};
constexpr std::array<IgnoredKey, 5> k_mha_ignored = {{
    {"manager_workdir", "state lives in [daemon] state_dir"},
    {"manager_log", "logs go to the journal"},
    {"handle_raw_binlog", "binlog events are always saved as they are, as with MHA's default"},
    {"init_conf_load_script", "all settings come from the config files"},
    {"ssh_ip", "MHA never read it either; ssh connects to ssh_host"},
}};

// MHA names that mhad spells differently: an error naming the new key.
struct RenamedKey {
  std::string_view mha_name;
  std::string_view name;
};
constexpr std::array<RenamedKey, 2> k_mha_renamed = {{
    {"hostname", "host"},
    {"last_failover_minute", "min_failover_interval"},
}};

// Reports a key nobody knows here; true if it was one of MHA's (handled).
bool handle_foreign_key(FileReport& r, const toml::key& key, const std::string& path) {
  for (const IgnoredKey& ignored : k_mha_ignored) {
    if (ignored.name == key.str()) {
      r.warning(key.source(), path,
                fmt::format("MHA key '{}' is not used by mhad: {}, ignoring", ignored.name, ignored.reason));
      return true;
    }
  }
  for (const RenamedKey& renamed : k_mha_renamed) {
    if (renamed.mha_name == key.str()) {
      r.error(key.source(), path,
              fmt::format("expected a known key, found MHA's name for '{}'; did you mean '{}'?", renamed.name,
                          renamed.name));
      return true;
    }
  }
  return false;
}

void unknown_key(FileReport& r, const toml::key& key, const std::string& path,
                 const std::vector<std::string_view>& candidates) {
  if (handle_foreign_key(r, key, path)) return;
  if (auto suggestion = closest_key(key.str(), candidates))
    r.error(key.source(), path,
            fmt::format("expected a known key, found an unknown key; did you mean '{}'?", *suggestion));
  else
    r.error(key.source(), path, "expected a known key, found an unknown key");
}

// Applies the keys of a [defaults], cluster or [[server]] table. Structural
// keys at cluster level and `name` at server level are the caller's.
void apply_table(FileReport& r, const toml::table& table, std::string_view prefix, Level level, Target& target) {
  // password and password_file in one table: which one was meant is a guess.
  std::set<std::string_view> skip;
  if (level != Level::server) {
    for (auto [secret, file] : {std::pair<std::string_view, std::string_view>{"password", "password_file"},
                                {"repl_password", "repl_password_file"}}) {
      const toml::node* secret_node = table.get(secret);
      const toml::node* file_node = table.get(file);
      if (secret_node == nullptr || file_node == nullptr) continue;
      r.error(file_node->source(), fmt::format("{}{}", prefix, file),
              fmt::format("expected either {} or {}, found both ({} at line {})", secret, file, secret,
                          secret_node->source().begin.line));
      skip.insert(secret);
      skip.insert(file);
    }
  }
  for (auto&& [key, node] : table) {
    const std::string path = fmt::format("{}{}", prefix, key.str());
    if (skip.count(key.str()) != 0) continue;
    const bool structural =
        std::find(k_structural_keys.begin(), k_structural_keys.end(), key.str()) != k_structural_keys.end();
    if (structural) {
      if (level == Level::cluster || (level == Level::server && key.str() == "name")) continue;
      if (level == Level::defaults)
        r.error(key.source(), path, "expected in a clusters.d/*.toml file, found in [defaults]");
      else
        r.error(key.source(), path, "expected at cluster level, found in a [[server]] table");
      continue;
    }
    const KeySpec* spec = find_spec(key.str());
    if (spec == nullptr) {
      std::vector<std::string_view> candidates;
      for (const KeySpec& s : key_specs()) candidates.push_back(s.name);
      if (level == Level::cluster) candidates.insert(candidates.end(), k_structural_keys.begin(), k_structural_keys.end());
      if (level == Level::server) candidates.push_back("name");
      unknown_key(r, key, path, candidates);
      continue;
    }
    if (level == Level::server && spec->scope == Scope::cluster) {
      r.error(key.source(), path, "expected at cluster level (one value per cluster), found in a [[server]] table");
      continue;
    }
    if (level != Level::server && spec->scope == Scope::server_flag) {
      r.error(key.source(), path,
              fmt::format("expected in a [[server]] table (per server and not inherited, as in MHA), found {}",
                          level_place(level)));
      continue;
    }
    if (level != Level::server && spec->scope == Scope::server_only) {
      r.error(key.source(), path, fmt::format("expected in a [[server]] table, found {}", level_place(level)));
      continue;
    }
    spec->apply(r, node, path, target);
  }
}

// ---------------------------------------------------------------------------
// mhad.toml

constexpr std::array<std::string_view, 5> k_daemon_keys = {"socket", "state_dir", "admin_group", "worker_threads",
                                                           "log_level"};

void read_daemon(FileReport& r, const toml::node& node, DaemonConfig& daemon) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    type_error(r, node, "daemon", "a table [daemon]");
    return;
  }
  for (auto&& [key, value] : *table) {
    const std::string path = fmt::format("daemon.{}", key.str());
    if (key.str() == "socket") {
      if (auto v = read_path(r, value, path)) daemon.socket = std::move(*v);
    } else if (key.str() == "state_dir") {
      if (auto v = read_path(r, value, path)) daemon.state_dir = std::move(*v);
    } else if (key.str() == "admin_group") {
      if (auto v = read_nonempty(r, value, path, "a group name")) daemon.admin_group = std::move(*v);
    } else if (key.str() == "worker_threads") {
      if (auto v = read_int(r, value, path, 1, 1024)) daemon.worker_threads = static_cast<int>(*v);
    } else if (key.str() == "log_level") {
      if (auto v = read_log_level(r, value, path)) daemon.log_level = *v;
    } else if (is_cluster_file_key(key.str())) {
      r.error(key.source(), path, "expected in [defaults] or a clusters.d/*.toml file, found in [daemon]");
    } else {
      unknown_key(r, key, path, {k_daemon_keys.begin(), k_daemon_keys.end()});
    }
  }
}

struct Defaults {
  ClusterConfig cluster;
  ServerConfig server;  // template for every [[server]]
};

Defaults builtin_defaults() {
  Defaults defaults;
  defaults.server.ssh_user = defaults.cluster.ssh_user;
  return defaults;
}

void read_main(FileReport& r, const toml::table& root, DaemonConfig& daemon, Defaults& defaults) {
  for (auto&& [key, node] : root) {
    const std::string path(key.str());
    if (key.str() == "daemon") {
      read_daemon(r, node, daemon);
    } else if (key.str() == "defaults") {
      const toml::table* table = node.as_table();
      if (table == nullptr) {
        type_error(r, node, "defaults", "a table [defaults]");
        continue;
      }
      Target target{&defaults.cluster, &defaults.server};
      apply_table(r, *table, "defaults.", Level::defaults, target);
    } else if (is_cluster_file_key(key.str())) {
      r.error(key.source(), path,
              "expected in [defaults] or a clusters.d/*.toml file, found at the top level of mhad.toml");
    } else {
      unknown_key(r, key, path, {"daemon", "defaults"});
    }
  }
}

// ---------------------------------------------------------------------------
// clusters.d/*.toml

std::optional<VipConfig> read_vip(FileReport& r, const toml::node& node) {
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    type_error(r, node, "vip", "a table [vip]");
    return std::nullopt;
  }
  VipConfig vip;
  bool ok = true;
  constexpr std::string_view k_address_expected = R"(an IPv4 address with prefix length like "192.168.3.100/24")";
  constexpr std::string_view k_interface_expected = R"(a network interface name like "enp0s3")";
  for (auto&& [key, value] : *table) {
    const std::string path = fmt::format("vip.{}", key.str());
    if (key.str() == "address") {
      auto text = value.value_exact<std::string>();
      if (text && is_ipv4_cidr(*text)) {
        vip.address = *text;
      } else {
        type_error(r, value, path, k_address_expected);
        ok = false;
      }
    } else if (key.str() == "interface") {
      // Linux: at most 15 bytes, no '/', no whitespace.
      auto text = value.value_exact<std::string>();
      if (text && !text->empty() && text->size() <= 15 &&
          std::none_of(text->begin(), text->end(), [](char c) { return c == '/' || c == ' ' || c == '\t' || c == ':'; })) {
        vip.interface = *text;
      } else {
        type_error(r, value, path, k_interface_expected);
        ok = false;
      }
    } else if (key.str() == "arping") {
      if (auto v = read_bool(r, value, path))
        vip.arping = *v;
      else
        ok = false;
    } else {
      unknown_key(r, key, path, {"address", "interface", "arping"});
      ok = false;
    }
  }
  if (!table->contains("address")) {
    r.error(table->source(), "vip.address", fmt::format("expected {}, found none", k_address_expected));
    ok = false;
  }
  if (!table->contains("interface")) {
    r.error(table->source(), "vip.interface", fmt::format("expected {}, found none", k_interface_expected));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return vip;
}

// Where a server's name and host were written, for duplicate reports.
struct ServerPlaces {
  toml::source_region name;
  toml::source_region host;
};

std::optional<ServerConfig> read_server(FileReport& r, const toml::table& table, size_t index,
                                        const ServerConfig& tmpl, ServerPlaces& places) {
  const std::string prefix = fmt::format("server[{}].", index);
  ServerConfig server = tmpl;
  bool ok = true;
  if (const toml::node* name = table.get("name")) {
    places.name = name->source();
    if (auto v = read_name(r, *name, prefix + "name"))
      server.name = std::move(*v);
    else
      ok = false;
  } else {
    r.error(table.source(), prefix + "name", R"(expected a server name like "slave1", found none)");
    ok = false;
  }
  if (const toml::node* host = table.get("host")) {
    places.host = host->source();
  } else if (!table.contains("hostname")) {  // MHA's name: reported as such below
    r.error(table.source(), prefix + "host", "expected a hostname or IP address, found none");
    ok = false;
  }
  Target target{nullptr, &server};
  apply_table(r, table, prefix, Level::server, target);
  if (server.ip.empty()) server.ip = server.host;
  if (server.ssh_host.empty()) server.ssh_host = server.host;
  if (server.candidate_master && server.no_master) {
    r.error(table.get("no_master")->source(), prefix + "no_master",
            "expected at most one of candidate_master and no_master, found both true");
    ok = false;
  }
  if (!ok || server.host.empty()) return std::nullopt;
  return server;
}

struct ClusterRead {
  ClusterConfig cluster;
  std::optional<toml::source_region> name_place;  // where `name` was set, if it was
};

std::optional<ClusterRead> read_cluster(FileReport& r, const toml::table& root, const std::string& stem,
                                        const fs::path& source, const Defaults& defaults) {
  ClusterRead out;
  ClusterConfig& cluster = out.cluster;
  cluster = defaults.cluster;
  ServerConfig tmpl = defaults.server;
  cluster.source = source;
  cluster.name = stem;
  if (const toml::node* name = root.get("name")) {
    out.name_place = name->source();
    if (auto v = read_name(r, *name, "name")) cluster.name = std::move(*v);
  } else if (!is_valid_name(stem)) {
    r.error_at(1, 1, "name",
               fmt::format("expected {}, found {} (from the file name); rename the file or set name = \"...\"",
                           k_name_expected, toml_string(stem)));
  }

  Target target{&cluster, &tmpl};
  apply_table(r, root, "", Level::cluster, target);

  if (const toml::node* vip = root.get("vip")) cluster.vip = read_vip(r, *vip);

  const toml::node* servers = root.get("server");
  if (servers == nullptr) {
    r.error_at(1, 1, "server", "expected at least one [[server]] table, found none");
    return std::nullopt;
  }
  const toml::array* array = servers->as_array();
  if (array == nullptr) {
    type_error(r, *servers, "server", "an array of tables [[server]]");
    return std::nullopt;
  }
  if (array->empty()) {
    r.error(servers->source(), "server", "expected at least one [[server]] table, found an empty array");
    return std::nullopt;
  }
  std::vector<ServerPlaces> places;
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const toml::table* table = element.as_table();
    if (table == nullptr) {
      type_error(r, element, fmt::format("server[{}]", i), "a table");
      continue;
    }
    ServerPlaces place;
    auto server = read_server(r, *table, i, tmpl, place);
    if (!server) continue;
    // Uniqueness against the servers read so far.
    for (size_t j = 0; j < cluster.servers.size(); ++j) {
      const ServerConfig& other = cluster.servers[j];
      if (other.name == server->name)
        r.error(place.name, fmt::format("server[{}].name", i),
                fmt::format("expected a unique server name, found {} again (first at line {})",
                            toml_string(server->name), places[j].name.begin.line));
      if (lowercase(other.host) == lowercase(server->host) && other.port == server->port)
        r.error(place.host, fmt::format("server[{}].host", i),
                fmt::format("expected a unique host:port, found {}:{} again (server '{}' at line {})", server->host,
                            server->port, other.name, places[j].host.begin.line));
    }
    cluster.servers.push_back(std::move(*server));
    places.push_back(place);
  }
  if (r.has_errors()) return std::nullopt;
  return out;
}

// ---------------------------------------------------------------------------
// Files

// One config file: its text, or why it could not be read.
struct SourceFile {
  std::string display;  // how messages name it
  fs::path path;        // ClusterConfig::source
  fs::path dir;         // base of relative paths in it
  std::string name;     // file name (stem = default cluster name)
  std::optional<std::string> text;
  std::string read_error;
};

std::optional<std::string> read_text(const fs::path& path, std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, got);
  const bool failed = std::ferror(file) != 0;
  const int saved_errno = errno;
  std::fclose(file);
  if (failed) {
    error = std::strerror(saved_errno);
    return std::nullopt;
  }
  return text;
}

// *.toml, not hidden (editors and package managers leave .foo.toml files).
bool is_cluster_file_name(std::string_view name) {
  return name.size() > 5 && name.front() != '.' && name.substr(name.size() - 5) == ".toml";
}

// Line `number` (1-based) of `text`.
std::string_view line_of(std::string_view text, uint32_t number) {
  for (uint32_t current = 1; current < number; ++current) {
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return {};
    text.remove_prefix(newline + 1);
  }
  return text.substr(0, text.find('\n'));
}

std::optional<toml::table> parse_toml(FileReport& r, const std::string& text) {
  try {
    return toml::parse(std::string_view(text), std::string_view(r.file()));
  } catch (const toml::parse_error& e) {
    std::string description(e.description());
    // toml++ quotes what it saw ("saw 'x'", "unknown escape sequence '\q'"):
    // on a line holding a password, keep only what was being parsed.
    if (lowercase(line_of(text, e.source().begin.line)).find("password") != std::string::npos)
      description = description.substr(0, description.find(':')) + " (details hidden: the line holds a password)";
    std::string message;
    for (char c : description) {
      if (static_cast<unsigned char>(c) < 0x20)
        message += c == '\n' ? std::string("\\n") : fmt::format("\\u{:04X}", static_cast<unsigned>(c));
      else
        message += c;
    }
    if (!message.empty() && message.front() >= 'A' && message.front() <= 'Z')
      message.front() = static_cast<char>(message.front() - 'A' + 'a');
    r.error(e.source(), "TOML syntax", message);
    return std::nullopt;
  }
}

ConfigLoad load(SourceFile main, std::vector<SourceFile> cluster_files, const fs::path& clusters_dir,
                std::optional<std::string> clusters_dir_warning) {
  ConfigLoad out;
  Config config;
  config.main_file = main.path;
  config.clusters_dir = clusters_dir;
  Defaults defaults = builtin_defaults();

  FileReport main_report(main.display, main.dir);
  if (!main.text) {
    main_report.file_error(main.read_error);
  } else if (auto root = parse_toml(main_report, *main.text)) {
    read_main(main_report, *root, config.daemon, defaults);
  }
  const bool main_ok = !main_report.has_errors();
  main_report.hand_over(out);
  bool ok = main_ok;

  std::map<std::string, std::string> seen;  // cluster name -> file that defined it
  for (SourceFile& file : cluster_files) {
    FileReport report(file.display, file.dir);
    if (!file.text) {
      report.file_error(file.read_error);
    } else if (auto root = parse_toml(report, *file.text)) {
      const std::string stem = fs::path(file.name).stem().string();
      if (auto read = read_cluster(report, *root, stem, file.path, defaults)) {
        const std::string& name = read->cluster.name;
        if (auto earlier = seen.find(name); earlier != seen.end()) {
          const uint32_t line = read->name_place ? read->name_place->begin.line : 1;
          const uint32_t column = read->name_place ? read->name_place->begin.column : 1;
          report.error_at(line, column, "name",
                          fmt::format("expected a unique cluster name, found '{}' again (also in {})", name,
                                      earlier->second));
        } else {
          seen.emplace(name, file.display);
          config.clusters.push_back(std::move(read->cluster));
        }
      }
    }
    ok = ok && !report.has_errors();
    report.hand_over(out);
  }
  if (cluster_files.empty())
    out.warnings.push_back(clusters_dir_warning.value_or(
        fmt::format("{}: no cluster files (*.toml): mhad will monitor nothing until one is added",
                    clusters_dir.string())));
  if (!ok) return out;
  std::sort(config.clusters.begin(), config.clusters.end(),
            [](const ClusterConfig& a, const ClusterConfig& b) { return a.name < b.name; });
  out.config = std::move(config);
  return out;
}

// ---------------------------------------------------------------------------
// Rendering

std::string secret_text(const Secret& secret) { return toml_string(secret.empty() ? "" : k_masked); }

std::string string_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += toml_string(items[i]);
  }
  return out + "]";
}

std::string_view yes_no(bool value) { return value ? "true" : "false"; }

// Text for a `#` comment: a control character would end the comment early.
std::string comment_text(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public

const ClusterConfig* Config::find_cluster(std::string_view name) const {
  for (const ClusterConfig& cluster : clusters)
    if (cluster.name == name) return &cluster;
  return nullptr;
}

std::string_view data_loss_policy_name(DataLossPolicy policy) {
  return policy == DataLossPolicy::abort ? "abort" : "proceed";
}

std::string_view ping_type_name(PingType type) {
  switch (type) {
    case PingType::select: return "select";
    case PingType::connect: return "connect";
    case PingType::insert: return "insert";
  }
  return "select";
}

ConfigLoad load_config(const std::filesystem::path& main_file) {
  const fs::path dir = main_file.parent_path();
  const fs::path clusters_dir = dir.empty() ? fs::path("clusters.d") : dir / "clusters.d";

  SourceFile main;
  main.display = main_file.string();
  main.path = main_file;
  main.dir = dir;
  main.name = main_file.filename().string();
  std::string error;
  main.text = read_text(main_file, error);
  if (!main.text)
    main.read_error = fmt::format("expected a config file, found none ({}); create it (an empty file is valid) "
                                  "or pass --config PATH",
                                  error);

  std::vector<SourceFile> files;
  std::optional<std::string> dir_warning;
  std::error_code ec;
  if (!fs::exists(clusters_dir, ec)) {
    dir_warning = fmt::format("{}: no such directory: mhad will monitor nothing until a cluster file is added",
                              clusters_dir.string());
  } else {
    std::vector<std::string> names;
    for (fs::directory_iterator it(clusters_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code status_ec;
      if (is_cluster_file_name(name) && fs::is_regular_file(it->path(), status_ec)) names.push_back(name);
    }
    if (ec) {
      // Unreadable directory: an error, not "no clusters", or a reload
      // could silently drop every cluster.
      SourceFile broken;
      broken.display = clusters_dir.string();
      broken.read_error = fmt::format("expected a readable directory, found {}", ec.message());
      files.push_back(std::move(broken));
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      SourceFile file;
      file.path = clusters_dir / name;
      file.display = file.path.string();
      file.dir = clusters_dir;
      file.name = name;
      file.text = read_text(file.path, error);
      if (!file.text) file.read_error = fmt::format("expected a readable file, found {}", error);
      files.push_back(std::move(file));
    }
  }
  return load(std::move(main), std::move(files), clusters_dir, dir_warning);
}

ConfigLoad load_config_from_strings(const std::string& main_text,
                                    const std::map<std::string, std::string>& cluster_files,
                                    const std::filesystem::path& config_dir) {
  SourceFile main;
  main.display = "mhad.toml";
  main.path = config_dir.empty() ? fs::path("mhad.toml") : config_dir / "mhad.toml";
  main.dir = config_dir;
  main.name = "mhad.toml";
  main.text = main_text;
  const fs::path clusters_dir = config_dir.empty() ? fs::path("clusters.d") : config_dir / "clusters.d";
  std::vector<SourceFile> files;
  for (const auto& [name, text] : cluster_files) {  // std::map: already sorted by name
    if (!is_cluster_file_name(name)) continue;
    SourceFile file;
    file.display = "clusters.d/" + name;
    file.path = fs::path("clusters.d") / name;  // as named in messages
    file.dir = clusters_dir;
    file.name = name;
    file.text = text;
    files.push_back(std::move(file));
  }
  return load(std::move(main), std::move(files), clusters_dir, std::nullopt);
}

std::string render_effective_config(const Config& config) {
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{} = {}\n", key, value);
  };
  auto text = [&line](std::string_view key, std::string_view value) { line(key, toml_string(value)); };
  auto duration = [&text](std::string_view key, Duration value) { text(key, format_duration(value)); };

  out += "# Effective mhad configuration: every default filled in, secrets masked.\n";
  out += fmt::format("# main file: {}\n# cluster files: {}/*.toml\n\n", comment_text(config.main_file.string()),
                     comment_text(config.clusters_dir.string()));
  out += "[daemon]\n";
  text("socket", config.daemon.socket);
  text("state_dir", config.daemon.state_dir);
  text("admin_group", config.daemon.admin_group);
  line("worker_threads", fmt::format("{}", config.daemon.worker_threads));
  text("log_level", log_level_name(config.daemon.log_level));
  if (config.clusters.empty()) out += "\n# no clusters configured\n";

  for (const ClusterConfig& c : config.clusters) {
    const std::string table = "cluster." + toml_key(c.name);
    out += fmt::format("\n# cluster {} (from {})\n[{}]\n", comment_text(c.name), comment_text(c.source.string()),
                       table);
    text("name", c.name);
    text("user", c.user);
    line("password", secret_text(c.password));
    text("password_file", c.password_file);
    text("repl_user", c.repl_user);
    line("repl_password", secret_text(c.repl_password));
    text("repl_password_file", c.repl_password_file);
    duration("ping_interval", c.ping_interval);
    text("ping_type", ping_type_name(c.ping_type));
    line("ping_failures", fmt::format("{}", c.ping_failures));
    duration("connect_timeout", c.connect_timeout);
    duration("read_timeout", c.read_timeout);
    duration("frozen_master_timeout", c.frozen_master_timeout);
    duration("min_failover_interval", c.min_failover_interval);
    line("auto_failover", yes_no(c.auto_failover));
    text("on_possible_data_loss", data_loss_policy_name(c.on_possible_data_loss));
    line("keep_ssh_session", yes_no(c.keep_ssh_session));
    duration("running_seconds_limit", c.running_seconds_limit);
    line("running_updates_limit", fmt::format("{}", c.running_updates_limit));
    duration("seconds_behind_master", c.seconds_behind_master);
    text("max_relay_lag_bytes", format_size(c.max_relay_lag_bytes));
    line("check_repl_filter", yes_no(c.check_repl_filter));
    line("latest_priority", yes_no(c.latest_priority));
    line("multi_tier_slave", yes_no(c.multi_tier_slave));
    line("use_gtid_auto_pos", yes_no(c.use_gtid_auto_pos));
    text("log_level", log_level_name(c.log_level));
    text("ssh_user", c.ssh_user);
    text("ssh_key", c.ssh_key);
    text("secondary_check_script", c.secondary_check_script);
    text("master_ip_failover_script", c.master_ip_failover_script);
    text("master_ip_online_change_script", c.master_ip_online_change_script);
    text("shutdown_script", c.shutdown_script);
    text("report_script", c.report_script);
    if (c.vip) {
      out += fmt::format("\n[{}.vip]\n", table);
      text("address", c.vip->address);
      text("interface", c.vip->interface);
      line("arping", yes_no(c.vip->arping));
    } else {
      out += "# no [vip]: the virtual IP, if any, is left to master_ip_failover_script\n";
    }
    for (const ServerConfig& s : c.servers) {
      out += fmt::format("\n[[{}.server]]\n", table);
      text("name", s.name);
      text("host", s.host);
      line("port", fmt::format("{}", s.port));
      text("ip", s.ip);
      text("ssh_host", s.ssh_host);
      line("ssh_port", fmt::format("{}", s.ssh_port));
      text("ssh_user", s.ssh_user);
      text("ssh_key", s.ssh_key);
      text("ssh_options", s.ssh_options);
      duration("ssh_connection_timeout", s.ssh_connection_timeout);
      line("candidate_master", yes_no(s.candidate_master));
      line("no_master", yes_no(s.no_master));
      line("ignore_fail", yes_no(s.ignore_fail));
      line("skip_init_ssh_check", yes_no(s.skip_init_ssh_check));
      line("skip_reset_slave", yes_no(s.skip_reset_slave));
      line("check_repl_delay", yes_no(s.check_repl_delay));
      line("master_binlog_dir", string_list(s.master_binlog_dir));
      text("remote_workdir", s.remote_workdir);
      text("master_pid_file", s.master_pid_file);
      text("client_bindir", s.client_bindir);
      text("client_libdir", s.client_libdir);
      line("disable_log_bin", yes_no(s.disable_log_bin));
      text("node_label", s.node_label);
    }
  }
  return out;
}

}  // namespace mha
