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
'check' has its own exit status, see 'mhactl check --help'.
)txt";

// `check` is meant for cron jobs and monitoring systems, so its status says
// how the cluster is, in the monitoring-plugin convention (Nagios, Icinga,
// Zabbix, Sensu): 0/1/2 as masterha_check_repl users expect, and 3 when no
// verdict could be reached, so that "mhad is down" never reads as "a check
// failed" or the reverse.
constexpr std::string_view k_check_exit_codes = R"txt(Exit status (the monitoring-plugin convention, unlike other commands):
  0   every check ok
  1   warnings, no failure
  2   at least one failure
  3   no verdict: mhad cannot be reached or did not answer within --timeout,
      mhad answered with an error (e.g. unknown cluster), or its reply was
      malformed; the reason is printed as "mhactl: ..."
  64  usage error: unknown command or option, missing value
)txt";

}  // namespace

std::string version_text() { return std::string("mhactl ") + mha::k_mhad_version; }

std::string overview_help() {
  return fmt::format(R"txt(Usage: mhactl [OPTIONS] COMMAND [COMMAND OPTIONS]

Ask mhad, the MySQL/MariaDB replication high-availability daemon, what it
sees and tell it what to do. mhactl only talks to mhad's control socket
(import-mha alone runs locally).

Commands:
  status    topology, health, replication lag and VIP of each cluster
  check     verify replication, server settings and SSH, as MHA's
            masterha_check_repl and masterha_check_ssh did
  reload    make mhad re-read its configuration (same as systemctl reload mhad)
  failover  fail over a cluster whose master is dead (--to SERVER, --force)
  switchover  planned switch of a live master to a replica (--to SERVER)
  rejoin    put a repaired old master or rebuilt replica back as a replica
  maintenance  on|off: pause or resume automatic failover (--reason TEXT)
  import-mha  FILE: MHA's app1.cnf as mhad's clusters.d TOML (runs locally)
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
    case Command::failover:
      return fmt::format(R"txt(Usage: mhactl failover [-c|--cluster NAME] [--to SERVER] [--force] [--json]

Fail over a cluster whose master is dead (MHA's masterha_master_switch
--master_state=dead): fence the old master, bring the most advanced data to
the new master (binlog events saved from the dead master's host when it
answers SSH), promote it, move the VIP, re-point every replica. Progress is
printed phase by phase, then the failover report.

Refused, with the reason, when the master answers (use switchover for a
planned change), when no replica can be promoted, when replicas hold errant
GTIDs, or within min_failover_interval of the last failover.

Options:
  -c, --cluster NAME  the cluster (may be left out when only one is configured)
  --to SERVER         promote this replica (it must be eligible)
  --force             run even within min_failover_interval, with
                      auto_failover off, or after an interrupted failover
  --json              print the report as JSON

Global options:
{}
The default --timeout of failover is 180s of silence between two phases.
Exit status: 0 completed (also with errors on some replicas, listed), 1
refused or failed (the reason is printed), 2 mhad not reachable, 64 usage.
)txt",
                         k_global_options);
    case Command::switchover:
      return fmt::format(R"txt(Usage: mhactl switchover [-c|--cluster NAME] [--to SERVER] [--force] [--json]

Switch a live master to a replica (MHA's masterha_master_switch
--master_state=alive), while mhad keeps monitoring. SERVER is a server name,
host, host:port or IP; --cluster may be left out when SERVER belongs to one
cluster only. Without --to, the replica a failover would choose.

Checked first, refused with the reason and the fix before anything changes:
the target replicates from the master with both threads running, is at most
running_seconds_limit behind, can be promoted (no_master, log_bin, versions);
no errant GTIDs on any replica; no second writable server; every other
replica replicates; no write on the master running longer than
running_updates_limit; no other operation running.

Then: VIP off the old master (or master_ip_online_change_script
--command=stop), old master read-only (MySQL: super_read_only), its client
sessions ended, wait (at most running_seconds_limit) until the target has
executed the old master's last transaction, promote the target, VIP on (or
--command=start), point every other replica and the old master at it,
verify through the VIP, report. Any failure before the target is writable
is rolled back: the old master takes writes again and the VIP is back.
Progress is printed phase by phase, then the switchover report.

Options:
  -c, --cluster NAME  the cluster (may be left out, see above)
  --to SERVER         the replica to promote
  --force             leave broken or unreachable other replicas out, end
                      long-running writes on the master with their sessions
  --json              print each progress line and the result as JSON

Global options:
{}
The default --timeout of switchover is 180s of silence between two phases.
Exit status: 0 completed (also with errors on some replicas, listed), 1
refused, rolled back or failed (the reason is printed), 2 mhad not
reachable, 64 usage.
)txt",
                         k_global_options);
    case Command::rejoin:
      return fmt::format(R"txt(Usage: mhactl rejoin HOST[:PORT]|SERVER [-c|--cluster NAME] [--force] [--json]

Put a server back into its cluster as a read-only replica of the current
master: the old master after a failover, once it is repaired and running,
or a replica that was rebuilt or lost its replication.

Its GTIDs are compared with the master's first. Transactions the master never
had (errant: typically writes an old master took that no replica received)
refuse the rejoin; the refusal lists them and how to rebuild the server from
a replica (mariadb-backup, or CLONE on MySQL). --force rejoins anyway and the
report says the divergence was accepted.

Then: read_only on (MySQL: super_read_only), CHANGE MASTER to the master by
GTID with repl_user, START, wait until both threads run. The server becomes a
failover candidate again under its own settings. With auto_rejoin = true in
the cluster's config mhad does this by itself when a fenced old master comes
back clean.

Options:
  -c, --cluster NAME  the cluster (may be left out when the server is in one)
  --force             rejoin even with errant transactions (divergence)
  --json              print each progress line and the result as JSON

Global options:
{}
{})txt",
                         k_global_options, k_exit_codes);
    case Command::maintenance:
      return fmt::format(R"txt(Usage: mhactl maintenance on|off [-c|--cluster NAME] [--reason TEXT] [--json]

Pause (on) or resume (off) automatic failover of a cluster. Monitoring,
check and status go on: a dead master is still detected and reported, but
not failed over. The operator's own switchover and failover still work.
Status shows "maintenance since TIME by uid N (REASON)". Kept across mhad
restarts. Needs root or a member of mhad's admin group.

Options:
  -c, --cluster NAME  the cluster (may be left out when only one is configured)
  --reason TEXT       why, shown by status and logged
  --json              print mhad's result as JSON

Global options:
{}
{})txt",
                         k_global_options, k_exit_codes);
    case Command::check:
      return fmt::format(R"txt(Usage: mhactl check [-c|--cluster NAME] [--json]

Check each cluster the way MHA's masterha_check_repl and masterha_check_ssh
did, plus what a GTID failover needs, with fresh connections (monitoring is
not disturbed). One line per check: RESULT (ok, WARN, FAIL), SERVER ('-' for
the whole cluster), CHECK and DETAIL; under each WARN and FAIL a 'fix:' line
says what to do. The last line counts ok, warnings and failures.

Checked: every server answers; one writable master; every replica replicates
from it with both threads running, by GTID, within seconds_behind_master,
read_only (MySQL: super_read_only), without errant GTIDs; log_bin and
log_slave_updates on candidates; binlog_format and replication filters alike;
server_id unique; versions; gtid_strict_mode (MariaDB); semi-sync;
slave_net_timeout; repl_user's REPLICATION SLAVE; at least one candidate; SSH
to every host; the master's binlogs in master_binlog_dir; the binlog tool;
remote_workdir.

Options:
  -c, --cluster NAME  only this cluster (default: every cluster)
  --json              print mhad's check result as JSON, for scripts (the
                      exit status is the same as without --json)

Global options:
{}
The default --timeout of check is 60s: a server that does not answer costs
its SQL and SSH connect timeouts before mhad can reply.

{})txt",
                         k_global_options, k_check_exit_codes);
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
    case Command::import_mha:
      return R"txt(Usage: mhactl import-mha FILE [--default PATH]

Read MHA's application config FILE (e.g. /etc/masterha/app1.cnf) and its
global default file (PATH, default /etc/masterha_default.cnf when it exists;
FILE's values override it, as in MHA) and print the equivalent mhad cluster
file on stdout, to save as /etc/mhad/clusters.d/NAME.toml, NAME being FILE's
name without .cnf. Runs locally; mhad is not needed.

Each key carries a comment with the MHA file, line and parameter it came
from. MHA's seconds become durations (ping_interval=1 -> "1s"), 0/1 flags
true/false, [serverN] blocks [[server]] tables in MHA's order. Script paths
(secondary_check_script with its arguments, master_ip_failover_script,
master_ip_online_change_script, shutdown_script, report_script) are carried
over: mhad calls them with MHA's arguments. Passwords are never printed:
password= and repl_password= become password_file / repl_password_file
pointing at /etc/mhad/NAME.password and NAME.repl, and a warning gives the
command that creates each file (mode 600).

Warnings on stderr: every parameter without a counterpart in mhad and why
(manager_workdir, manager_log, ...), unknown parameters, values MHA ignored.
Refused, with file:line, the value and the fix, and nothing on stdout: a
malformed hostname or IPv4 address, a value MHA would not take, full-width
characters where ASCII is required, a server without hostname, two servers
on one ip:port, a per-cluster parameter that differs between servers.

Options:
  --default PATH   MHA's global default file (/dev/null: none)

Exit status: 0 written (read the warnings), 1 refused or a file unreadable,
64 usage error.
)txt";
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
