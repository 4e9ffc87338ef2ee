// The VIP seam: move the virtual IP (or whatever clients follow) off the old
// master and onto the new one. Two implementations:
//  - ShellVip: built in, over SSH: `ip addr del` on the old master's host
//    (short timeout: never wait long on a dead host), `ip addr add` plus a
//    gratuitous ARP (arping, sent in the background, not waited for) on the
//    new one.
//  - ScriptVip: MHA's master_ip_failover_script with exactly MHA's arguments
//    and exit codes (0 ok, 10 "proceed with a warning", other = failure), so
//    the scripts users have today keep working (argv: hook_scripts.h).
// Blocking: worker threads only. No secrets are logged; ScriptVip passes the
// new master's password on the script's command line only because MHA's
// interface does (--new_master_password), and scrubs it from the script's
// output before that goes into a VipOutcome.
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "daemon/remote_shell.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace mha {

struct VipOutcome {
  bool ok = false;       // false: the failover must stop here (MHA: croak)
  bool warning = false;  // ok, but report it (script exit 10; VIP possibly left on an unreachable host)
  std::string detail;    // what was done or what failed, for the report (never a password)
};

// No bound on a VIP call but the implementation's own timeouts.
inline constexpr std::chrono::milliseconds k_vip_no_limit = std::chrono::milliseconds::max();

class Vip {
 public:
  virtual ~Vip() = default;
  // Takes the VIP away from the old master. ssh_reachable: whether its host
  // answers SSH (MHA: --command=stopssh vs stop). `limit`: the longest the
  // call may take, whatever its own timeouts (coordination = "etcd": what
  // is left of the lease); a call cut short by it fails.
  VipOutcome release(const ServerConfig& old_master, bool ssh_reachable,
                     std::chrono::milliseconds limit = k_vip_no_limit) {
    return do_release(old_master, ssh_reachable, limit);
  }
  VipOutcome acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                     std::chrono::milliseconds limit = k_vip_no_limit) {
    return do_acquire(old_master, new_master, limit);
  }
  // Whether acquire() on the new host may run before release() on the old
  // one: true when each acts on its own host only (ShellVip). A script may
  // move one address through an API, so its stop must come first.
  virtual bool acquire_before_release() const { return false; }
  // Opens now whatever a later release/acquire on `server` needs (ShellVip:
  // the SSH login and its kept shell), so that call costs a command, not a
  // login (~370 ms). Called while the fence runs; never moves anything.
  virtual void prepare(const ServerConfig& /*server*/) {}
  // One line for status/verify/logs: the mechanism and, when known, the
  // server the VIP was last placed on by this object.
  virtual std::string describe() const = 0;

 private:
  virtual VipOutcome do_release(const ServerConfig& old_master, bool ssh_reachable,
                                std::chrono::milliseconds limit) = 0;
  virtual VipOutcome do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                                std::chrono::milliseconds limit) = 0;
};

using ShellFactory = std::function<std::unique_ptr<RemoteShell>(const ServerConfig&)>;

// The built-in VIP ([vip] address/interface/arping). One RemoteShell per
// server (by name), made by the factory on first use and kept for reuse.
//
// release(old, ssh_reachable):
//   !ssh_reachable, or SSH to the host fails (connect error, timeout): ok with
//     a warning "VIP may still be on X: ..." — the host is dead or cut off and
//     the failover proceeds (fence it when it comes back).
//   otherwise runs release_command() with a timeout of
//     min(old.ssh_connection_timeout, 3 s); "removed" and "was not there"
//     (also recognised from ip's "Cannot assign requested address" /
//     "Address not found") are ok; any other failure of the command is a
//     failure (the host is up and would keep answering on the VIP).
// acquire(old, new): runs acquire_command() on new's host, timeout
//   new.ssh_connection_timeout + 5 s; "added" or "already there" is ok (ip's
//   "File exists" / "Address already assigned" too); anything else fails.
//   The gratuitous ARP runs in the background on the host: not waited for.
class ShellVip final : public Vip {
 public:
  ShellVip(VipConfig config, ShellFactory shells);

  bool acquire_before_release() const override { return true; }
  void prepare(const ServerConfig& server) override;
  std::string describe() const override;

  // The shell command texts (one SSH command each), for tests and logs.
  // Non-root ssh_user: ip/arping run under `sudo -n`. PATH gains /usr/sbin
  // and /sbin (non-login shells of ordinary users lack them). Prints one of
  // "removed"/"absent" resp. "added"/"present", then "arping"/"no-arping".
  // arping: iputils syntax (-I IF -s IP), else Habets' arping (-i IF -S IP).
  static std::string release_command(const VipConfig& config, const ServerConfig& host);
  static std::string acquire_command(const VipConfig& config, const ServerConfig& host);
  // The gratuitous ARP alone (in the background; prints arping/no-arping);
  // without the PATH prefix, which the caller puts first.
  static std::string announce_command(const VipConfig& config, const ServerConfig& host);
  static std::chrono::milliseconds release_timeout(const ServerConfig& host);
  static std::chrono::milliseconds acquire_timeout(const ServerConfig& host);

 private:
  VipOutcome do_release(const ServerConfig& old_master, bool ssh_reachable, std::chrono::milliseconds limit) override;
  VipOutcome do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                        std::chrono::milliseconds limit) override;
  RemoteShell* shell_for(const ServerConfig& server);

  VipConfig m_config;
  ShellFactory m_shells;
  mutable std::mutex m_mutex;  // guards m_shell_cache and m_holder
  std::map<std::string, std::unique_ptr<RemoteShell>> m_shell_cache;
  std::string m_holder;  // server name the VIP was last placed on, "" unknown
};

// MHA's master_ip_failover_script: release = --command=stopssh|stop,
// acquire = --command=start (argv: vip_script_argv in hook_scripts.h),
// deadline kVipScriptTimeout. Exit 0 ok, 10 ok + warning, anything else
// (also not started / timed out / signal) a failure whose detail carries the
// script's output (last 4 KiB, the cluster password scrubbed).
class ScriptVip final : public Vip {
 public:
  // ignored_vip: [vip] was configured too; the script wins, describe() says so
  // (but its address and interface are announced by gratuitous ARP after the
  // script's --command=start: MHA's sample scripts send none, and clients'
  // ARP caches would keep the old host for tens of seconds).
  explicit ScriptVip(ClusterConfig cluster, bool ignored_vip = false, ShellFactory shells = nullptr);

  std::string describe() const override;

  // `--command=status` (MHA's check at monitor start / check_repl): exit 0 ok.
  VipOutcome status(const ServerConfig& master);

 private:
  VipOutcome do_release(const ServerConfig& old_master, bool ssh_reachable, std::chrono::milliseconds limit) override;
  VipOutcome do_acquire(const ServerConfig& old_master, const ServerConfig& new_master,
                        std::chrono::milliseconds limit) override;
  VipOutcome run(const std::string& what, const std::vector<std::string>& argv,
                 std::chrono::milliseconds limit = k_vip_no_limit, bool ten_is_warning = true);

  ClusterConfig m_cluster;
  bool m_ignored_vip = false;
  ShellFactory m_shells;
  mutable std::mutex m_mutex;
  bool m_orig_reachable = true;  // from the last release(): picks --ssh_options for start
  std::string m_holder;
};

// After a script moved the VIP onto `host`: a gratuitous ARP for [vip]
// address from [vip] interface over SSH, so that neighbours stop sending to
// the old host at once. "" when [vip] (with arping on) is not configured;
// else a clause for the report ("; mhad sent a gratuitous ARP ...").
std::string announce_vip(const ClusterConfig& cluster, const ServerConfig& host, const ShellFactory& shells);

// ScriptVip when master_ip_failover_script is set (even if [vip] is too),
// else ShellVip when [vip] is configured, else nullptr.
std::unique_ptr<Vip> make_vip(const ClusterConfig& cluster, ShellFactory shells);

}  // namespace mha
