#include "bench/bench_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "common/protocol.h"

namespace mha::bench {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

const char* g_program = "bench";
volatile std::sig_atomic_t g_interrupted = 0;
void on_signal(int) { g_interrupted = 1; }

int start_benchmark(const char* program, const std::string& work_dir) {
  g_program = program;
  if (::geteuid() != 0) {
    std::fprintf(stderr, "%s: must run as root (the sandbox starts mariadbd as user mysql)\n", program);
    return 77;
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  std::error_code ec;
  fs::create_directories(work_dir, ec);
  return 0;
}

CommandOutput run(const std::string& command, int timeout_seconds) {
  CommandOutput result;
  std::string full = fmt::format("timeout --kill-after=10 {} {} 2>&1", timeout_seconds, command);
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string tail(const std::string& text, int lines) {
  std::size_t pos = text.size();
  while (lines-- > 0 && pos > 0) {
    auto nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) return text;
    pos = nl;
  }
  return text.substr(pos == 0 ? 0 : pos + 1);
}

bool Sandbox::start(int connections, const std::string& log_path) {
  ::setenv("MHA_SANDBOX_MAX_CONNECTIONS", std::to_string(connections).c_str(), 1);
  m_started = true;  // even a failed start may leave processes: stop() cleans up
  auto r = run(fmt::format("{} start --dir {}", m_script, m_dir), 600);
  std::ofstream(log_path, std::ios::app) << r.out;
  if (r.exit_code != 0) {
    std::fprintf(stderr, "%s: sandbox start failed (exit %d), last lines:\n%s\n", g_program, r.exit_code,
                 tail(r.out, 15).c_str());
    return false;
  }
  for (int i = 0; i < k_servers; ++i) {
    auto have = sql(i, "SELECT @@max_connections");
    if (!have) return false;
    if (std::stol(*have) < connections) {
      if (!sql(i, fmt::format("SET GLOBAL max_connections = {}", connections))) return false;
      auto now = sql(i, "SELECT @@max_connections");
      if (!now) return false;
      if (std::stol(*now) < connections)
        std::fprintf(stderr, "%s: warning: host %d max_connections is %s, wanted %d\n", g_program, i,
                     now->c_str(), connections);
    }
  }
  return true;
}

std::optional<std::string> Sandbox::sql(int host, const std::string& statement) const {
  auto r = run(fmt::format("{} sql {} '{}' --dir {}", m_script, host, statement, m_dir), 60);
  if (r.exit_code != 0) {
    std::fprintf(stderr, "%s: sandbox sql on host %d failed: %s\n", g_program, host, trim(r.out).c_str());
    return std::nullopt;
  }
  return trim(r.out);
}

std::vector<pid_t> Sandbox::mariadbd_pids() const {
  std::vector<pid_t> pids;
  for (int i = 0; i < k_servers; ++i) {
    std::ifstream in(fmt::format("{}/host{}/pid.mariadbd", m_dir, i));
    long pid = 0;
    pids.push_back(in >> pid ? static_cast<pid_t>(pid) : -1);
  }
  return pids;
}

void Sandbox::stop() {
  if (!m_started) return;
  m_started = false;
  std::fprintf(stderr, "%s: stopping the sandbox in %s\n", g_program, m_dir.c_str());
  auto r = run(fmt::format("{} stop --dir {} --purge", m_script, m_dir), 180);
  if (r.exit_code != 0) std::fprintf(stderr, "%s: sandbox stop: %s\n", g_program, tail(r.out, 10).c_str());
}

bool Mhad::start() {
  std::string log = log_path().string();
  std::string config = (m_dir / "mhad.toml").string();
  ::unlink((m_dir / "mhad.sock").c_str());
  ::truncate(log.c_str(), 0);
  m_pid = ::fork();
  if (m_pid < 0) return false;
  if (m_pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    // 3N sockets plus epoll and the control socket: allow what the hard limit does.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("JOURNAL_STREAM");
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execl(m_binary.c_str(), m_binary.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !g_interrupted) {
    if (!alive()) return false;
    if (request("version", 2s)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

bool Mhad::alive() {
  if (m_pid <= 0) return false;
  int status = 0;
  if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
    std::fprintf(stderr, "%s: mhad exited (%s %d)\n", g_program, WIFEXITED(status) ? "status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    m_pid = -1;
    return false;
  }
  return true;
}

void Mhad::stop() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
      m_pid = -1;
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  std::fprintf(stderr, "%s: mhad did not stop within 10 s of SIGTERM; SIGKILL\n", g_program);
  ::kill(m_pid, SIGKILL);
  ::waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

std::optional<json> Mhad::request(const std::string& cmd, std::chrono::milliseconds timeout, const json& args) const {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = (m_dir / "mhad.sock").string();
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  std::string line = mha::protocol::make_request(1, cmd, args);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return std::nullopt;
  }
  std::string buffer;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 65536> chunk{};
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n <= 0) break;
    buffer.append(chunk.data(), static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      auto reply = mha::protocol::parse_reply(std::string_view(buffer).substr(0, nl));
      buffer.erase(0, nl + 1);
      if (!reply) {
        std::fprintf(stderr, "%s: %s: %s\n", g_program, cmd.c_str(), reply.error().message.c_str());
        ::close(fd);
        return std::nullopt;
      }
      if (reply->kind == mha::protocol::Reply::Kind::event) continue;
      ::close(fd);
      if (reply->kind == mha::protocol::Reply::Kind::error) {
        std::fprintf(stderr, "%s: %s: %s\n", g_program, cmd.c_str(), reply->body.dump().c_str());
        return std::nullopt;
      }
      return reply->body;
    }
  }
  ::close(fd);
  return std::nullopt;
}

bool wait_for(std::chrono::milliseconds limit, const std::function<bool()>& done, std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline && !g_interrupted) {
    if (done()) return true;
    std::this_thread::sleep_for(poll);
  }
  return done();
}

int run_guarded(const std::function<int()>& body) {
  int rc;
  try {
    rc = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", g_program, e.what());
    rc = 1;
  }
  if (g_interrupted) std::fprintf(stderr, "%s: interrupted\n", g_program);
  return rc;
}

Option int_option(std::string name, int& into, int min, int max) {
  return Option{name, [&into, min, max, name](const std::string& v) -> std::string {
                  char* end = nullptr;
                  const long n = std::strtol(v.c_str(), &end, 10);
                  if (v.empty() || *end != '\0' || n < min || n > max)
                    return fmt::format("{} must be {}..{}, got '{}'", name, min, max, v);
                  into = static_cast<int>(n);
                  return "";
                }};
}

Option text_option(std::string name, std::string& into) {
  return Option{std::move(name), [&into](const std::string& v) -> std::string {
                  into = v;
                  return "";
                }};
}

Option choice_option(std::string name, std::string& into, std::vector<std::string> choices) {
  return Option{name, [&into, name, choices](const std::string& v) -> std::string {
                  if (std::find(choices.begin(), choices.end(), v) != choices.end()) {
                    into = v;
                    return "";
                  }
                  std::string all;
                  for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
                  return fmt::format("{} must be one of {}, got '{}'", name, all, v);
                }};
}

Option flag_option(std::string name, bool& into) { return Option{std::move(name), nullptr, &into}; }

bool parse_options(const char* program, int argc, char** argv, const std::vector<Option>& options,
                   const std::string& usage) {
  auto refuse = [&](const std::string& why) {
    std::fprintf(stderr, "%s: %s\n%s", program, why.c_str(), usage.c_str());
    return false;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage.c_str(), stdout);
      std::exit(0);
    }
    auto it = std::find_if(options.begin(), options.end(), [&](const Option& o) { return o.name == arg; });
    if (it == options.end()) return refuse("unknown option '" + arg + "'");
    if (!it->set) {
      *it->flag = true;
      continue;
    }
    if (i + 1 >= argc) return refuse(arg + " needs a value");
    if (std::string why = it->set(argv[++i]); !why.empty()) return refuse(why);
  }
  return true;
}

}  // namespace mha::bench
