// MHA's operator hooks with MHA's exact arguments, so that the scripts users
// run under MHA today keep working under mhad unchanged:
//  - master_ip_failover_script (used by ScriptVip, see vip.h),
//  - shutdown_script (fence the dead master: kill mysqld or power it off),
//  - report_script (mail/chat the failover report).
// Each value is one argv element (run_script: no shell), so hostnames,
// subjects and report bodies with quotes, `$`, spaces or newlines arrive
// exactly as they are (MHA interpolated them into a shell command line).
// Passwords travel only where MHA's interface has them
// (--new_master_password); argv_for_log() and scrub() (common/config.h) keep them out of logs
// and reports.
//
// The argv builders are pure (no I/O except a DNS lookup when a server's
// ssh_host differs from its host and is not an IP literal: MHA's --ssh_ip).
// The run_* functions block: worker threads only.
#pragma once

#include "common/config.h"
#include "daemon/script_runner.h"

#include <chrono>
#include <string>
#include <vector>

namespace mha {

// Deadlines. MHA had none; a hung hook must not hang a failover forever.
inline constexpr std::chrono::milliseconds kVipScriptTimeout{60'000};
inline constexpr std::chrono::milliseconds kShutdownScriptTimeout{120'000};  // IPMI power-off is slow
inline constexpr std::chrono::milliseconds kReportScriptTimeout{60'000};

// MHA's get_ssh_args_if(arg_number, type, ssh_reachable), appended to argv:
//   --<prefix>ssh_host=H --<prefix>ssh_ip=IP   when ssh_host differs from host
//   --<prefix>ssh_port=N                       when ssh_port != 22
//   --ssh_options=<MHA's base options> <ssh_options>
//                      only for the first argument group (first_group) and
//                      only when the server configures ssh_options; the base
//                      is MHA's SSH_OPT_ALIVE when ssh_reachable, else
//                      SSH_OPT_CHECK with ConnectTimeout filled in (MHA left
//                      the placeholder VAR_CONNECT_TIMEOUT in it).
// prefix: "orig_master_", "new_master_" or "" (shutdown_script).
void append_ssh_args(std::vector<std::string>& argv, const ServerConfig& server,
                     const std::string& prefix, bool first_group, bool ssh_reachable);

// ---- master_ip_failover_script (MHA 6.1) ----------------------------------
enum class VipCommand { status, stop, stopssh, start };

// <script words...> then, in MHA's order:
//   status:  --command=status --ssh_user=U --orig_master_host=H
//            --orig_master_ip=IP --orig_master_port=P + orig ssh args
//   stopssh: --orig_master_host=H --orig_master_ip=IP --orig_master_port=P
//            --command=stopssh --ssh_user=U + orig ssh args
//   stop:    --orig_master_host=H --orig_master_ip=IP --orig_master_port=P
//            --command=stop + orig ssh args               (no --ssh_user, as MHA)
//   start:   --command=start --ssh_user=<new's ssh_user> --orig_master_host=H
//            --orig_master_ip=IP --orig_master_port=P --new_master_host=H2
//            --new_master_ip=IP2 --new_master_port=P2 --new_master_user=<user>
//            + orig ssh args (orig_ssh_reachable) + new ssh args (second group)
//            + --new_master_password=<password>
// U is the orig master's ssh_user; <user>/<password> are the cluster's.
// new_master is required for start and ignored otherwise.
std::vector<std::string> vip_script_argv(const ClusterConfig& cluster, VipCommand command,
                                         const ServerConfig& orig_master,
                                         const ServerConfig* new_master = nullptr,
                                         bool orig_ssh_reachable = true);

// ---- shutdown_script (MHA 6.3) ---------------------------------------------
// <script words...> --command=stopssh --ssh_user=U   (ssh reachable)
//                or --command=stop                   (not reachable)
//   --host=H --ip=IP --port=P [--pid_file=<master_pid_file>] + ssh args
std::vector<std::string> shutdown_script_argv(const ClusterConfig& cluster, const ServerConfig& dead,
                                              bool ssh_reachable);

// What the shutdown_script's exit code means (MHA):
//   0  powered off: the host is down, so its binlogs cannot be saved over
//      SSH any more (MHA forces ssh_reachable=0 afterwards);
//   10 mysqld killed over SSH, the host is still reachable (ssh_reachable=1);
//   other (or not started, timed out, killed by a signal): failure, MHA
//      aborts the failover.
enum class ShutdownOutcome { powered_off, killed_host_reachable, failed };
ShutdownOutcome shutdown_outcome(const ScriptResult& result);

// Runs cluster.shutdown_script (must be set) with shutdown_script_argv, for
// at most `limit`.
ScriptResult run_shutdown_script(const ClusterConfig& cluster, const ServerConfig& dead, bool ssh_reachable,
                                 std::chrono::milliseconds limit = kShutdownScriptTimeout);

// ---- report_script (MHA 6.4) -----------------------------------------------
// <script words...> --orig_master_host=H
//   [--new_master_host=H2 --new_slave_hosts=a,b]   only when new_master_host
//                                                  is not empty (MHA: the new
//                                                  master was activated);
//                                                  the list may be empty
//   --conf=<conf_path> --subject=<subject> --body=<body>
// The exit code is only logged by the caller (MHA: "Failed to send mail").
std::vector<std::string> report_script_argv(const ClusterConfig& cluster, const std::string& orig_master_host,
                                            const std::string& new_master_host,
                                            const std::vector<std::string>& new_slave_hosts,
                                            const std::string& conf_path, const std::string& subject,
                                            const std::string& body);

ScriptResult run_report_script(const ClusterConfig& cluster, const std::string& orig_master_host,
                               const std::string& new_master_host /* "" if none */,
                               const std::vector<std::string>& new_slave_hosts, const std::string& conf_path,
                               const std::string& subject, const std::string& body);

// ---- helpers ----------------------------------------------------------------
// argv joined with spaces for the log, the secret scrubbed.
std::string argv_for_log(const std::vector<std::string>& argv, const Secret& secret);
// One line on how a script ended: "exited 0", "exited 10", "killed by signal
// 9", "did not finish within 60 s (killed)", "cannot run '...': ...".
std::string script_status_text(const ScriptResult& result, std::chrono::milliseconds timeout);

}  // namespace mha
