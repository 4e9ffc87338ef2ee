// Loading mhad.toml and clusters.d/*.toml into Config. common/config/ is the
// one place that includes toml++: its exceptions stop here (parse_toml).
//
// Order of resolution for every value (see config.h): the server's own value,
// then the cluster file's, then mhad.toml's [defaults], then the built-in
// default in config.h. Implemented by copying: [defaults] is applied onto a
// default ClusterConfig and a "template" ServerConfig, each cluster file onto
// copies of those, each [[server]] onto a copy of its cluster's template.

#include <unistd.h>

#include <algorithm>
#include <map>

#include "common/config.h"
#include "common/config/keys.h"
#include "common/config/readers.h"
#include "common/config/report.h"
#include "common/config/toml_text.h"

namespace mha {
namespace {

namespace fs = std::filesystem;
using namespace config_detail;

// ---------------------------------------------------------------------------
// mhad.toml

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

// The ssl_* keys that only make sense together, checked on resolved values:
// verify_ca/verify_identity need ssl_ca, ssl_cert needs ssl_key and the
// other way round. Reported where `table` sets one of the keys involved;
// otherwise the value is inherited, and with `inherited` (the cluster level,
// once, when a server inherits the problem) reported at the cluster's key or,
// from [defaults], at 1:1. Returns whether a problem was left unreported.
bool check_tls_keys(FileReport& r, const toml::table& table, std::string_view prefix, const ServerConfig& s,
                    bool inherited) {
  bool unreported = false;
  // A key that did not read was reported already; the rules skip it.
  FileReport scratch("", {});
  auto unreadable = [&](std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return false;
    return key == "ssl_mode" ? !read_ssl_mode(scratch, *node, key) : !read_tls_file(scratch, *node, key);
  };
  auto report = [&](std::initializer_list<std::string_view> keys, std::string_view message) {
    for (std::string_view key : keys)
      if (const toml::node* node = table.get(key)) {
        r.error(node->source(), fmt::format("{}{}", prefix, key), message);
        return;
      }
    if (inherited)
      r.error_at(1, 1, *keys.begin(), fmt::format("{} (inherited from [defaults])", message));
    else
      unreported = true;
  };
  if (tls_verifies(s.ssl_mode) && s.ssl_ca.empty() && !unreadable("ssl_mode") && !unreadable("ssl_ca"))
    report({"ssl_mode", "ssl_ca"},
           fmt::format("expected ssl_ca (the CA certificate that signed the servers' certificates) with ssl_mode "
                       "= \"{}\", found none; set ssl_ca = \"/etc/mhad/ca.pem\", or ssl_mode = \"required\" "
                       "to encrypt without checking the certificate",
                       ssl_mode_name(s.ssl_mode)));
  if (s.ssl_cert.empty() != s.ssl_key.empty() && !unreadable("ssl_cert") && !unreadable("ssl_key")) {
    const std::string_view given = s.ssl_cert.empty() ? "ssl_key" : "ssl_cert";
    report({given, "ssl_cert", "ssl_key"},
           fmt::format("expected ssl_cert and ssl_key together (a client certificate and its private key), found "
                       "only {}",
                       given));
  }
  return unreported;
}

// Where a server's name and host were written, for duplicate reports.
struct ServerPlaces {
  toml::source_region name;
  toml::source_region host;
  bool tls_inherited = false;  // an ssl_* problem it inherited (check_tls_keys)
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
  places.tls_inherited = check_tls_keys(r, table, prefix, server, false);
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
  if (std::any_of(places.begin(), places.end(), [](const ServerPlaces& p) { return p.tls_inherited; }))
    check_tls_keys(r, root, "", tmpl, true);
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
  // Filled in here, not in the reader, so that it holds without a [daemon]
  // table and --check-config shows the name the leader keys get.
  if (config.daemon.instance_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) config.daemon.instance_name = host;
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

}  // namespace

const ClusterConfig* Config::find_cluster(std::string_view name) const {
  for (const ClusterConfig& cluster : clusters)
    if (cluster.name == name) return &cluster;
  return nullptr;
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

}  // namespace mha
