#include "ctl/help.h"

#include <fmt/format.h>

#include "common/version.h"

namespace mha::ctl {

namespace {

constexpr std::string_view k_global_options = R"txt(  --socket PATH   mhad's control socket; default: $MHAD_SOCKET, else /run/mhad/mhad.sock
  --timeout DUR   give up when mhad sends nothing for DUR, e.g. 30s, 500ms, 2m
                  (a bare number is seconds); default: 10s
  -h, --help      show help: the overview, or a command's after its name
  --version       print mhactl's version
)txt";

constexpr std::string_view k_exit_codes = R"txt(Exit status:
  0   success
  1   mhad answered with an error, printed as "mhactl: MESSAGE (CODE)"
  2   mhad cannot be reached (not running, wrong --socket, no permission),
      or did not answer within --timeout
  3   mhad's reply was malformed, or the connection closed mid-reply
  64  usage error: unknown command or option, missing value
)txt";

}  // namespace

std::string version_text() { return std::string("mhactl ") + mha::k_mhad_version; }

std::string overview_help() {
  return fmt::format(R"txt(Usage: mhactl [OPTIONS] COMMAND [COMMAND OPTIONS]

Ask mhad, the MySQL/MariaDB replication high-availability daemon, what it
sees and tell it what to do. mhactl only talks to mhad's control socket.

Commands:
  status    topology, health, replication lag and VIP of each cluster
  reload    make mhad re-read its configuration (same as systemctl reload mhad)
  help      show the help of a command: mhactl help status

Options (accepted anywhere on the line):
{}
{}
Run 'mhactl COMMAND --help' for a command's options.
)txt",
                     k_global_options, k_exit_codes);
}

std::string command_help(Command command) {
  switch (command) {
    case Command::status:
      return fmt::format(R"txt(Usage: mhactl status [-c|--cluster NAME] [--json]

Show each cluster mhad watches: its health, master and VIP, then one line per
server with its address, role, state, replication lag (Seconds_Behind_Master)
and executed GTIDs. Every server that is not ok gets a line starting with '!'
right under it that says why, e.g. its Last_SQL_Error.

A cluster's health is in the output, not in the exit status: a degraded
cluster still exits 0. Scripts that need it read --json.

Options:
  -c, --cluster NAME  only this cluster (default: every cluster)
  --json              print mhad's status result as JSON, for scripts

Global options:
{}
{})txt",
                         k_global_options, k_exit_codes);
    case Command::reload:
      return fmt::format(R"txt(Usage: mhactl reload [--json]

Make mhad re-read mhad.toml and clusters.d/*.toml, the same as
'systemctl reload mhad' (SIGHUP). On success prints how many clusters are
configured. When the new configuration has errors, mhad keeps running with
the old one; mhactl prints each error (file:line:column: key: problem) and
exits 1. Needs root or a member of mhad's admin group.

Options:
  --json              print mhad's reload result as JSON, for scripts

Global options:
{}
{})txt",
                         k_global_options, k_exit_codes);
    case Command::help:
      return R"txt(Usage: mhactl help [COMMAND]

Show the overview of mhactl, or the help of COMMAND.
The same as 'mhactl --help' and 'mhactl COMMAND --help'.
)txt";
    case Command::version:
      break;
  }
  return overview_help();
}

}  // namespace mha::ctl
