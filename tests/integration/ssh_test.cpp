// LibsshShell against the sandbox's sshd: a command's output is capped
// (remote_shell.h, k_max_command_output), the command fails naming the host
// and the cap, and the next command runs on a fresh login.
#include <catch2/catch.hpp>

#include "daemon/libssh_shell.h"
#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;

namespace {

SshEndpoint sandbox_ssh(const std::string& host) {
  SshEndpoint e;
  e.host = host;
  e.port = 2222;
  e.user = "root";
  e.key_file = sandbox_dir() + "/ssh/id_ed25519";
  e.known_hosts = sandbox_dir() + "/mhad/known_hosts";
  return e;
}

}  // namespace

TEST_CASE("ssh: output beyond the cap fails the command with host and cap; the next command works",
          "[integration][ssh]") {
  LibsshShell shell(sandbox_ssh("127.0.0.11"));
  auto small = shell.run("echo ok", 10s);
  REQUIRE(small);
  CHECK(small->out == "ok\n");
  SECTION("the default cap, 16 MiB") {
    auto big = shell.run("head -c 20000000 /dev/zero", 30s);
    REQUIRE_FALSE(big);
    CHECK(big.error().code == Errc::io);
    CHECK(big.error().message ==
          "ssh 127.0.0.11: the command sent more than 16777216 bytes of output; stopped reading");
  }
  SECTION("a cap given by the caller (binlog salvage), stderr counted too") {
    auto big = shell.run_large("head -c 5000 /dev/zero >&2; head -c 6000 /dev/zero", 10s, 10000);
    REQUIRE_FALSE(big);
    CHECK(big.error().message == "ssh 127.0.0.11: the command sent more than 10000 bytes of output; stopped reading");
    auto fits = shell.run_large("head -c 9000 /dev/zero", 10s, 10000);
    REQUIRE(fits);
    CHECK(fits->out.size() == 9000);
  }
  auto after = shell.run("echo again", 10s);
  REQUIRE(after);
  CHECK(after->out == "again\n");
}
