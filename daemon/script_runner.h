// Runs an operator's hook script (secondary_check_script, and later the
// MHA-compatible VIP/shutdown/report scripts): argv without a shell, so no
// value is ever re-interpreted, a deadline after which the script's process
// group is killed, and output captured (bounded) for the log. Scripts run
// without NOTIFY_SOCKET so that they cannot talk to systemd in mhad's name.
// Blocking: worker threads only.
#pragma once

#include "common/config.h"
#include "daemon/process.h"

#include <chrono>
#include <string>
#include <vector>

namespace mha {

// started false: not executable / not found (see error).
using ScriptResult = ProcessResult;

// Splits a configured command ("/usr/bin/check -s host1 -s host2") into argv
// on whitespace, honouring single and double quotes. No other shell syntax.
std::vector<std::string> split_command(const std::string& command);

// The output and error come back without any --*password=VALUE the script
// was given (in any escaped form).
ScriptResult run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// The same, for a cluster's hook scripts, whose output is logged and stored
// (reports, status): also without any secret of `cluster` (scrub_secrets:
// the admin and replication passwords, in their escaped forms), since a
// script may read them from the config (--conf) or from a server's error.
ScriptResult run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                        const ClusterConfig& cluster);

}  // namespace mha
