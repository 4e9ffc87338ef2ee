// bench/failover: N failovers of the loopback sandbox under a write load.
// Each run: a fresh sandbox (master + 2 replicas), mhad with auto_failover on
// the generated config, a writer that inserts one row every ~20 ms through
// the app user and, when its server goes away, tries the three servers in
// turn until one takes the write (the application following the new master
// without a VIP). Then the master is killed (SIGKILL) or shut down (SIGTERM)
// and the run measures:
//   detection   kill -> mhad's verdict (the verdict's own timestamp)
//   phases      check / fence / recover_master / recover_replicas / finish,
//               from the failover report in mhad's state file
//   writable    verdict -> new master writable (check + fence + recover_master)
//   window      last write acknowledged before the kill -> first one after,
//               as the writer saw it: the write-unavailability window
// and prints p50/max over the runs. A benchmark, not a test: it judges
// nothing. Every wait is bounded; mhad and the sandbox are stopped on every
// exit path, Ctrl-C included.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "daemon/mariadb_session.h"

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;
namespace fs = std::filesystem;

const char* const k_hosts[] = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};
const char* const k_phases[] = {"check", "fence", "recover_master", "recover_replicas", "finish"};

struct Options {
  int runs = 5;
  std::string kind = "kill";  // kill (SIGKILL) | shutdown (SIGTERM: mariadbd's clean shutdown)
  std::string ping_interval = "1s";
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-failover-sandbox";
  std::string work_dir = "/tmp/mha-bench-failover";
};

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: failover [--runs N] [--kind kill|shutdown] [--ping-interval 1s]\n"
               "                [--mhad PATH] [--sandbox-dir DIR] [--work-dir DIR]\n"
               "N failovers of the loopback sandbox under a write load; prints per-phase\n"
               "p50/max, detection time and the write-unavailability window. Needs root.\n");
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "failover: %s needs a value\n", a.c_str());
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      std::exit(0);
    }
    std::optional<std::string> v = value();
    if (!v) return std::nullopt;
    if (a == "--runs") {
      try {
        o.runs = std::stoi(*v);
      } catch (...) {
        o.runs = 0;
      }
      if (o.runs < 1 || o.runs > 100) {
        std::fprintf(stderr, "failover: --runs must be 1..100, got '%s'\n", v->c_str());
        return std::nullopt;
      }
    } else if (a == "--kind") {
      if (*v != "kill" && *v != "shutdown") {
        std::fprintf(stderr, "failover: --kind must be kill or shutdown, got '%s'\n", v->c_str());
        return std::nullopt;
      }
      o.kind = *v;
    } else if (a == "--ping-interval") {
      o.ping_interval = *v;
    } else if (a == "--mhad") {
      o.mhad = *v;
    } else if (a == "--sandbox-dir") {
      o.sandbox_dir = *v;
    } else if (a == "--work-dir") {
      o.work_dir = *v;
    } else {
      std::fprintf(stderr, "failover: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return std::nullopt;
    }
  }
  return o;
}

// Inserts one row every ~20 ms; on an error, tries the servers in turn (short
// timeouts) until one accepts the write. Records when each write was
// acknowledged. A read_only server refuses the app user's INSERT, so only
// the master's acknowledgements count.
class Writer {
 public:
  Writer() {
    m_thread = std::thread([this] { loop(); });
  }
  ~Writer() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  struct Ack {
    Steady::time_point at;
    int host;  // index into k_hosts
  };
  std::vector<Ack> acks() {
    std::lock_guard lock(m_mutex);
    return m_acks;
  }

 private:
  void loop() {
    const auto give_up = Steady::now() + 180s;
    mha::MariadbSession session;
    int host = 0;
    bool connected = false;
    while (!m_stop && !g_interrupted && Steady::now() < give_up) {
      if (!connected) {
        mha::SqlEndpoint e{k_hosts[host], 3306, "app", "apppass"};
        e.connect_timeout = 300ms;
        e.read_timeout = 2s;
        connected = static_cast<bool>(session.connect(e));
      }
      if (connected && session.execute("INSERT INTO mha_test.bench (at) VALUES (NOW(6))")) {
        std::lock_guard lock(m_mutex);
        m_acks.push_back(Ack{Steady::now(), host});
        std::this_thread::sleep_for(20ms);
        continue;
      }
      session.close();
      connected = false;
      host = (host + 1) % 3;
    }
  }

  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::vector<Ack> m_acks;
  std::thread m_thread;
};

// "2026-11-22T07:30:01.123Z" -> system_clock.
std::optional<Wall::time_point> parse_iso(const std::string& text) {
  if (text.size() < 23) return std::nullopt;
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return std::nullopt;
  return Wall::from_time_t(timegm(&tm)) + std::chrono::milliseconds(std::atoi(text.substr(20, 3).c_str()));
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct RunResult {
  std::map<std::string, double> phase_ms;
  double failover_ms = 0, detection_ms = -1, writable_ms = 0, window_ms = -1;
  std::string result, new_master;
};

std::optional<json> read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (...) {
    return std::nullopt;
  }
}

bool wait_for(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  const auto deadline = Steady::now() + limit;
  while (Steady::now() < deadline && !g_interrupted) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

std::optional<RunResult> one_run(const Options& o, Sandbox& sandbox, int run_number) {
  const fs::path config_dir = fs::path(o.work_dir) / "mhad";
  std::error_code ec;
  fs::remove_all(config_dir, ec);  // no state from the last run: no min_failover_interval guard
  // A fresh topology each run (a sandbox left running has failed over).
  run(fmt::format("{} stop --purge --dir {}", sandbox.script(), sandbox.dir()), 180);
  if (!sandbox.start(500, (fs::path(o.work_dir) / "sandbox.log").string())) return std::nullopt;
  auto gen = run(fmt::format("{} gen-config {} --ping-interval {} --dir {}", sandbox.script(), config_dir.string(),
                             o.ping_interval, sandbox.dir()),
                 60);
  if (gen.exit_code != 0) {
    std::fprintf(stderr, "failover: gen-config failed: %s\n", tail(gen.out, 5).c_str());
    return std::nullopt;
  }
  if (!sandbox.sql(0, "CREATE TABLE mha_test.bench (id BIGINT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(6))"))
    return std::nullopt;

  Mhad mhad(o.mhad, config_dir);
  if (!mhad.start()) {
    std::fprintf(stderr, "failover: mhad did not start; its log: %s\n", mhad.log_path().c_str());
    return std::nullopt;
  }
  bool healthy = wait_for(30s, [&] {
    auto s = mhad.request("status", 2s);
    return s && (*s)["clusters"][0].value("health", "") == "ok";
  });
  if (!healthy) {
    std::fprintf(stderr, "failover: the cluster did not become healthy within 30 s\n");
    return std::nullopt;
  }
  std::this_thread::sleep_for(6s);  // the kept SSH session to the master's host is open by now

  Writer writer;
  if (!wait_for(10s, [&] { return writer.acks().size() >= 50; })) {
    std::fprintf(stderr, "failover: the writer got fewer than 50 acknowledgements in 10 s\n");
    return std::nullopt;
  }
  const auto killed_wall = Wall::now();
  auto kill = run(fmt::format("{} kill 0 {} --dir {}", sandbox.script(), o.kind == "kill" ? "KILL" : "TERM",
                              sandbox.dir()),
                  30);
  if (kill.exit_code != 0) {
    std::fprintf(stderr, "failover: kill failed: %s\n", trim(kill.out).c_str());
    return std::nullopt;
  }
  json last;
  bool reported = wait_for(60s, [&] {
    auto s = mhad.request("status", 2s);
    if (!s) return false;
    last = (*s)["clusters"][0].value("last_failover", json(nullptr));
    return !last.is_null();
  });
  // Resumed: a write acknowledged by another server than the old master.
  bool resumed = wait_for(30s, [&] {
    auto acks = writer.acks();
    return !acks.empty() && acks.back().host != 0;
  });
  writer.stop();
  if (!reported) {
    std::fprintf(stderr, "failover: run %d: no failover reported within 60 s (log: %s)\n", run_number,
                 mhad.log_path().c_str());
    return std::nullopt;
  }

  RunResult r;
  r.result = last.value("result", "?");
  r.new_master = last.value("new_master", "?");
  auto state = read_json(config_dir / "state" / "sandbox.json");
  if (state && (*state)["failovers"].is_array() && !(*state)["failovers"].empty()) {
    const json& detail = (*state)["failovers"].back()["detail"];
    r.failover_ms = detail.value("duration_ms", 0.0);
    for (const auto& p : detail.value("phases", json::array())) r.phase_ms[p.value("phase", "?")] = p.value("duration_ms", 0.0);
    r.writable_ms = r.phase_ms["check"] + r.phase_ms["fence"] + r.phase_ms["recover_master"];
    for (const auto& v : (*state)["verdicts"])
      if ((v.value("verdict", "") == "dead" || v.value("verdict", "") == "dead_host"))
        if (auto at = parse_iso(v.value("at", ""))) {
          double d = std::chrono::duration<double, std::milli>(*at - killed_wall).count();
          if (d >= -5) r.detection_ms = d;
        }
  }
  if (resumed) {
    // The old master may still acknowledge a write or two while the kill
    // command starts: the window runs from its last one to the first one
    // on the new master.
    auto acks = writer.acks();
    auto first_new = std::find_if(acks.begin(), acks.end(), [](const Writer::Ack& a) { return a.host != 0; });
    if (first_new != acks.begin() && first_new != acks.end()) r.window_ms = ms(first_new->at - (first_new - 1)->at);
  }
  mhad.stop();
  return r;
}

std::string p50_max(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return v < 0; }), values.end());
  if (values.empty()) return "-";
  std::sort(values.begin(), values.end());
  return fmt::format("{:8.0f} {:8.0f}", values[(values.size() - 1) / 2], values.back());
}

int bench(const Options& o, Sandbox& sandbox) {
  std::vector<RunResult> results;
  for (int i = 1; i <= o.runs && !g_interrupted; ++i) {
    std::fprintf(stderr, "failover: run %d of %d\n", i, o.runs);
    auto r = one_run(o, sandbox, i);
    if (!r) return g_interrupted ? 130 : 1;
    std::fprintf(stderr, "failover: run %d: %s -> %s, detection %.0f ms, failover %.0f ms, window %.0f ms\n", i,
                 r->result.c_str(), r->new_master.c_str(), r->detection_ms, r->failover_ms, r->window_ms);
    results.push_back(*r);
  }
  auto column = [&](auto get) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(get(r));
    return p50_max(v);
  };
  std::printf("failover benchmark: %zu runs, master %s, ping_interval %s, ping_failures 4 (default), "
              "2 replicas, loopback sandbox\n",
              results.size(), o.kind == "kill" ? "killed with SIGKILL" : "shut down cleanly (SIGTERM)",
              o.ping_interval.c_str());
  std::printf("  %-40s %8s %8s   (ms)\n", "", "p50", "max");
  std::printf("  %-40s %s\n", "kill -> verdict (detection)", column([](const RunResult& r) { return r.detection_ms; }).c_str());
  for (const char* p : k_phases)
    std::printf("  %-40s %s\n", fmt::format("phase {}", p).c_str(),
                column([&](const RunResult& r) { return r.phase_ms.count(p) ? r.phase_ms.at(p) : -1.0; }).c_str());
  std::printf("  %-40s %s\n", "failover total (verdict -> report)", column([](const RunResult& r) { return r.failover_ms; }).c_str());
  std::printf("  %-40s %s\n", "verdict -> new master writable", column([](const RunResult& r) { return r.writable_ms; }).c_str());
  std::printf("  %-40s %s\n", "write-unavailability window", column([](const RunResult& r) { return r.window_ms; }).c_str());
  int completed = 0;
  for (const auto& r : results) completed += r.result == "completed" ? 1 : 0;
  std::printf("  results: %d of %zu completed\n", completed, results.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  g_program = "failover";
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int rc = start_benchmark("failover", options->work_dir); rc != 0) return rc;
  Sandbox sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", options->sandbox_dir);
  int rc;
  try {
    rc = bench(*options, sandbox);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failover: %s\n", e.what());
    rc = 1;
  }
  if (g_interrupted) std::fprintf(stderr, "failover: interrupted\n");
  sandbox.stop();
  return rc;
}
