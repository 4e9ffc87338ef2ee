#include "integration/harness.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace mha::it {

using namespace std::chrono_literals;

CommandOutput run(const std::string& command) {
  CommandOutput result;
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string sandbox_script() { return std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh"; }
std::string sandbox_dir() { return std::getenv("MHA_SANDBOX_DIR"); }

std::string sandbox_config(const std::string& subdir, bool auto_failover) {
  std::string dir = sandbox_dir() + "/" + subdir;
  auto generated = run(sandbox_script() + " gen-config " + dir + " --ping-interval 1s" +
                       (auto_failover ? "" : " --no-auto-failover"));
  INFO(generated.out);
  REQUIRE(generated.exit_code == 0);
  return dir;
}
std::string mhactl_path() { return std::string(MHA_BINARY_DIR) + "/mhactl"; }
std::string mhad_path() { return std::string(MHA_BINARY_DIR) + "/mhad"; }

std::string sandbox_sql(int host, const std::string& sql) {
  std::string quoted;
  for (char c : sql) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  auto r = run(sandbox_script() + " sql " + std::to_string(host) + " '" + quoted + "'");
  INFO(sql << "\n" << r.out);
  REQUIRE(r.exit_code == 0);
  while (!r.out.empty() && (r.out.back() == '\n' || r.out.back() == '\r')) r.out.pop_back();
  return r.out;
}

TlsSettings sandbox_client_tls() {
  std::ifstream state(sandbox_dir() + "/sandbox.state");
  std::string line;
  bool tls = false;
  while (std::getline(state, line)) tls = tls || line == "tls=1";
  if (!tls) return {};
  const std::string dir = sandbox_dir() + "/tls/";
  return TlsSettings{SslMode::verify_identity, dir + "ca.pem", dir + "client.pem", dir + "client.key"};
}

SqlEndpoint sandbox_endpoint(const std::string& host, std::uint16_t port, const std::string& user,
                             const std::string& password) {
  SqlEndpoint e{host, port, user, password};
  e.tls = sandbox_client_tls();
  return e;
}

bool wait_until(std::chrono::milliseconds timeout, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

Mhad::Mhad(std::string config_dir) : m_dir(std::move(config_dir)) {}

Mhad::~Mhad() {
  if (m_pid > 0) stop(2s);
}

bool Mhad::start(const std::vector<std::pair<std::string, std::string>>& env) {
  std::string log_path = m_dir + "/mhad.log";
  const pid_t parent = ::getpid();
  m_pid = ::fork();
  if (m_pid == 0) {
    // A test binary that dies without its destructors (a signal: SIGPIPE
    // from a reader that quit, a crash) takes its mhad with it. Tests start
    // mhad from their main thread, whose exit is the process's.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("JOURNAL_STREAM");
    std::string config = m_dir + "/mhad.toml";
    // Failpoints exist only in the test build of the daemon (daemon/failpoints.h).
    bool hooks = false;
    for (const auto& [name, value] : env) hooks = hooks || name.rfind("MHAD_TEST_", 0) == 0;
    std::string binary = hooks ? mhad_path() + "-testhooks" : mhad_path();
    ::execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "--log-level", "debug",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Ready when the socket answers.
  return wait_until(10s, [this] {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return true;  // exited: reported below
    }
    return !status_reply_raw().empty();
  }) && m_pid > 0;
}

int Mhad::wait_exit(std::chrono::milliseconds limit) {
  if (m_pid <= 0) return -1;
  int status = 0;
  bool exited = wait_until(limit, [&] { return ::waitpid(m_pid, &status, WNOHANG) == m_pid; });
  if (!exited) return -1;
  m_pid = -1;
  return status;
}

std::chrono::milliseconds Mhad::stop(std::chrono::milliseconds limit) {
  if (m_pid <= 0) return 0ms;
  auto start = std::chrono::steady_clock::now();
  ::kill(m_pid, SIGTERM);
  while (std::chrono::steady_clock::now() - start < limit) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
  return -1ms;
}

void Mhad::signal(int signo) const {
  if (m_pid > 0) ::kill(m_pid, signo);
}

std::string Mhad::log() const {
  std::ifstream in(m_dir + "/mhad.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Mhad::status_reply_raw() const {
  auto reply = request(nlohmann::json{{"id", 0}, {"cmd", "status"}});
  return reply.is_null() ? "" : reply.dump();
}

nlohmann::json Mhad::request(const nlohmann::json& request) const {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = socket();
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return nullptr;
  }
  std::string line = request.dump() + "\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return nullptr;
  }
  std::string reply;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  char c;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    if (::read(fd, &c, 1) != 1) break;
    if (c == '\n') {
      auto doc = nlohmann::json::parse(reply, nullptr, false);
      if (!doc.is_discarded() && doc.contains("event")) {  // progress line: keep reading
        reply.clear();
        continue;
      }
      ::close(fd);
      return doc.is_discarded() ? nlohmann::json(nullptr) : doc;
    }
    reply += c;
  }
  ::close(fd);
  return nullptr;
}

nlohmann::json Mhad::status() const {
  auto reply = request(nlohmann::json{{"id", 1}, {"cmd", "status"}});
  if (reply.is_null() || reply.value("ok", false) != true) return nullptr;
  return reply["result"];
}

}  // namespace mha::it
