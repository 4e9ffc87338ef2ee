// bench/monitor_scale: how mhad's monitoring scales with the number of
// clusters. Starts (or reuses) a loopback sandbox of three MariaDB servers,
// writes N cluster files that all point at those three servers (so N
// clusters = 3N monitoring connections), runs mhad on them, waits until every
// cluster has been healthy once, then measures a window of --seconds: checks
// per second, mhad's CPU and RSS, the check delay from `stats`, queued jobs,
// and the mariadbd CPU. Prints numbers; it is a benchmark, not a test, and
// judges nothing. Every wait is bounded; mhad and (unless --keep-sandbox) the
// sandbox are stopped on every exit path, Ctrl-C included.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "common/protocol.h"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using SteadyTime = std::chrono::steady_clock::time_point;
namespace fs = std::filesystem;

using namespace mha::bench;
constexpr int k_servers = Sandbox::k_servers;

struct Options {
  int clusters = 10;
  int seconds = 30;
  std::string ping_interval = "1s";
  int workers = 8;
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-sandbox";
  std::string work_dir = "/tmp/mha-bench";
  int ready_timeout = 180;  // seconds for every cluster to be healthy once
  bool keep_sandbox = false;
};

std::string usage() {
  return fmt::format(
      "Usage: monitor_scale [--clusters N] [--seconds S] [--ping-interval 1s] [--workers W]\n"
      "                     [--mhad PATH] [--keep-sandbox] [--sandbox-dir DIR] [--dir DIR]\n"
      "                     [--ready-timeout S]\n"
      "\n"
      "Runs mhad on N clusters that all point at one loopback sandbox (3 MariaDB\n"
      "servers, so 3N monitoring connections) and prints checks/s, CPU, RSS and\n"
      "check delays over a window of S seconds (default 30) after every cluster\n"
      "was healthy once. Defaults: 10 clusters, ping interval 1s, 8 workers,\n"
      "mhad {}, sandbox /tmp/mha-bench-sandbox, config and logs /tmp/mha-bench.\n"
      "Needs root (the sandbox does). The sandbox is stopped and removed at the\n"
      "end unless --keep-sandbox.\n",
      MHA_MHAD_PATH);
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  if (!parse_options("monitor_scale", argc, argv,
                     {int_option("--clusters", o.clusters, 1, 100000), int_option("--seconds", o.seconds, 1, 100000),
                      int_option("--workers", o.workers, 1, 100000),
                      int_option("--ready-timeout", o.ready_timeout, 1, 100000),
                      text_option("--ping-interval", o.ping_interval), text_option("--mhad", o.mhad),
                      text_option("--sandbox-dir", o.sandbox_dir), text_option("--dir", o.work_dir),
                      flag_option("--keep-sandbox", o.keep_sandbox)},
                     usage()))
    return std::nullopt;
  return o;
}

// "1s", "500ms", "2m" -> milliseconds; nullopt if it does not look like that.
std::optional<double> interval_ms(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  double n = std::stod(text.substr(0, digits));
  std::string unit = text.substr(digits);
  if (unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60000;
  return std::nullopt;
}

// Runs a shell command bounded by `timeout`, output captured (stderr too).

// ------------------------------------------------------------ /proc readers

// utime + stime of the whole process (all threads), in seconds.
// With `thread`, of that thread only (/proc/PID/task/TID/stat).
std::optional<double> cpu_seconds(pid_t pid, pid_t thread = 0) {
  std::ifstream in(thread ? fmt::format("/proc/{}/task/{}/stat", pid, thread) : fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto paren = line.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(paren + 2));
  std::vector<std::string> f;
  std::string tok;
  while (fields >> tok) f.push_back(tok);
  if (f.size() < 13) return std::nullopt;  // f[0] is field 3 (state); utime 14, stime 15
  double ticks = std::stod(f[11]) + std::stod(f[12]);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Busy and total jiffies of the whole machine, from the "cpu" line of /proc/stat.
std::optional<std::pair<double, double>> machine_jiffies() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  if (cpu != "cpu") return std::nullopt;
  double total = 0, idle = 0, v = 0;
  for (int i = 0; i < 8 && in >> v; ++i) {  // user nice system idle iowait irq softirq steal
    total += v;
    if (i == 3 || i == 4) idle += v;
  }
  return std::pair{total - idle, total};
}

// A "Key:   value kB" line of /proc/PID/status, as a number.
std::optional<double> status_field(pid_t pid, const std::string& key) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1));
  return std::nullopt;
}

// ------------------------------------------------------------ config

bool write_config(const Options& o, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "clusters.d", ec);
  fs::create_directories(dir / "state", ec);
  for (const auto& entry : fs::directory_iterator(dir / "clusters.d", ec)) fs::remove(entry.path(), ec);
  for (const auto& entry : fs::directory_iterator(dir / "state", ec)) fs::remove_all(entry.path(), ec);
  if (ec) {
    std::fprintf(stderr, "monitor_scale: preparing %s: %s\n", dir.c_str(), ec.message().c_str());
    return false;
  }
  auto password = dir / "mha.password";
  {
    int fd = ::open(password.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::write(fd, "mhapass", 7) != 7) {
      std::fprintf(stderr, "monitor_scale: writing %s: %s\n", password.c_str(), std::strerror(errno));
      if (fd >= 0) ::close(fd);
      return false;
    }
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  std::ofstream(dir / "mhad.toml") << fmt::format(
      "# generated by bench/monitor_scale\n[daemon]\nsocket = \"{0}/mhad.sock\"\nstate_dir = \"{0}/state\"\n"
      "socket_group = \"root\"\nadmin_group = \"root\"\nworker_threads = {1}\n",
      dir.string(), o.workers);
  for (int c = 1; c <= o.clusters; ++c) {
    std::ofstream out(dir / "clusters.d" / fmt::format("bench{:04d}.toml", c));
    // keep_ssh_session = false and no [vip]: otherwise every cluster would keep
    // its own SSH session to the sandbox's sshd (N sessions on one sshd).
    out << fmt::format(
        "user = \"mha\"\npassword_file = \"{}\"\nping_interval = \"{}\"\nkeep_ssh_session = false\n",
        password.string(), o.ping_interval);
    const char* names[k_servers] = {"master", "slave1", "slave2"};
    for (int i = 0; i < k_servers; ++i)
      out << fmt::format("\n[[server]]\nname = \"{}\"\nhost = \"127.0.0.{}\"\nport = 3306\n", names[i], 11 + i);
    if (!out) {
      std::fprintf(stderr, "monitor_scale: writing cluster file %d failed\n", c);
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------ mhad

// Cluster names seen healthy in one status reply.
std::set<std::string> healthy_clusters(const json& status) {
  std::set<std::string> names;
  for (const auto& c : status.value("clusters", json::array()))
    if (c.value("health", "") == "ok") names.insert(c.value("name", ""));
  return names;
}

// Sleeps up to `d`, in steps, returning early (false) on Ctrl-C or if mhad died.
bool wait_for(std::chrono::milliseconds d, Mhad& mhad) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (g_interrupted || !mhad.alive()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(100ms, until - std::chrono::steady_clock::now()));
  }
  return true;
}

double seconds_since(SteadyTime t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string num(const json& v, int decimals) {
  return v.is_number() ? fmt::format("{:.{}f}", v.get<double>(), decimals) : std::string("-");
}

// Warning and error lines of the mhad log from byte `from` on, and the first of them.
struct LogCount {
  int warnings = 0;
  int errors = 0;
  std::string first;
};
LogCount count_log(const fs::path& path, std::uintmax_t from) {
  LogCount count;
  std::ifstream in(path);
  in.seekg(static_cast<std::streamoff>(from));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string date, time, level;
    words >> date >> time >> level;
    if (level == "warning") ++count.warnings;
    if (level == "error") ++count.errors;
    if ((level == "warning" || level == "error") && count.first.empty()) count.first = line;
  }
  return count;
}

int bench(const Options& o, Sandbox& sandbox, Mhad& mhad) {
  fs::path dir = o.work_dir;
  auto interval = interval_ms(o.ping_interval);
  if (!interval || *interval <= 0) {
    std::fprintf(stderr, "monitor_scale: --ping-interval must look like 1s, 500ms or 2m\n");
    return 64;
  }
  int connections = o.clusters + 200;
  std::fprintf(stderr, "monitor_scale: sandbox in %s (max_connections %d)\n", o.sandbox_dir.c_str(), connections);
  if (!sandbox.start(connections, (dir / "sandbox.log").string())) return 1;
  if (g_interrupted) return 130;
  if (!write_config(o, dir)) return 1;

  std::fprintf(stderr, "monitor_scale: starting %s with %d clusters, %d workers\n", o.mhad.c_str(), o.clusters,
               o.workers);
  auto started = std::chrono::steady_clock::now();
  if (!mhad.start()) {
    std::fprintf(stderr, "monitor_scale: mhad did not answer on its socket; last log lines:\n");
    std::ifstream in(mhad.log_path());
    std::stringstream all;
    all << in.rdbuf();
    std::fprintf(stderr, "%s\n", tail(all.str(), 15).c_str());
    return 1;
  }

  // Ready when every cluster has been healthy once (not necessarily at the same time).
  std::set<std::string> seen;
  auto ready_deadline = started + std::chrono::seconds(o.ready_timeout);
  while (static_cast<int>(seen.size()) < o.clusters && std::chrono::steady_clock::now() < ready_deadline) {
    if (auto status = mhad.request("status", 30s)) {
      auto now_ok = healthy_clusters(*status);
      seen.insert(now_ok.begin(), now_ok.end());
    }
    if (static_cast<int>(seen.size()) >= o.clusters) break;
    if (!wait_for(1s, mhad)) return g_interrupted ? 130 : 1;
  }
  double ready_s = seconds_since(started);
  if (static_cast<int>(seen.size()) < o.clusters)
    std::fprintf(stderr, "monitor_scale: only %zu of %d clusters were healthy within %d s; measuring anyway\n",
                 seen.size(), o.clusters, o.ready_timeout);
  else
    std::fprintf(stderr, "monitor_scale: all %d clusters healthy after %.1f s; measuring %d s\n", o.clusters,
                 ready_s, o.seconds);

  // The window.
  auto stats0 = mhad.request("stats", 10s);
  auto cpu0 = cpu_seconds(mhad.pid());
  auto loop_cpu0 = cpu_seconds(mhad.pid(), mhad.pid());  // the main thread runs the event loop
  auto machine0 = machine_jiffies();
  auto db_pids = sandbox.mariadbd_pids();
  std::vector<std::optional<double>> db_cpu0;
  for (pid_t p : db_pids) db_cpu0.push_back(cpu_seconds(p));
  std::error_code ec;
  auto log_offset = fs::file_size(mhad.log_path(), ec);
  auto window_start = std::chrono::steady_clock::now();
  if (!stats0 || !cpu0) {
    std::fprintf(stderr, "monitor_scale: could not read stats or CPU of mhad at the window's start\n");
    return 1;
  }
  if (!wait_for(std::chrono::seconds(o.seconds), mhad)) return g_interrupted ? 130 : 1;
  auto cpu1 = cpu_seconds(mhad.pid());
  auto loop_cpu1 = cpu_seconds(mhad.pid(), mhad.pid());
  auto machine1 = machine_jiffies();
  double wall = seconds_since(window_start);
  std::vector<std::optional<double>> db_cpu1;
  for (pid_t p : db_pids) db_cpu1.push_back(cpu_seconds(p));
  auto rss_kib = status_field(mhad.pid(), "VmRSS");
  auto threads = status_field(mhad.pid(), "Threads");
  auto stats1 = mhad.request("stats", 10s);
  if (!stats1 || !cpu1) {
    std::fprintf(stderr, "monitor_scale: could not read stats or CPU of mhad at the window's end\n");
    return 1;
  }
  // After the measurements: these requests cost mhad and the servers some work.
  auto final_status = mhad.request("status", 30s);
  std::size_t healthy_end = final_status ? healthy_clusters(*final_status).size() : 0;
  long threads_connected = 0;
  for (int i = 0; i < k_servers; ++i) {
    auto v = sandbox.sql(i, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                            "WHERE VARIABLE_NAME = \"THREADS_CONNECTED\"");
    if (v && !v->empty()) threads_connected += std::stol(*v);
  }
  auto log = count_log(mhad.log_path(), log_offset);

  auto checks0 = stats0->value("checks", 0.0);
  auto checks1 = stats1->value("checks", 0.0);
  const json& delay = (*stats1)["check_delay"];
  std::string db_cpu;
  for (std::size_t i = 0; i < db_pids.size(); ++i) {
    db_cpu += i ? " / " : "";
    db_cpu += db_cpu0[i] && db_cpu1[i] ? fmt::format("{:.3f}", (*db_cpu1[i] - *db_cpu0[i]) / wall) : "-";
  }
  char host[256] = "?";
  ::gethostname(host, sizeof host);
  std::time_t t = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M", std::localtime(&t));

  std::printf("monitor_scale  %s  host %s, %u CPUs  mhad %s\n", date, host, std::thread::hardware_concurrency(),
              o.mhad.c_str());
  std::printf("  %-34s %d\n", "clusters", o.clusters);
  std::printf("  %-34s %d (%d per cluster)\n", "servers monitored", k_servers * o.clusters, k_servers);
  std::printf("  %-34s %d expected; Threads_connected on the 3 servers: %ld\n", "monitoring connections",
              k_servers * o.clusters, threads_connected);
  std::printf("  %-34s %s, %d workers\n", "ping_interval", o.ping_interval.c_str(), o.workers);
  std::printf("  %-34s %.1f s (%zu/%d healthy once); %zu/%d healthy at the end\n", "start-up to all healthy",
              ready_s, seen.size(), o.clusters, healthy_end, o.clusters);
  std::printf("  %-34s %.1f\n", "wall seconds (window)", wall);
  std::printf("  %-34s %.1f (expected %.1f)\n", "checks/s", (checks1 - checks0) / wall,
              k_servers * o.clusters * 1000.0 / *interval);
  std::printf("  %-34s %.3f\n", "mhad CPU s per wall s", (*cpu1 - *cpu0) / wall);
  std::printf("  %-34s %s\n", "  of which the loop thread",
              loop_cpu0 && loop_cpu1 ? fmt::format("{:.3f}", (*loop_cpu1 - *loop_cpu0) / wall).c_str() : "-");
  std::printf("  %-34s %.1f (%s threads)\n", "mhad RSS MiB", rss_kib ? *rss_kib / 1024.0 : 0.0,
              threads ? fmt::format("{:.0f}", *threads).c_str() : "?");
  std::printf("  %-34s %s / %s / %s (%s samples, whole run incl. start-up)\n", "check delay p50/p99/max ms",
              num(delay["p50_ms"], 2).c_str(), num(delay["p99_ms"], 2).c_str(), num(delay["max_ms"], 1).c_str(),
              num(delay["samples"], 0).c_str());
  const json& delay0 = (*stats0)["check_delay"];
  std::printf("  %-34s %s / %s / %s (%s samples, start-up only)\n", "  same at the window's start",
              num(delay0["p50_ms"], 2).c_str(), num(delay0["p99_ms"], 2).c_str(), num(delay0["max_ms"], 1).c_str(),
              num(delay0["samples"], 0).c_str());
  std::printf("  %-34s %s at the start, %s at the end\n", "queued jobs", num((*stats0)["queued_jobs"], 0).c_str(),
              num((*stats1)["queued_jobs"], 0).c_str());
  std::printf("  %-34s %d warnings, %d errors in the window%s%s\n", "mhad log", log.warnings, log.errors,
              log.first.empty() ? "" : "; first: ", log.first.c_str());
  std::printf("  %-34s %s\n", "mariadbd CPU s per wall s (3)", db_cpu.c_str());
  std::printf("  %-34s %s\n", "machine CPU busy (all processes)",
              machine0 && machine1 && machine1->second > machine0->second
                  ? fmt::format("{:.0f}% of {} CPUs", 100.0 * (machine1->first - machine0->first) /
                                                          (machine1->second - machine0->second),
                                std::thread::hardware_concurrency())
                        .c_str()
                  : "-");
  std::printf("  %-34s %s\n", "files", dir.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  g_program = "monitor_scale";
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int rc = start_benchmark("monitor_scale", options->work_dir); rc != 0) return rc;

  Sandbox sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", options->sandbox_dir);
  int rc;
  {
    Mhad mhad(options->mhad, options->work_dir);
    try {
      rc = bench(*options, sandbox, mhad);
    } catch (const std::exception& e) {  // unexpected /proc or SQL output: still clean up
      std::fprintf(stderr, "monitor_scale: %s\n", e.what());
      rc = 1;
    }
    mhad.stop();
  }
  if (g_interrupted) std::fprintf(stderr, "monitor_scale: interrupted\n");
  if (!options->keep_sandbox) sandbox.stop();
  return rc;
}
