// Writing an imported cluster as TOML (see mha_toml.h).

#include "ctl/import_mha/mha_toml.h"

#include <fmt/format.h>

#include "common/config/toml_text.h"

namespace mha::ctl::import_mha {
namespace {

void put(std::string& out, const TomlEntry& entry) {
  out += fmt::format("{} = {}  # {}\n", entry.key, entry.value, config_detail::comment_text(entry.origin));
}

}  // namespace

std::string render_toml(const ImportedCluster& cluster) {
  std::string out;
  out += fmt::format("# clusters.d/{}.toml: mhad's cluster '{}', imported by `mhactl import-mha` from MHA's\n",
                     cluster.name, cluster.name);
  out += fmt::format("# {}.\n", config_detail::comment_text(fmt::format("{}", fmt::join(cluster.sources, " and "))));
  out += fmt::format("# Save it as /etc/mhad/clusters.d/{}.toml (the file name is the cluster's name) and check it\n",
                     cluster.name);
  out += "# with `mhad --check-config`. Each key's comment names the MHA line it came from;\n";
  out += "# keys left out take mhad's defaults, which are MHA's wherever MHA had the key.\n";
  out += "# MHA parameters without a counterpart were listed on stderr. Scripts keep\n";
  out += "# MHA's arguments and exit codes, so they work unchanged.\n\n";
  for (const TomlEntry& entry : cluster.entries) put(out, entry);
  for (const TomlServer& server : cluster.servers) {
    out += "\n[[server]]\n";
    put(out, TomlEntry{"name", config_detail::toml_string(server.name), server.origin});
    for (const TomlEntry& entry : server.entries) put(out, entry);
  }
  return out;
}

}  // namespace mha::ctl::import_mha
