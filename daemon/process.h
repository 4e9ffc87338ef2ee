// Runs a local program: argv without a shell (no value is ever
// re-interpreted), stdin from a file or /dev/null, the environment given,
// stdout+stderr captured (bounded), and a deadline after which the
// program's process group is killed. Everything the child needs is built
// before fork() (argv, envp, the stdin descriptor, the pipes): between fork
// and exec the child only calls setpgid, dup2, sigprocmask, execve, write and
// _exit, all async-signal-safe, which is what a multi-threaded parent allows
// (no malloc, no setenv/unsetenv, no open). Blocking: worker threads only.
#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

struct ProcessResult {
  bool started = false;    // false: could not be run (see error)
  bool timed_out = false;
  int exit_code = -1;      // when it exited normally
  int signal = 0;          // when a signal ended it
  std::string output;      // stdout+stderr, at most 64 KiB
  std::string error;       // why it could not be run
};

// mhad's environment ("NAME=value" entries) without the variables named.
std::vector<std::string> environment_without(std::initializer_list<std::string_view> names);

// argv[0] is a path (no PATH search). stdin_path "" reads /dev/null. The
// child runs in its own process group with no signals blocked.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_path,
                          const std::vector<std::string>& environment, std::chrono::milliseconds timeout);

}  // namespace mha
