// render_effective_config: the loaded Config written back as TOML for
// `mhad --check-config`, walking the key tables of keys.cpp.

#include <fmt/format.h>

#include "common/config.h"
#include "common/config/keys.h"
#include "common/config/render_value.h"
#include "common/config/toml_text.h"
#include "common/units.h"

namespace mha {
namespace config_detail {

constexpr std::string_view k_masked = "********";

std::string toml_value(const std::string& text) { return toml_string(text); }
std::string toml_value(bool value) { return value ? "true" : "false"; }
std::string toml_value(int value) { return fmt::format("{}", value); }
std::string toml_value(uint16_t value) { return fmt::format("{}", value); }
std::string toml_value(Duration value) { return toml_string(format_duration(value)); }
std::string toml_value(const Secret& secret) { return toml_string(secret.empty() ? "" : k_masked); }
std::string toml_value(PingType type) { return toml_string(ping_type_name(type)); }
std::string toml_value(DataLossPolicy policy) { return toml_string(data_loss_policy_name(policy)); }
std::string toml_value(HostKeyChecking mode) { return toml_string(host_key_checking_name(mode)); }
std::string toml_value(SslMode mode) { return toml_string(ssl_mode_name(mode)); }
std::string toml_value(Coordination mode) { return toml_string(coordination_name(mode)); }
std::string toml_value(LogLevel level) { return toml_string(log_level_name(level)); }
std::string toml_size(uint64_t bytes) { return toml_string(format_size(bytes)); }

std::string toml_value(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += toml_string(items[i]);
  }
  return out + "]";
}

}  // namespace config_detail

std::string render_effective_config(const Config& config) {
  using namespace config_detail;
  std::string out;
  auto line = [&out](std::string_view key, std::string_view value) {
    out += fmt::format("{} = {}\n", key, value);
  };

  out += "# Effective mhad configuration: every default filled in, secrets masked.\n";
  out += fmt::format("# main file: {}\n# cluster files: {}/*.toml\n\n", comment_text(config.main_file.string()),
                     comment_text(config.clusters_dir.string()));
  out += "[daemon]\n";
  for (const DaemonKeySpec& spec : daemon_key_specs()) line(spec.name, spec.show(config.daemon));
  if (config.clusters.empty()) out += "\n# no clusters configured\n";

  for (const ClusterConfig& c : config.clusters) {
    const std::string table = "cluster." + toml_key(c.name);
    out += fmt::format("\n# cluster {} (from {})\n[{}]\n", comment_text(c.name), comment_text(c.source.string()),
                       table);
    line("name", toml_value(c.name));
    for (const KeySpec& spec : key_specs())
      if (spec.show_cluster != nullptr) line(spec.name, spec.show_cluster(c));
    if (c.vip) {
      out += fmt::format("\n[{}.vip]\n", table);
      line("address", toml_value(c.vip->address));
      line("interface", toml_value(c.vip->interface));
      line("arping", toml_value(c.vip->arping));
    } else {
      out += "# no [vip]: the virtual IP, if any, is left to master_ip_failover_script\n";
    }
    for (const ServerConfig& s : c.servers) {
      out += fmt::format("\n[[{}.server]]\n", table);
      line("name", toml_value(s.name));
      for (const KeySpec& spec : key_specs())
        if (spec.show_server != nullptr) line(spec.name, spec.show_server(s));
    }
  }
  return out;
}

}  // namespace mha
