// MHA's master_ip_online_change_script (mha.md §6.2), with MHA's exact
// arguments and exit codes, so the scripts users run under MHA keep working:
//   --command=stop|start --orig_master_host=H --orig_master_ip=IP
//   --orig_master_port=P --orig_master_user=U --new_master_host=H2
//   --new_master_ip=IP2 --new_master_port=P2 --new_master_user=U
//   --orig_master_ssh_user=S --new_master_ssh_user=S2 + orig ssh args + new
//   ssh args [--orig_master_is_new_slave] --orig_master_password=PW
//   --new_master_password=PW
// Exit 0 ok, 10 ok with a warning, anything else a failure. The passwords
// are on the script's command line only because MHA's interface puts them
// there; they are scrubbed from everything mhad logs or reports.
#pragma once

#include "common/config.h"
#include "daemon/failover/vip.h"

#include <string>
#include <vector>

namespace mha {

enum class OnlineChangeCommand { stop, start };

std::vector<std::string> online_change_script_argv(const ClusterConfig& cluster, OnlineChangeCommand command,
                                                   const ServerConfig& orig, const ServerConfig& next,
                                                   bool orig_master_is_new_slave);

// Runs it (bounded by kVipScriptTimeout, or `limit` when less) and reads
// the exit code.
VipOutcome run_online_change_script(const ClusterConfig& cluster, OnlineChangeCommand command,
                                    const ServerConfig& orig, const ServerConfig& next,
                                    bool orig_master_is_new_slave,
                                    std::chrono::milliseconds limit = k_vip_no_limit);

}  // namespace mha
