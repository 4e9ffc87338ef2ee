// Helpers for integration tests: run shell commands, drive the sandbox
// (tests/sandbox/sandbox.sh), start and stop a real mhad by PID, and talk to
// its control socket. Everything started here is stopped here, by PID.
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/sql_session.h"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace mha::it {

struct CommandOutput {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

CommandOutput run(const std::string& command);
std::string sandbox_script();
std::string sandbox_dir();
// Writes an mhad config for the sandbox into sandbox_dir()/SUBDIR (kept
// state dir, if any, stays) and returns that directory. REQUIREs success.
// Tests that kill the master only to watch detection pass auto_failover=false.
std::string sandbox_config(const std::string& subdir, bool auto_failover);
// SQL on sandbox host i as root over its unix socket; REQUIREs success.
std::string sandbox_sql(int host, const std::string& sql);
// The sandbox's certificates when it runs TLS-only (sandbox.sh start --tls):
// verify_identity with its CA and client certificate; else disabled.
TlsSettings sandbox_client_tls();
// How a test's own session reaches a sandbox server as `user`: over TLS on a
// TLS-only sandbox (sandbox_client_tls()).
SqlEndpoint sandbox_endpoint(const std::string& host, std::uint16_t port, const std::string& user,
                             const std::string& password);

// Polls `done` every 100 ms until it returns true or `timeout` passes.
bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done);

class Mhad {
 public:
  explicit Mhad(std::string config_dir);  // dir with mhad.toml (from sandbox gen-config)
  ~Mhad();
  // env: extra variables for mhad (test hooks like MHAD_TEST_CRASH_AT_PHASE).
  bool start(const std::vector<std::pair<std::string, std::string>>& env = {});
  // Waits for an mhad that exits by itself (a test hook); its exit status
  // as from waitpid, or -1 if it is still running after `limit`.
  int wait_exit(std::chrono::milliseconds limit);
  // SIGTERM, wait up to `limit`; returns how long it took, or -1 ms if it had to be killed.
  std::chrono::milliseconds stop(std::chrono::milliseconds limit = std::chrono::seconds(5));
  void signal(int signo) const;
  pid_t pid() const { return m_pid; }
  std::string socket() const { return m_dir + "/mhad.sock"; }
  std::string log() const;
  // One request over the socket; returns the parsed reply line (result or error).
  nlohmann::json request(const nlohmann::json& request) const;
  nlohmann::json status() const;  // result of {"cmd":"status"}; null on error

 private:
  std::string status_reply_raw() const;
  std::string m_dir;
  pid_t m_pid = -1;
};

std::string mhactl_path();
std::string mhad_path();

}  // namespace mha::it
