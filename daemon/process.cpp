// Running a local program (see process.h).

#include "daemon/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace mha {

namespace {

constexpr std::size_t k_max_output = 64 * 1024;

void close_all(std::initializer_list<int> fds) {
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
}

}  // namespace

std::vector<std::string> environment_without(std::initializer_list<std::string_view> names) {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    bool dropped = false;
    for (std::string_view drop : names) dropped = dropped || name == drop;
    if (!dropped) out.emplace_back(text);
  }
  return out;
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& stdin_path,
                          const std::vector<std::string>& environment, std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (argv.empty()) {
    result.error = "empty command";
    return result;
  }
  // stdin: the file asked for must open; /dev/null is best effort (the
  // child then keeps mhad's stdin, as it always did).
  const bool own_input = !stdin_path.empty();
  int input = ::open(own_input ? stdin_path.c_str() : "/dev/null", O_RDONLY | O_CLOEXEC);
  if (input < 0 && own_input) {
    result.error = fmt::format("cannot open '{}': {}", stdin_path, std::strerror(errno));
    return result;
  }
  int out_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    close_all({input});
    return result;
  }
  // Error from exec, reported through a second close-on-exec pipe.
  int exec_fds[2];
  if (::pipe2(exec_fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    close_all({input, out_fds[0], out_fds[1]});
    return result;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  sigset_t no_signals;
  sigemptyset(&no_signals);

  pid_t pid = ::fork();
  if (pid < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    close_all({input, out_fds[0], out_fds[1], exec_fds[0], exec_fds[1]});
    return result;
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a timeout kills whatever it started too
    if (input >= 0) ::dup2(input, STDIN_FILENO);
    ::dup2(out_fds[1], STDOUT_FILENO);
    ::dup2(out_fds[1], STDERR_FILENO);
    ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);  // mhad blocks signals for its signalfd
    ::execve(args[0], args.data(), envp.data());
    int error = errno;
    [[maybe_unused]] auto n = ::write(exec_fds[1], &error, sizeof error);
    ::_exit(127);
  }
  close_all({input, out_fds[1], exec_fds[1]});
  int exec_error = 0;
  if (::read(exec_fds[0], &exec_error, sizeof exec_error) == static_cast<ssize_t>(sizeof exec_error)) {
    close_all({exec_fds[0], out_fds[0]});
    ::waitpid(pid, nullptr, 0);
    result.error = fmt::format("cannot run '{}': {}", argv[0], std::strerror(exec_error));
    return result;
  }
  ::close(exec_fds[0]);
  result.started = true;

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd p{out_fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) continue;
    ssize_t n = ::read(out_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the program (and its children) closed the pipe
    // Read on to EOF (a full pipe would block the program), keep at most k_max_output.
    const std::size_t room = k_max_output - result.output.size();
    result.output.append(buffer, std::min(room, static_cast<std::size_t>(n)));
  }
  ::close(out_fds[0]);
  int status = 0;
  if (!result.timed_out) {
    // EOF came; the process exits right after (or already has). Bound the wait.
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        break;
      }
      ::usleep(2000);
    }
  }
  if (result.timed_out) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return result;
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace mha
