// MHA's configuration mapped onto one mhad cluster (see mha_mapping.h).

#include "ctl/import_mha/mha_mapping.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/config/toml_text.h"
#include "ctl/import_mha/mha_params.h"
#include "ctl/import_mha/mha_values.h"

namespace mha::ctl::import_mha {
namespace {

using config_detail::toml_string;

// One MHA value as read, converted.
struct Setting {
  const MhaParam* param = nullptr;
  const std::string* file = nullptr;
  int line = 0;
  std::string raw;
  std::string toml;  // converted; empty for a secret
  bool ok = true;
};

using Settings = std::map<std::string_view, Setting>;  // by MHA name

struct Server {
  const IniSection* section = nullptr;
  Settings settings;
};

constexpr std::string_view k_default_block = "server default";

std::string origin_of(const Setting& s) {
  if (s.param->kind == Kind::secret) return fmt::format("{}:{} {}", *s.file, s.line, s.param->name);
  return fmt::format("{}:{} {}={}", *s.file, s.line, s.param->name, s.raw);
}

Converted convert(const MhaParam& param, std::string_view raw) {
  switch (param.kind) {
    case Kind::host: return convert_host(raw);
    case Kind::port: return convert_port(raw);
    case Kind::seconds: return convert_seconds(raw, 1);
    case Kind::flag: return convert_flag(raw);
    case Kind::text: return convert_text(raw, false);
    case Kind::ascii_text: return convert_text(raw, true);
    case Kind::dir_list: return convert_dir_list(raw);
    case Kind::ping_type: return convert_ping_type(raw);
    case Kind::log_level: return convert_log_level(raw);
    case Kind::secret:
    case Kind::ignored: break;
  }
  return {};
}

// mhad's server names go on mhactl's command line (common/config/readers.h).
bool is_mhad_name(std::string_view name) {
  return !name.empty() && name.front() != '-' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

// MHA's /^server\S+/, without its default block.
bool is_server_block(std::string_view name) {
  return name != k_default_block && name.size() > 6 && name.starts_with("server") && name[6] != ' ' && name[6] != '\t';
}

// MHA's order: by the number in "server<non-digits><number>" when every
// block has one, else by name.
void sort_like_mha(std::vector<Server>& servers) {
  auto number = [](const Server& s) -> std::optional<long long> {
    std::string_view rest = std::string_view(s.section->name).substr(6);
    while (!rest.empty() && (rest.front() < '0' || rest.front() > '9')) rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    size_t digits = 0;
    while (digits < rest.size() && digits < 18 && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    return std::stoll(std::string(rest.substr(0, digits)));
  };
  const bool numbered = std::all_of(servers.begin(), servers.end(), [&](const Server& s) { return number(s).has_value(); });
  std::stable_sort(servers.begin(), servers.end(), [&](const Server& a, const Server& b) {
    return numbered ? *number(a) < *number(b) : a.section->name < b.section->name;
  });
}

class Mapper {
 public:
  Mapper(Problems& problems, std::string name) : m_problems(problems) { m_out.name = std::move(name); }

  // The global file's [server default].
  void read_global(const IniFile& file) {
    m_out.sources.push_back(file.path);
    for (const IniSection& section : file.sections) {
      if (!read_defaults(file, section, true))
        m_problems.warning(file.path, section.line,
                           fmt::format("[{}]: MHA reads only [server default] from the global file: block ignored, "
                                       "as by MHA",
                                       section.name));
    }
  }

  void read_app(const IniFile& file) {
    m_out.sources.push_back(file.path);
    m_app_path = &file.path;
    for (const IniSection& section : file.sections) {
      if (read_defaults(file, section, false)) continue;
      if (is_server_block(section.name)) {
        Server server{&section, {}};
        read_block(file, section, true, server.settings);
        m_servers.push_back(std::move(server));
      } else if (section.name.starts_with("binlog") && section.name.size() > 6) {
        m_problems.warning(file.path, section.line,
                           fmt::format("[{}]: MHA's binlog servers have no counterpart in mhad, which reads the dead "
                                       "master's binlog over SSH from its host: block not carried over",
                                       section.name));
      } else {
        m_problems.error(file.path, section.line,
                         fmt::format("[{}]: expected [server default], [serverN] or [binlogN] (MHA refuses other "
                                     "blocks too); rename it [serverN] or remove it",
                                     section.name));
      }
    }
  }

  std::optional<ImportedCluster> finish() {
    if (m_servers.empty()) {
      m_problems.error(*m_app_path, 0,
                       "expected at least one [serverN] block, found none (MHA refuses this too); add one block with "
                       "hostname=HOST per server");
      return std::nullopt;
    }
    if (!is_mhad_name(m_out.name))
      m_problems.error(*m_app_path, 0,
                       fmt::format("mhad names the cluster after the file, and '{}' is not a name of letters, digits, "
                                   "'-', '_' and '.'; copy the file to a name like app1.cnf and import that",
                                   m_out.name));
    sort_like_mha(m_servers);
    check_servers();
    cluster_entries();
    for (const Server& server : m_servers) server_entries(server);
    if (m_problems.has_errors()) return std::nullopt;
    return std::move(m_out);
  }

 private:
  // [server default], or keys before any block: true if `section` was one.
  // MHA ignores such keys in the global file and refuses them in the app
  // file; an app file like seed 001's is read as if [server default] were
  // there, since that is what its author meant.
  bool read_defaults(const IniFile& file, const IniSection& section, bool global) {
    if (section.name.empty() && global) {
      m_problems.warning(file.path, section.line,
                         "keys before any [block]: MHA reads only [server default] from the global file and ignored "
                         "them; not carried over (add a line [server default] above them if they were meant)");
      return true;
    }
    if (section.name.empty())
      m_problems.warning(file.path, section.line,
                         "keys before any [block]: read as [server default]; MHA itself refuses such a file (block "
                         "name \"_\" is invalid): add a line [server default] above them");
    else if (section.name != k_default_block)
      return false;
    read_block(file, section, false, m_defaults);
    return true;
  }

  void read_block(const IniFile& file, const IniSection& section, bool server_block, Settings& into) {
    static const std::vector<std::string_view> names = [] {
      std::vector<std::string_view> out;
      for (const MhaParam& p : mha_params()) out.push_back(p.name);
      return out;
    }();
    for (const IniEntry& entry : section.entries) {
      if (auto problem = non_ascii_problem(entry.key, true)) {
        m_problems.error(file.path, entry.line,
                         fmt::format("{}: expected an ASCII parameter name, found {}", entry.key, *problem));
        continue;
      }
      const MhaParam* param = find_mha_param(entry.key);
      if (param == nullptr) {
        std::string text = fmt::format("{}: unknown MHA parameter (MHA refuses it: \"Parameter name {} is invalid!\"), "
                                       "not carried over",
                                       entry.key, entry.key);
        if (auto close = config_detail::closest_key(entry.key, names)) text += fmt::format("; did you mean '{}'?", *close);
        m_problems.warning(file.path, entry.line, std::move(text));
        continue;
      }
      if (param->kind == Kind::ignored) {
        m_problems.warning(file.path, entry.line,
                           fmt::format("{}: no counterpart in mhad, not carried over: {}", entry.key, param->why));
        continue;
      }
      if (!server_block && (param->place == Place::server_only || param->place == Place::server_flag)) {
        m_problems.warning(file.path, entry.line,
                           fmt::format("{}: MHA reads it only from a [serverN] block, so this line had no effect; not "
                                       "carried over (set it in the server's block)",
                                       entry.key));
        continue;
      }
      Setting setting{param, &file.path, entry.line, entry.value, {}, true};
      if (param->kind != Kind::secret) {
        Converted converted = convert(*param, entry.value);
        if (!converted.ok()) {
          m_problems.error(file.path, entry.line, fmt::format("{}: {}", entry.key, converted.error));
          setting.ok = false;
        }
        setting.toml = std::move(converted.toml);
      }
      into[param->name] = std::move(setting);
    }
  }

  const Setting* find(const Settings& settings, std::string_view name) const {
    auto it = settings.find(name);
    return it == settings.end() ? nullptr : &it->second;
  }
  // A server's value: its own, else the defaults'.
  const Setting* effective(const Server& server, std::string_view name) const {
    if (const Setting* own = find(server.settings, name)) return own;
    return find(m_defaults, name);
  }

  void check_servers() {
    std::vector<std::pair<std::string, const Server*>> seen;  // "host:port" -> server
    for (const Server& server : m_servers) {
      const IniSection& section = *server.section;
      if (!is_mhad_name(section.name))
        m_problems.error(*m_app_path, section.line,
                         fmt::format("[{}]: mhad names a server after its block, and a name is letters, digits, '-', "
                                     "'_' and '.'; rename the block, e.g. [server1]",
                                     section.name));
      const Setting* host = find(server.settings, "hostname");
      if (host == nullptr) {
        m_problems.error(*m_app_path, section.line,
                         fmt::format("[{}]: expected hostname=HOST, found none (MHA refuses a server without one too); "
                                     "add it to the block",
                                     section.name));
        continue;
      }
      if (!host->ok) continue;
      const Setting* port = effective(server, "port");
      const std::string port_text = port != nullptr && port->ok ? port->toml : "3306";
      const Setting* ip = find(server.settings, "ip");
      for (const Setting* address : {host, ip}) {
        if (address == nullptr || !address->ok) continue;
        const std::string key = fmt::format("{}:{}", config_detail::lowercase(address->raw), port_text);
        auto other = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
        if (other != seen.end() && other->second != &server) {
          m_problems.error(*m_app_path, address->line,
                           fmt::format("{}: [{}] is on {} as [{}] is (MHA refuses this too); fix the address or the "
                                       "port",
                                       address->param->name, section.name, key, other->second->section->name));
          break;
        }
        seen.emplace_back(key, &server);
      }
      const Setting* candidate = find(server.settings, "candidate_master");
      const Setting* never = find(server.settings, "no_master");
      if (candidate && never && candidate->toml == "true" && never->toml == "true")
        m_problems.error(*m_app_path, never->line,
                         fmt::format("no_master: [{}] has candidate_master=1 and no_master=1; mhad refuses both "
                                     "(which one was meant is a guess): remove one",
                                     section.name));
    }
  }

  // Passwords: a file to create, never the value.
  void add_secret(const MhaParam& param, const std::vector<const Setting*>& from) {
    const Setting& first = *from.front();
    if (first.raw.empty()) {  // MHA's default too: no password
      m_out.entries.push_back(TomlEntry{std::string(param.name), "\"\"", join_origins(from)});
      return;
    }
    const std::string path =
        fmt::format("{}/{}.{}", k_secrets_dir, m_out.name, param.name == "password" ? "password" : "repl");
    m_out.entries.push_back(TomlEntry{std::string(param.key), toml_string(path), join_origins(from)});
    m_problems.warning(*first.file, first.line,
                       fmt::format("{}: not copied into the TOML (mhad reads passwords from owner-only files); its {} "
                                   "names {}: create it holding this line's value, e.g.: install -m 600 /dev/null {} "
                                   "&& read -rsp '{}: ' pw && printf '%s\\n' \"$pw\" > {}; unset pw",
                                   param.name, param.key, path, path, param.name, path));
  }

  std::string join_origins(const std::vector<const Setting*>& from) const {
    std::vector<std::string> parts;
    for (const Setting* s : from) {
      std::string origin = origin_of(*s);
      if (std::find(parts.begin(), parts.end(), origin) == parts.end()) parts.push_back(std::move(origin));
    }
    return fmt::format("{}", fmt::join(parts, ", "));
  }

  void add_entry(const MhaParam& param, const std::vector<const Setting*>& from, std::vector<TomlEntry>& into) {
    if (param.kind == Kind::secret) return add_secret(param, from);
    const Setting& first = *from.front();
    // MHA treats an empty value as unset: the built-in default applies.
    if ((param.kind == Kind::text || param.kind == Kind::ascii_text) && first.raw.empty()) return;
    into.push_back(TomlEntry{std::string(param.key), first.toml, join_origins(from)});
  }

  // A per-cluster key written in [serverN] blocks: one value for all, or refused.
  void hoist(const MhaParam& param) {
    std::vector<const Setting*> own;
    for (const Server& server : m_servers)
      if (const Setting* s = find(server.settings, param.name)) own.push_back(s);
    const Setting* fallback = find(m_defaults, param.name);
    if (own.empty()) {
      if (fallback != nullptr && fallback->ok) add_entry(param, {fallback}, m_out.entries);
      return;
    }
    auto same = [&](const Setting* a, const Setting* b) {
      return a != nullptr && b != nullptr && (param.kind == Kind::secret ? a->raw == b->raw : a->toml == b->toml);
    };
    std::vector<const Setting*> values;
    for (const Server& server : m_servers) values.push_back(effective(server, param.name));
    if (std::any_of(values.begin(), values.end(), [](const Setting* s) { return s != nullptr && !s->ok; })) return;
    if (std::all_of(values.begin(), values.end(), [&](const Setting* s) { return same(s, values.front()); })) {
      add_entry(param, values, m_out.entries);
      return;
    }
    std::vector<std::string> shown;
    for (size_t i = 0; i < m_servers.size(); ++i) {
      const Setting* s = values[i];
      const std::string value = s == nullptr                   ? "MHA's default"
                                : param.kind == Kind::secret   ? fmt::format("a password (line {})", s->line)
                                                               : fmt::format("{} (line {})", toml_string(s->raw), s->line);
      shown.push_back(fmt::format("[{}] {}", m_servers[i].section->name, value));
    }
    m_problems.error(*own.front()->file, own.front()->line,
                     fmt::format("{}: mhad has one {} per cluster, but the servers differ: {}; set it once in [server "
                                 "default] and remove it from the [serverN] blocks",
                                 param.name, param.key, fmt::join(shown, ", ")));
  }

  void cluster_entries() {
    for (const MhaParam& param : mha_params()) {
      if (param.place == Place::cluster) {
        hoist(param);
      } else if (param.place == Place::inherit) {
        if (const Setting* s = find(m_defaults, param.name); s != nullptr && s->ok) add_entry(param, {s}, m_out.entries);
      }
    }
  }

  void server_entries(const Server& server) {
    TomlServer out;
    out.name = server.section->name;
    out.origin = fmt::format("{}:{} [{}]", *m_app_path, server.section->line, server.section->name);
    for (const MhaParam& param : mha_params()) {
      if (param.place == Place::cluster || param.place == Place::none) continue;
      if (const Setting* s = find(server.settings, param.name); s != nullptr && s->ok) add_entry(param, {s}, out.entries);
    }
    m_out.servers.push_back(std::move(out));
  }

  Problems& m_problems;
  ImportedCluster m_out;
  const std::string* m_app_path = nullptr;
  Settings m_defaults;
  std::vector<Server> m_servers;
};

}  // namespace

std::optional<ImportedCluster> map_mha_config(const IniFile* global, const IniFile& app, const std::string& name,
                                              Problems& problems) {
  Mapper mapper(problems, name);
  if (global != nullptr) mapper.read_global(*global);
  mapper.read_app(app);
  return mapper.finish();
}

}  // namespace mha::ctl::import_mha
