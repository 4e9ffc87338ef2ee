// bench/switchover: N switchovers back and forth on the netns sandbox (one
// network namespace per host, the VIP on the master's eth0) under a write
// load through the VIP. The writer is an application as a connection pool
// behaves: one INSERT every ~20 ms, and on any error it drops the
// connection, reconnects to the VIP (1 s connect timeout) and goes on.
// Per switchover it measures:
//   window   the longest gap between two acknowledged writes while the
//            switchover ran: the write-unavailability window a client sees
//   errors   the errors the client saw
//   phases   check / reject_writes / wait_catchup / promote / repoint /
//            finish, from mhad's switchover report
// and prints each switchover, then p50/max. A benchmark, not a test: it
// judges nothing. Every wait is bounded; mhad and the sandbox are stopped
// on every exit path, Ctrl-C included.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
#include "bench/netns_bench.h"

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

const char* const k_names[] = {"master", "slave1"};
const char* const k_phases[] = {"check", "reject_writes", "wait_catchup", "promote", "repoint", "finish"};

struct Options {
  int runs = 10;
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-switchover-sandbox";
  std::string work_dir = "/tmp/mha-bench-switchover";
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  if (!parse_options("switchover", argc, argv,
                     {int_option("--runs", o.runs, 1, 100), text_option("--mhad", o.mhad),
                      text_option("--sandbox-dir", o.sandbox_dir), text_option("--work-dir", o.work_dir)},
                     "usage: switchover [--runs N] [--mhad PATH] [--sandbox-dir DIR] [--work-dir DIR]\n"
                     "N switchovers back and forth on the netns sandbox under a write load through\n"
                     "the VIP; prints the write-unavailability window, client errors and phase times.\n"
                     "Needs root.\n"))
    return std::nullopt;
  return o;
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double p50(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}
double max_of(const std::vector<double>& v) { return v.empty() ? -1 : *std::max_element(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int code = start_benchmark("switchover", options->work_dir)) return code;
  NetnsSandbox sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", options->sandbox_dir);
  if (!sandbox.start()) return 1;
  const std::string vip = sandbox.vip();
  if (run(sandbox.script() + " gen-config " + options->work_dir + " --ping-interval 1s --dir " + sandbox.dir(), 30)
          .exit_code != 0 ||
      !sandbox.in_host(0, "ip addr add " + sandbox.vip_cidr() + " dev eth0")) {
    std::fprintf(stderr, "switchover: cannot configure the sandbox\n");
    return 1;
  }
  sandbox.sql(0, "CREATE TABLE IF NOT EXISTS mha_test.bench (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))");
  Mhad mhad(options->mhad, options->work_dir);
  if (!mhad.start()) {
    std::fprintf(stderr, "switchover: mhad did not start; log: %s\n", mhad.log_path().c_str());
    return 1;
  }
  // Healthy and the VIP seen on the master.
  const auto ready_by = Steady::now() + 30s;
  while (Steady::now() < ready_by && !g_interrupted) {
    auto s = mhad.request("status", 2s);
    if (s && (*s)["clusters"][0]["health"] == "ok" && (*s)["clusters"][0]["vip"]["holder"] == "master") break;
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(2s);

  VipWriter writer(vip);
  std::this_thread::sleep_for(1s);
  std::vector<double> windows, errors_per;
  std::map<std::string, std::vector<double>> phases;
  int master = 0, done = 0;
  std::printf("%-4s %-16s %10s %7s  %s\n", "run", "switch", "window_ms", "errors", "phases (ms)");
  for (int i = 0; i < options->runs && !g_interrupted; ++i) {
    const int target = 1 - master;
    const int errors_before = writer.errors();
    const auto started = Steady::now();
    auto result = mhad.request("switchover", 120s, json{{"to", k_names[target]}});
    const auto ended = Steady::now();
    std::this_thread::sleep_for(1500ms);  // the writer's first acknowledgement after the switch
    if (!result) {
      std::fprintf(stderr, "switchover: run %d failed; see %s\n", i + 1, mhad.log_path().c_str());
      break;
    }
    master = target;
    ++done;
    // The longest gap between two acknowledgements from just before the
    // switchover started to the first one after it ended.
    auto acks = writer.acks();
    double window = 0;
    for (std::size_t k = 1; k < acks.size(); ++k)
      if (acks[k].at >= started && acks[k - 1].at <= ended + 1500ms)
        window = std::max(window, ms(acks[k].at - acks[k - 1].at));
    windows.push_back(window);
    errors_per.push_back(writer.errors() - errors_before);
    std::string phase_text;
    for (const auto& p : (*result)["phases"]) {
      phases[p["phase"].get<std::string>()].push_back(p["duration_ms"].get<double>());
      phase_text += fmt::format("{} {} ", p["phase"].get<std::string>(), p["duration_ms"].get<long>());
    }
    std::printf("%-4d %-16s %10.0f %7.0f  %s\n", i + 1, fmt::format("{} -> {}", k_names[1 - target], k_names[target]).c_str(),
                window, errors_per.back(), phase_text.c_str());
    std::fflush(stdout);
  }
  writer.stop();
  mhad.stop();
  std::printf("\n%d switchovers: window p50 %.0f ms, max %.0f ms; client errors p50 %.0f, max %.0f\n", done,
              p50(windows), max_of(windows), p50(errors_per), max_of(errors_per));
  for (const char* p : k_phases)
    if (phases.count(p)) std::printf("  %-14s p50 %6.0f ms  max %6.0f ms\n", p, p50(phases[p]), max_of(phases[p]));
  return done == options->runs ? 0 : 1;
}
