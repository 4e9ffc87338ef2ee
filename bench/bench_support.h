// Shared by the benchmarks in bench/: run a shell command with a bound,
// drive the loopback sandbox (tests/sandbox/sandbox.sh), and start, ask and
// stop one mhad by PID. Messages go to stderr prefixed with g_program.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mha::bench {

extern const char* g_program;                  // "monitor_scale", "failover", ...
extern volatile std::sig_atomic_t g_interrupted;  // set by on_signal (SIGINT/SIGTERM)
void on_signal(int);

// What every benchmark does first: set g_program, check for root (the
// sandbox starts mariadbd as user mysql), route SIGINT/SIGTERM to
// on_signal, create work_dir. Returns 0, or the exit code to return (77).
int start_benchmark(const char* program, const std::string& work_dir);

struct CommandOutput {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};
// `command` through sh, killed after timeout_seconds (coreutils timeout).
CommandOutput run(const std::string& command, int timeout_seconds);
std::string trim(std::string s);
// Polls `done` every `poll` until it returns true, `limit` passes or the
// benchmark is interrupted; returns done()'s last answer.
bool wait_for(std::chrono::milliseconds limit, const std::function<bool()>& done,
              std::chrono::milliseconds poll = std::chrono::milliseconds(50));
// Runs `body` with g_program's name on any exception and on an interrupt:
// what every benchmark's main does after start_benchmark.
int run_guarded(const std::function<int()>& body);
std::string tail(const std::string& text, int lines);

// One command-line option of a benchmark: "--name VALUE", or a flag.
// `set` takes the value and returns "" or why it is refused.
struct Option {
  std::string name;
  std::function<std::string(const std::string& value)> set;  // null: a flag
  bool* flag = nullptr;
};
Option int_option(std::string name, int& into, int min, int max);
Option text_option(std::string name, std::string& into);
Option choice_option(std::string name, std::string& into, std::vector<std::string> choices);
Option flag_option(std::string name, bool& into);
// argv against `options`. --help/-h: `usage` on stdout, exit 0. A missing
// value, a refused value or an unknown option: "PROGRAM: why" and the usage
// on stderr, false.
bool parse_options(const char* program, int argc, char** argv, const std::vector<Option>& options,
                   const std::string& usage);

// The loopback sandbox in `dir`: 3 servers (master + 2 replicas).
class Sandbox {
 public:
  static constexpr int k_servers = 3;
  Sandbox(std::string script, std::string dir) : m_script(std::move(script)), m_dir(std::move(dir)) {}
  // Starts it (or finds it running) with room for `connections` clients
  // per server; an already running one gets SET GLOBAL max_connections.
  bool start(int connections, const std::string& log_path);
  std::optional<std::string> sql(int host, const std::string& statement) const;
  std::vector<pid_t> mariadbd_pids() const;
  // stop --purge, if this object started it.
  void stop();
  const std::string& script() const { return m_script; }
  const std::string& dir() const { return m_dir; }

 private:
  std::string m_script;
  std::string m_dir;
  bool m_started = false;
};

// One mhad on DIR/mhad.toml, its log in DIR/mhad.log, socket DIR/mhad.sock.
class Mhad {
 public:
  Mhad(std::string binary, std::filesystem::path dir) : m_binary(std::move(binary)), m_dir(std::move(dir)) {}
  ~Mhad() { stop(); }
  Mhad(const Mhad&) = delete;
  Mhad& operator=(const Mhad&) = delete;

  pid_t pid() const { return m_pid; }
  std::filesystem::path log_path() const { return m_dir / "mhad.log"; }
  bool start();
  bool alive();
  // SIGTERM by PID; SIGKILL after 10 s.
  void stop();
  // One request, its result object (nullopt on any failure, said on stderr).
  std::optional<nlohmann::json> request(const std::string& cmd, std::chrono::milliseconds timeout,
                                        const nlohmann::json& args = nlohmann::json::object()) const;

 private:
  std::string m_binary;
  std::filesystem::path m_dir;
  pid_t m_pid = -1;
};

}  // namespace mha::bench
