// The kept shell of LibsshShell against the sandbox's real sshd: many
// commands on one shell, exit statuses, stdout/stderr apart, output without
// a trailing newline, `exit` and `cd` staying inside their command, a
// command that overruns its timeout (the next one gets a new shell), a
// shell killed on the host between two commands (transparent reconnect),
// and no command ever run twice (each appends a line to a file).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <string>

#include "daemon/libssh_shell.h"
#include "integration/harness.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;

namespace {

SshEndpoint sandbox_ssh() {
  // What sandbox.sh gen-config writes for the servers (harness: one per host).
  const std::string dir = sandbox_config("mhad-remote-shell", false);
  std::ifstream in(dir + "/clusters.d/sandbox.toml");
  std::stringstream text;
  text << in.rdbuf();
  auto value = [&](const std::string& key) {
    const std::string body = text.str();
    const auto at = body.find("\n" + key + " = ");
    REQUIRE(at != std::string::npos);
    const auto from = at + key.size() + 4;
    std::string v = body.substr(from, body.find('\n', from) - from);
    if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
    return v;
  };
  SshEndpoint e;
  e.host = value("host");
  e.port = static_cast<std::uint16_t>(std::stoi(value("ssh_port")));
  e.user = value("ssh_user");
  e.key_file = value("ssh_key");
  e.known_hosts = value("ssh_known_hosts");
  return e;
}

int lines_in(LibsshShell& shell, const std::string& file) {
  auto r = shell.run("wc -l < " + file, 5s);
  REQUIRE(r);
  return std::stoi(r->out);
}

}  // namespace

TEST_CASE("kept shell: one shell runs many commands, each once, with its own status and streams",
          "[integration][ssh]") {
  LibsshShell shell(sandbox_ssh());
  const std::string file = "/tmp/mhad-remote-shell-test.log";
  REQUIRE(shell.run("rm -f " + file, 5s));

  auto r = shell.run("printf 'no newline'; echo to-stderr >&2; exit 7", 5s);
  REQUIRE(r);
  CHECK(r->exit_status == 7);
  CHECK(r->out == "no newline");
  CHECK(r->err == "to-stderr\n");
  // exit and cd stayed inside that command: the shell is the same one.
  r = shell.run("cd /tmp; pwd", 5s);
  REQUIRE(r);
  CHECK(r->out == "/tmp\n");
  r = shell.run("pwd", 5s);
  REQUIRE(r);
  CHECK(r->out != "/tmp\n");

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    r = shell.run("echo " + std::to_string(i) + " >> " + file, 5s);
    REQUIRE(r);
    REQUIRE(r->exit_status == 0);
  }
  const auto per_command = (std::chrono::steady_clock::now() - started) / 100;
  WARN("kept shell: " << std::chrono::duration_cast<std::chrono::microseconds>(per_command).count()
                      << " us per command (100 commands)");
  CHECK(lines_in(shell, file) == 100);

  SECTION("a command that overruns its timeout fails; the next gets a new shell") {
    r = shell.run("echo late >> " + file + "; sleep 3", 500ms);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::timeout);
    CHECK(lines_in(shell, file) == 101);  // it ran once, was not sent again
  }
  SECTION("the shell killed on the host between two commands: the next command reconnects and runs once") {
    r = shell.run("echo $$", 5s);  // the kept shell's pid ($$ is the parent shell's in a subshell)
    REQUIRE(r);
    const std::string shell_pid = r->out.substr(0, r->out.find('\n'));
    REQUIRE(run("kill -9 " + shell_pid).exit_code == 0);
    std::this_thread::sleep_for(200ms);
    r = shell.run("echo after >> " + file, 5s);
    REQUIRE(r);
    CHECK(r->exit_status == 0);
    CHECK(lines_in(shell, file) == 101);
  }
  (void)shell.run("rm -f " + file, 5s);
}
