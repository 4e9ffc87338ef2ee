// The frozen master's kill-and-wait command, run through a real /bin/sh
// against real processes: a stopped child is killed and seen gone; one the
// kill does not reach (sudo without rights, here a shell function that does
// nothing) is waited for, then reported, never taken for gone.
#include <catch2/catch.hpp>

#include "daemon/failover/kill_command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace mha;
using namespace mha::failover_detail;
using namespace std::chrono_literals;

namespace {

// popen runs `sh -c COMMAND`, as sshd runs an exec request's command.
CommandResult run_sh(const std::string& command) {
  CommandResult r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p);
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, p)) r.out += buffer;
  const int status = ::pclose(p);
  r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A child stopped with SIGSTOP, like a frozen mysqld.
pid_t frozen_child() {
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::raise(SIGSTOP);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
  REQUIRE(WIFSTOPPED(status));
  return child;
}

}  // namespace

TEST_CASE("kill-and-wait: a stopped process is killed and seen gone, in one command", "[failover][kill]") {
  const pid_t child = frozen_child();
  // Reap it as soon as it dies (on the host init does): a zombie still
  // answers kill -0.
  std::thread reaper([child] { ::waitpid(child, nullptr, 0); });
  CommandResult r = run_sh(kill_and_wait_command({child}, false, 2000ms));
  reaper.join();
  INFO(r.out);
  CHECK(r.exit_status == 0);
  CHECK(kill_outcome(r, "master", 2000ms).empty());
}

TEST_CASE("kill-and-wait: a killed process that is a zombie (not reaped yet) counts as gone", "[failover][kill]") {
  const pid_t child = frozen_child();
  // Not reaped until the command has returned: it stays a zombie.
  const auto started = std::chrono::steady_clock::now();
  CommandResult r = run_sh(kill_and_wait_command({child}, false, 2000ms));
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(r.out);
  CHECK(r.exit_status == 0);
  CHECK(took < 1s);
  ::waitpid(child, nullptr, 0);
}

TEST_CASE("kill-and-wait: a process the kill does not reach is reported after the wait", "[failover][kill]") {
  const pid_t child = frozen_child();
  // sudo that does nothing: the kill -9 never happens.
  CommandResult r = run_sh("sudo() { :; }; " + kill_and_wait_command({child}, true, 200ms));
  INFO(r.out);
  CHECK(r.exit_status == k_kill_still_exists);
  CHECK(kill_outcome(r, "master", 200ms) ==
        "process " + std::to_string(child) + " on 'master' still exists 200 ms after kill -9");
  CHECK(::kill(child, 0) == 0);  // really still there
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST_CASE("kill-and-wait: a failure of the command itself is not 'gone'", "[failover][kill]") {
  CommandResult denied{1, "", "sudo: a password is required"};
  CHECK(kill_outcome(denied, "master", 5000ms) == "kill -9 on 'master' exited 1: sudo: a password is required");
}
