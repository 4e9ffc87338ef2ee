// The frozen master's kill as ONE remote command: kill -9 every pid, then
// wait on the host itself until each is gone. Polling `kill -0` from mhad
// cost one SSH channel (150-280 ms) per poll; on the host a poll is a shell
// builtin every 10 ms.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "daemon/remote_shell.h"

namespace mha::failover_detail {

// Exit 0: every pid is gone. Exit 3: one still exists after `wait`, named
// on stdout ("still exists: PID"). A pid counts as gone only when kill -0
// says "No such process": "Operation not permitted" (a non-root ssh_user
// without sudo) proves it exists. LC_ALL=C keeps that message English. A
// zombie counts as gone: it runs nothing and holds no port or file, and its
// reaping is up to its parent (this test machine's init reaps every 1.5 s).
std::string kill_and_wait_command(const std::vector<int>& pids, bool sudo, std::chrono::milliseconds wait);
constexpr int k_kill_still_exists = 3;

// "" when the command says every pid is gone, else why not (for the report).
std::string kill_outcome(const CommandResult& result, const std::string& server, std::chrono::milliseconds wait);

}  // namespace mha::failover_detail
