// Issue 10's password done-means: after a full automatic failover under a
// write load, no configured password (the admin `password`, `repl_password`)
// is in mhad's log (its journal fields are printed on the same lines), the
// state files (the failover report as stored), `mhactl status` and
// `status --json`, `mhactl check` and `check --json`, or the command lines
// and environments of mhad's children, except where MHA's script interface
// puts one:
//   master_ip_failover_script --command=start   --new_master_password=...
//   secondary_check_script                       --master_password=...
// (--orig_master_password goes to master_ip_online_change_script, which only
// a switchover runs.) The children are seen twice: a poller reads
// /proc/*/cmdline and /proc/*/environ of every descendant of mhad during the
// failover, and each hook script writes its own argv and environment.
#include <catch2/catch.hpp>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "integration/failover_support.h"

using namespace mha;
using namespace mha::it;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::vector<std::string> k_secrets = {"mhapass", "replpass"};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// NULs (cmdline, environ) as spaces.
std::string spaced(std::string text) {
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

int parent_of(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("PPid:", 0) == 0) return std::atoi(line.c_str() + 5);
  return -1;
}

// Every descendant of `root` now: pid -> "cmdline | environ".
std::map<int, std::string> descendants(int root) {
  std::map<int, int> parent;
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* e = ::readdir(proc)) {
      const int pid = std::atoi(e->d_name);
      if (pid > 0) parent[pid] = parent_of(pid);
    }
    ::closedir(proc);
  }
  std::map<int, std::string> out;
  for (const auto& [pid, ppid] : parent) {
    int up = ppid;
    for (int hops = 0; up > 1 && up != root && hops < 16; ++hops) up = parent.count(up) ? parent[up] : -1;
    if (up != root) continue;
    const std::string base = "/proc/" + std::to_string(pid);
    const std::string cmdline = spaced(slurp(base + "/cmdline"));
    if (cmdline.empty()) continue;  // a zombie, or gone already
    out[pid] = cmdline + " | " + spaced(slurp(base + "/environ"));
  }
  return out;
}

// Records what every descendant of mhad runs with, every few ms.
class ChildWatcher {
 public:
  explicit ChildWatcher(int root) : m_thread([this, root] {
      while (!m_stop) {
        for (auto& [pid, text] : descendants(root)) {
          std::lock_guard lock(m_mutex);
          m_seen.insert(text);
        }
        std::this_thread::sleep_for(5ms);
      }
    }) {}
  ~ChildWatcher() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  std::set<std::string> seen() {
    std::lock_guard lock(m_mutex);
    return m_seen;
  }

 private:
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::set<std::string> m_seen;
  std::thread m_thread;
};

// `text` with the allowed password arguments taken out, if `line` is a
// command MHA passes them to.
std::string without_allowed(std::string text) {
  auto drop = [&](const std::string& token) {
    for (auto at = text.find(token); at != std::string::npos; at = text.find(token)) text.erase(at, token.size());
  };
  const bool vip_start = text.find("hook.sh vip") != std::string::npos && text.find("--command=start") != std::string::npos;
  const bool secondary = text.find("hook.sh secondary") != std::string::npos;
  if (vip_start) drop("--new_master_password=mhapass");
  if (secondary) drop("--master_password=mhapass");
  return text;
}

std::vector<std::string> leaks(const std::string& where, const std::string& text) {
  std::vector<std::string> found;
  for (const auto& secret : k_secrets)
    if (text.find(secret) != std::string::npos) found.push_back(where + ": " + secret + " in: " + text.substr(0, 2000));
  return found;
}

}  // namespace

TEST_CASE("a full failover under load: no password in logs, state, status, check or children but where MHA's "
          "interface puts one",
          "[integration][failover][secrets]") {
  FreshSandboxAfter rebuild;
  const std::string dir = failover_config_dir();
  // One hook for all: writes its argv (one [word] each) and environment,
  // then answers as each script should (shutdown: 10, mysqld killed, host
  // reachable; secondary check: 0, the master is dead from there too).
  const std::string hook = dir + "/hook.sh";
  const std::string record = dir + "/hooks.log";
  std::filesystem::remove(record);
  {
    std::ofstream out(hook);
    out << "#!/bin/sh\n"
           "{ printf 'ARGV:'; for a in \"$0\" \"$@\"; do printf ' [%s]' \"$a\"; done; echo;\n"
           "  env | sed 's/^/  ENV: /'; } >>'" << record << "'\n"
           "sleep 0.3\n"  // long enough for the /proc poller (every 5 ms) to see it
           "case \"$1\" in shutdown) exit 10 ;; esac\n"
           "exit 0\n";
  }
  REQUIRE(::chmod(hook.c_str(), 0755) == 0);
  const std::string cluster_file = dir + "/clusters.d/sandbox.toml";
  std::string config = slurp(cluster_file);
  auto at = config.find("auto_failover = true\n");
  REQUIRE(at != std::string::npos);
  config.insert(at, "master_ip_failover_script = \"" + hook + " vip\"\n" + "report_script = \"" + hook +
                        " report\"\n" + "shutdown_script = \"" + hook + " shutdown\"\n" +
                        "secondary_check_script = \"" + hook + " secondary\"\n");
  std::ofstream(cluster_file) << config;

  Mhad mhad(dir);
  start_ready(mhad);
  ChildWatcher children(mhad.pid());
  auto acked = kill_master_under_load();
  json failover;
  bool done = wait_until(60s, [&] { return !(failover = last_failover(mhad.status())).is_null(); });
  INFO(mhad.log());
  REQUIRE(done);
  CHECK(failover["result"] == "completed");
  check_outcome(acked, "slave1", mhad);
  // The report_script runs on the pool after the report: wait for its record.
  REQUIRE(wait_until(20s, [&] { return slurp(record).find("hook.sh] [report]") != std::string::npos; }));
  std::this_thread::sleep_for(300ms);
  children.stop();

  const std::string ctl = mhactl_path() + " --socket " + mhad.socket();
  std::map<std::string, std::string> outputs = {
      {"mhad's log (journal fields included)", mhad.log()},
      {"mhactl status", run(ctl + " status").out},
      {"mhactl status --json", run(ctl + " status --json").out},
      {"mhactl check", run(ctl + " check").out},
      {"mhactl check --json", run(ctl + " check --json").out},
      {"status over the socket", mhad.status().dump()},
  };
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/state"))
    outputs["state file " + entry.path().filename().string()] = slurp(entry.path().string());
  CHECK(outputs.count("state file sandbox.json") == 1);
  CHECK(outputs["state file sandbox.json"].find("\"failovers\"") != std::string::npos);

  std::vector<std::string> found;
  for (const auto& [where, text] : outputs) {
    INFO(where);
    CHECK_FALSE(text.empty());
    for (auto& leak : leaks(where, text)) found.push_back(leak);
  }

  // The hooks' own records: argv lines, then the environment.
  const std::string hooks = slurp(record);
  std::istringstream lines(hooks);
  std::string line;
  std::set<std::string> kinds;
  bool vip_start_had_password = false, secondary_had_password = false;
  while (std::getline(lines, line)) {
    if (line.rfind("ARGV:", 0) == 0) {
      for (const char* kind : {"vip", "report", "shutdown", "secondary"})
        if (line.find(std::string("hook.sh] [") + kind + "]") != std::string::npos) kinds.insert(kind);
      if (line.find("[vip]") != std::string::npos && line.find("[--command=start]") != std::string::npos)
        vip_start_had_password = line.find("[--new_master_password=mhapass]") != std::string::npos;
      if (line.find("[secondary]") != std::string::npos)
        secondary_had_password = line.find("[--master_password=mhapass]") != std::string::npos;
      // "[--x=v]" brackets off: without_allowed() matches the bare token.
      std::string bare;
      for (char c : line)
        if (c != '[' && c != ']') bare += c;
      for (auto& leak : leaks("hook argv", without_allowed(bare))) found.push_back(leak);
    } else {
      for (auto& leak : leaks("hook environment", line)) found.push_back(leak);
    }
  }
  INFO(hooks);
  CHECK(kinds == std::set<std::string>{"vip", "report", "shutdown", "secondary"});
  // MHA's interface, kept: the scripts that need the password get it.
  CHECK(vip_start_had_password);
  CHECK(secondary_had_password);

  // Every descendant mhad ran while the failover went on, as `ps` shows it.
  const auto seen = children.seen();
  {
    std::string list;
    for (const auto& text : seen) list += "  " + text.substr(0, text.find(" | ")) + "\n";
    WARN(seen.size() << " distinct child command lines seen during the failover:\n" << list);
  }
  CHECK(seen.size() >= 3);
  // The poller saw the one child that legitimately carries a password.
  CHECK(std::any_of(seen.begin(), seen.end(), [](const std::string& t) {
    return t.find("hook.sh vip --command=start") != std::string::npos &&
           t.find("--new_master_password=mhapass") != std::string::npos;
  }));
  for (const auto& text : seen) {
    // "cmdline | environ": the environment never carries one.
    const auto bar = text.find(" | ");
    for (auto& leak : leaks("child cmdline", without_allowed(text.substr(0, bar)))) found.push_back(leak);
    for (auto& leak : leaks("child environ", text.substr(bar + 3))) found.push_back(leak);
  }
  INFO("leaks:\n" << [&] {
    std::string all;
    for (const auto& f : found) all += f + "\n";
    return all;
  }());
  CHECK(found.empty());
}
