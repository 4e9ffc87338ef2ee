#include "daemon/switchover/online_change_script.h"

#include "daemon/failover/hook_scripts.h"
#include "daemon/script_runner.h"

#include <fmt/format.h>

#include <algorithm>

namespace mha {

namespace {
std::string ip_of(const ServerConfig& server) { return server.ip.empty() ? server.host : server.ip; }
}  // namespace

std::vector<std::string> online_change_script_argv(const ClusterConfig& cluster, OnlineChangeCommand command,
                                                   const ServerConfig& orig, const ServerConfig& next,
                                                   bool orig_master_is_new_slave) {
  std::vector<std::string> argv = split_command(cluster.master_ip_online_change_script);
  argv.push_back(command == OnlineChangeCommand::stop ? "--command=stop" : "--command=start");
  argv.push_back("--orig_master_host=" + orig.host);
  argv.push_back("--orig_master_ip=" + ip_of(orig));
  argv.push_back(fmt::format("--orig_master_port={}", orig.port));
  argv.push_back("--orig_master_user=" + cluster.user);
  argv.push_back("--new_master_host=" + next.host);
  argv.push_back("--new_master_ip=" + ip_of(next));
  argv.push_back(fmt::format("--new_master_port={}", next.port));
  argv.push_back("--new_master_user=" + cluster.user);
  argv.push_back("--orig_master_ssh_user=" + orig.ssh_user);
  argv.push_back("--new_master_ssh_user=" + next.ssh_user);
  append_ssh_args(argv, orig, "orig_master_", true, true);
  append_ssh_args(argv, next, "new_master_", false, true);
  if (orig_master_is_new_slave) argv.push_back("--orig_master_is_new_slave");
  argv.push_back("--orig_master_password=" + cluster.password.reveal());
  argv.push_back("--new_master_password=" + cluster.password.reveal());
  return argv;
}

VipOutcome run_online_change_script(const ClusterConfig& cluster, OnlineChangeCommand command,
                                    const ServerConfig& orig, const ServerConfig& next,
                                    bool orig_master_is_new_slave, std::chrono::milliseconds limit) {
  const auto argv = online_change_script_argv(cluster, command, orig, next, orig_master_is_new_slave);
  const auto timeout = std::min(kVipScriptTimeout, limit);
  ScriptResult r = run_script(argv, timeout, cluster);
  VipOutcome out;
  const std::string what = command == OnlineChangeCommand::stop ? "--command=stop" : "--command=start";
  std::string output = scrub_secrets(r.output, cluster);
  if (output.size() > 4096) output = output.substr(output.size() - 4096);
  const bool exited = r.started && !r.timed_out && r.signal == 0;
  out.ok = exited && (r.exit_code == 0 || r.exit_code == 10);
  out.warning = exited && r.exit_code == 10;
  out.detail = fmt::format("master_ip_online_change_script {} {}{}", what, script_status_text(r, timeout),
                           output.empty() ? "" : ": " + output);
  return out;
}

}  // namespace mha
