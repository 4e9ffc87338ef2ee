// run_process: argv without a shell, the environment given (built before
// fork, passed to execve), stdin, output, exit status, deadline.
#include "daemon/process.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

using namespace mha;
using namespace std::chrono_literals;

TEST_CASE("run_process: the child gets exactly the environment given, a dropped variable is gone", "[process]") {
  ::setenv("MHA_PROCESS_TEST_DROP", "dropped-value", 1);
  ::setenv("MHA_PROCESS_TEST_KEEP", "kept-value", 1);
  auto env = environment_without({"MHA_PROCESS_TEST_DROP", "NOTIFY_SOCKET"});
  ProcessResult r = run_process({"/usr/bin/env"}, "", env, 5s);
  ::unsetenv("MHA_PROCESS_TEST_DROP");
  ::unsetenv("MHA_PROCESS_TEST_KEEP");
  REQUIRE(r.started);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("MHA_PROCESS_TEST_KEEP=kept-value\n") != std::string::npos);
  CHECK(r.output.find("MHA_PROCESS_TEST_DROP") == std::string::npos);
  CHECK(r.output.find("dropped-value") == std::string::npos);
  // mhad's own environment is not inherited: only what the caller built.
  ProcessResult only = run_process({"/usr/bin/env"}, "", {"A=1", "B=two words"}, 5s);
  CHECK(only.output == "A=1\nB=two words\n");
}

TEST_CASE("run_process: argv reaches the program unchanged, no shell", "[process]") {
  ProcessResult r = run_process({"/bin/echo", "$(touch /tmp/x)", "a b", "'q'"}, "", {}, 5s);
  REQUIRE(r.started);
  CHECK(r.output == "$(touch /tmp/x) a b 'q'\n");
}

TEST_CASE("run_process: stdin from the file asked for, else /dev/null", "[process]") {
  char path[] = "/tmp/mhad-process-test-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << "from the file\n";
  ProcessResult r = run_process({"/bin/cat"}, path, {}, 5s);
  CHECK(r.output == "from the file\n");
  ProcessResult none = run_process({"/bin/cat"}, "", {}, 5s);
  CHECK(none.exit_code == 0);
  CHECK(none.output.empty());
  std::remove(path);
  ProcessResult missing = run_process({"/bin/cat"}, "/nonexistent/mhad-input", {}, 5s);
  CHECK_FALSE(missing.started);
  CHECK(missing.error == "cannot open '/nonexistent/mhad-input': No such file or directory");
}

TEST_CASE("run_process: exit code, signal, exec failure and deadline", "[process]") {
  CHECK(run_process({"/bin/sh", "-c", "exit 7"}, "", {}, 5s).exit_code == 7);
  CHECK(run_process({"/bin/sh", "-c", "kill -TERM $$"}, "", {}, 5s).signal == 15);
  ProcessResult missing = run_process({"/nonexistent/program"}, "", {}, 5s);
  CHECK_FALSE(missing.started);
  CHECK(missing.error == "cannot run '/nonexistent/program': No such file or directory");
  CHECK(run_process({}, "", {}, 5s).error == "empty command");
  ProcessResult slow = run_process({"/bin/sleep", "5"}, "", {}, 200ms);
  CHECK(slow.timed_out);
}

TEST_CASE("run_process: output beyond 64 KiB is not kept", "[process]") {
  ProcessResult r = run_process({"/bin/sh", "-c", "head -c 1000000 /dev/zero"}, "", {"PATH=/usr/bin:/bin"}, 5s);
  REQUIRE(r.started);
  CHECK(r.exit_code == 0);
  CHECK(r.output.size() == 64 * 1024);
}
