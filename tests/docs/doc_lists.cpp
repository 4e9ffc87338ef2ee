// Prints the interface names the man pages must document, straight from the
// tables the code itself uses (so the list cannot be parsed wrongly):
//   "daemon KEY"     a key of mhad.toml's [daemon]     (daemon_key_specs())
//   "cluster KEY"    a key of [defaults] or a cluster file, one value per cluster
//   "server KEY"     a key of a [[server]] table (some inherited from the cluster)
//   "structure KEY"  the keys that shape a cluster file (name, vip.*, server)
//   "command NAME"   an mhactl command (ctl/args.cpp's table)
// tests/docs/check_man_lists.py compares this with docs/man/*.scd.
#include <cstdio>
#include <string_view>

#include "common/config.h"
#include "common/config/keys.h"
#include "ctl/args.h"

namespace {

void print(std::string_view kind, std::string_view name) {
  std::printf("%.*s %.*s\n", static_cast<int>(kind.size()), kind.data(), static_cast<int>(name.size()), name.data());
}

}  // namespace

int main() {
  using mha::config_detail::Scope;
  for (const auto& spec : mha::config_detail::daemon_key_specs()) print("daemon", spec.name);
  for (const auto& spec : mha::config_detail::key_specs())
    print(spec.scope == Scope::cluster || spec.scope == Scope::both ? "cluster" : "server", spec.name);
  // ssh_user and ssh_key are cluster keys a server may override: both lists.
  for (const auto& spec : mha::config_detail::key_specs())
    if (spec.scope == Scope::both) print("server", spec.name);
  // The structural keys are handled outside the key table (load.cpp reads
  // name, vip and server; read_vip its three keys): named here, and the
  // three top-level ones checked against the parser so a rename shows.
  for (std::string_view key : {"name", "vip", "server"}) {
    if (!mha::config_detail::is_cluster_file_key(key)) {
      std::fprintf(stderr, "doc_lists: '%.*s' is no longer a cluster file key; update tests/docs/doc_lists.cpp\n",
                   static_cast<int>(key.size()), key.data());
      return 1;
    }
    print("structure", key);
  }
  // read_vip has no table: a cluster file using all three keys must load.
  const auto load = mha::load_config_from_strings(
      "", {{"c.toml", "[vip]\naddress = \"10.0.0.1/24\"\ninterface = \"eth0\"\narping = true\n"
                      "[[server]]\nname = \"a\"\nhost = \"10.0.0.2\"\n"}});
  if (!load.config) {
    for (const auto& error : load.errors) std::fprintf(stderr, "doc_lists: %s\n", error.c_str());
    std::fprintf(stderr, "doc_lists: the [vip] keys changed; update tests/docs/doc_lists.cpp\n");
    return 1;
  }
  for (std::string_view key : {"vip.address", "vip.interface", "vip.arping"}) print("structure", key);
  for (std::string_view name : mha::ctl::command_names()) print("command", name);
  return 0;
}
