// Runs an operator's hook script (secondary_check_script, and later the
// MHA-compatible VIP/shutdown/report scripts): argv without a shell, so no
// value is ever re-interpreted, a deadline after which the script's process
// group is killed, and output captured (bounded) for the log. Scripts run
// without NOTIFY_SOCKET so that they cannot talk to systemd in mhad's name.
// Blocking: worker threads only.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mha {

struct ScriptResult {
  bool started = false;    // false: not executable / not found (see error)
  bool timed_out = false;
  int exit_code = -1;      // when it exited normally
  int signal = 0;          // when a signal ended it
  std::string output;      // stdout+stderr, at most 64 KiB
  std::string error;
};

// Splits a configured command ("/usr/bin/check -s host1 -s host2") into argv
// on whitespace, honouring single and double quotes. No other shell syntax.
std::vector<std::string> split_command(const std::string& command);

ScriptResult run_script(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace mha
