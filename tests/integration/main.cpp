// Integration tests' main: starts the sandbox (real MariaDB servers and sshd,
// tests/sandbox/sandbox.sh) once, runs the tests, and stops it again, also
// when a test fails. Without mariadbd/sshd on the machine it skips (exit 77),
// except under CI=true, where the test command installed them: a missing
// server there is a failure, not a skip.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "integration/harness.h"

int main(int argc, char** argv) {
  bool ci = std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true";
  for (const char* binary : {"/usr/sbin/mariadbd", "/usr/sbin/sshd"}) {
    if (::access(binary, X_OK) != 0) {
      std::cerr << "integration tests need " << binary << " (run scripts/install-deps.sh)\n";
      return ci ? 1 : 77;
    }
  }
  std::string dir = std::getenv("MHA_SANDBOX_DIR") ? std::getenv("MHA_SANDBOX_DIR") : "/tmp/mha-it-sandbox";
  ::setenv("MHA_SANDBOX_DIR", dir.c_str(), 1);
  auto script = mha::it::sandbox_script();
  auto started = mha::it::run(script + " start --dir " + dir);
  std::cout << started.out;
  if (started.exit_code != 0) {
    std::cerr << "sandbox did not start (exit " << started.exit_code << ")\n";
    mha::it::run(script + " stop --dir " + dir);
    return 1;
  }
  auto config = mha::it::run(script + " gen-config " + dir + "/mhad --ping-interval 1s");
  int result = 1;
  if (config.exit_code != 0) {
    std::cerr << "gen-config failed:\n" << config.out;
  } else {
    result = Catch::Session().run(argc, argv);
  }
  auto stopped = mha::it::run(script + " stop --dir " + dir + " --purge");
  std::cout << stopped.out;
  return result;
}
