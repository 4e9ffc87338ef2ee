// bench/failover: N failovers of the netns sandbox (one network namespace
// per host, the VIP on the master's eth0, semi-sync, ping_interval 1 s,
// every other key at its default) under a write load through the VIP: the
// application of netns_bench.h, one INSERT every ~20 ms, reconnecting on
// error with a 1 s connect timeout. One fault kind per invocation:
//   kill      mariadbd SIGKILL
//   shutdown  mariadbd SIGTERM (its clean shutdown)
//   freeze    mariadbd SIGSTOP (mhad must kill it before promoting)
//   netdown   the master's link cut (ip link set eth0 down): no SQL, no SSH
//   lagkill   semi-sync off, both replicas' IO threads stopped for 2 s of
//             writes, then SIGKILL: those writes exist only in the dead
//             master's binlog (salvage)
// Each run starts a fresh sandbox and measures, from the fault:
//   declared  mhad's verdict (dead / dead_host), by its own timestamp
//   writable  declared + check + fence + recover_master (the last phase
//             ends with the VIP on the new master, so this is an upper bound)
//   resume    the first write acknowledged after the outage
//   window    the longest gap between two acknowledged writes
// and checks what the user would: every acknowledged write on the new
// master, exactly one writable server among those that answer, the VIP on
// the new master only. Prints each run, then p50/max against the targets.
// A benchmark, not a test: it judges nothing. Every wait is bounded; mhad
// and the sandbox are stopped on every exit path, Ctrl-C included.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "bench/netns_bench.h"
#include "common/units.h"

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
using Wall = std::chrono::system_clock;
namespace fs = std::filesystem;

const char* const k_phases[] = {"check", "fence", "recover_master", "recover_replicas", "finish"};
const char* const k_names[] = {"master", "slave1", "slave2"};

// The targets for "writes resume", in ms after the fault.
const std::map<std::string, double> k_targets = {
    {"kill", 700}, {"shutdown", 700}, {"lagkill", 1000}, {"freeze", 3000}, {"netdown", 5000}};

struct Options {
  int runs = 5;
  std::string kind = "kill";
  std::string ping_interval = "1s";
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-failover-sandbox";
  std::string work_dir = "/tmp/mha-bench-failover";
};

const char* const k_usage =
    "usage: failover [--runs N] [--kind kill|shutdown|freeze|netdown|lagkill]\n"
    "                [--ping-interval 1s] [--mhad PATH] [--sandbox-dir DIR] [--work-dir DIR]\n"
    "N failovers of the netns sandbox under a write load through the VIP; prints\n"
    "declared-dead, new-master-writable and writes-resume times, the write window,\n"
    "phase times (p50/max) and the correctness checks of every run. Needs root.\n";

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  if (!parse_options("failover", argc, argv,
                     {int_option("--runs", o.runs, 1, 100),
                      choice_option("--kind", o.kind, {"kill", "shutdown", "freeze", "netdown", "lagkill"}),
                      text_option("--ping-interval", o.ping_interval), text_option("--mhad", o.mhad),
                      text_option("--sandbox-dir", o.sandbox_dir), text_option("--work-dir", o.work_dir)},
                     k_usage))
    return std::nullopt;
  return o;
}

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

std::optional<json> read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (...) {
    return std::nullopt;
  }
}

struct RunResult {
  std::map<std::string, double> phase_ms;
  double declared_ms = -1, writable_ms = -1, resume_ms = -1, window_ms = -1;
  std::string result, new_master, verdict;
  std::size_t acked = 0, lost = 0, only_on_master = 0;
  int writable = -1, vip_holders = -1;
  bool vip_on_new = false;
};

std::optional<std::string> sql_value(const NetnsSandbox& sandbox, int host, const std::string& statement) {
  auto r = run(fmt::format("{} sql {} '{}' --dir {}", sandbox.script(), host, statement, sandbox.dir()), 10);
  if (r.exit_code != 0) return std::nullopt;
  return trim(r.out);
}

bool fault(const Options& o, const NetnsSandbox& sandbox) {
  auto signal = [&](const char* sig) {
    return run(fmt::format("{} kill 0 {} --dir {}", sandbox.script(), sig, sandbox.dir()), 30).exit_code == 0;
  };
  if (o.kind == "kill" || o.kind == "lagkill") return signal("KILL");
  if (o.kind == "shutdown") return signal("TERM");
  if (o.kind == "freeze") return signal("STOP");
  return sandbox.in_host(0, "ip link set eth0 down");
}

std::optional<RunResult> one_run(const Options& o, NetnsSandbox& sandbox, int run_number) {
  const fs::path config_dir = fs::path(o.work_dir) / "mhad";
  std::error_code ec;
  fs::remove_all(config_dir, ec);  // no state from the last run: no min_failover_interval guard
  if (!sandbox.start()) return std::nullopt;
  if (run(fmt::format("{} gen-config {} --ping-interval {} --dir {}", sandbox.script(), config_dir.string(),
                      o.ping_interval, sandbox.dir()),
          30)
              .exit_code != 0 ||
      !sandbox.in_host(0, "ip addr add " + sandbox.vip_cidr() + " dev eth0") ||
      !sandbox.sql(0, "CREATE TABLE mha_test.bench (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))")) {
    std::fprintf(stderr, "failover: cannot configure the sandbox\n");
    return std::nullopt;
  }
  Mhad mhad(o.mhad, config_dir);
  if (!mhad.start()) {
    std::fprintf(stderr, "failover: mhad did not start; its log: %s\n", mhad.log_path().c_str());
    return std::nullopt;
  }
  bool ready = wait_for(30s, [&] {
    auto s = mhad.request("status", 2s);
    return s && (*s)["clusters"][0].value("health", "") == "ok" && (*s)["clusters"][0]["vip"]["holder"] == "master";
  });
  if (!ready) {
    std::fprintf(stderr, "failover: the cluster was not healthy with the VIP on the master within 30 s\n");
    return std::nullopt;
  }
  std::this_thread::sleep_for(6s);  // every kept SSH session is open by now

  VipWriter writer(sandbox.vip());
  if (!wait_for(10s, [&] { return writer.acks().size() >= 50; })) {
    std::fprintf(stderr, "failover: the writer got fewer than 50 acknowledgements in 10 s\n");
    return std::nullopt;
  }
  std::size_t held_from = 0;
  if (o.kind == "lagkill") {
    sandbox.sql(0, "SET GLOBAL rpl_semi_sync_master_enabled = 0");
    sandbox.sql(1, "STOP SLAVE IO_THREAD");
    sandbox.sql(2, "STOP SLAVE IO_THREAD");
    held_from = writer.acks().size();
    std::this_thread::sleep_for(2s);
  }
  // Where in mhad's check cycle the fault lands decides up to one
  // ping_interval of the detection time. Every step above has a fixed
  // length from mhad's start, so without this each run would hit the same
  // point of the cycle: run k of N waits (k-1)/N of a ping_interval more.
  if (auto interval = mha::parse_duration(o.ping_interval))
    std::this_thread::sleep_for(*interval * (run_number - 1) / o.runs);
  const auto fault_wall = Wall::now();
  const auto fault_at = Steady::now();
  if (!fault(o, sandbox)) {
    std::fprintf(stderr, "failover: the fault (%s) could not be caused\n", o.kind.c_str());
    return std::nullopt;
  }
  json last;
  bool reported = wait_for(90s, [&] {
    auto s = mhad.request("status", 2s);
    if (!s) return false;
    last = (*s)["clusters"][0].value("last_failover", json(nullptr));
    return !last.is_null();
  });
  // Resumed: acknowledgements again for a second after the failover.
  const std::size_t before = writer.acks().size();
  wait_for(15s, [&] { return writer.acks().size() >= before + 20; });
  writer.stop();
  if (!reported) {
    std::fprintf(stderr, "failover: run %d: no failover reported within 90 s (log: %s)\n", run_number,
                 mhad.log_path().c_str());
    return std::nullopt;
  }

  RunResult r;
  r.result = last.value("result", "?");
  r.new_master = last.value("new_master", "?");
  auto state = read_json(config_dir / "state" / "sandbox.json");
  double phases_to_writable = 0;
  if (state && (*state)["failovers"].is_array() && !(*state)["failovers"].empty()) {
    const json& detail = (*state)["failovers"].back()["detail"];
    for (const auto& p : detail.value("phases", json::array()))
      r.phase_ms[p.value("phase", "?")] = p.value("duration_ms", 0.0);
    phases_to_writable = r.phase_ms["check"] + r.phase_ms["fence"] + r.phase_ms["recover_master"];
    for (const auto& v : (*state)["verdicts"]) {
      const std::string verdict = v.value("verdict", "");
      if (verdict != "dead" && verdict != "dead_host") continue;
      if (auto at = parse_iso(v.value("at", ""))) {
        double d = std::chrono::duration<double, std::milli>(*at - fault_wall).count();
        if (d >= -5) {
          r.declared_ms = d;
          r.verdict = verdict;
        }
      }
    }
  }
  if (r.declared_ms >= 0) r.writable_ms = r.declared_ms + phases_to_writable;

  auto acks = writer.acks();
  r.acked = acks.size();
  // The outage: the longest gap between acknowledgements around the fault.
  for (std::size_t k = 1; k < acks.size(); ++k) {
    if (acks[k].at < fault_at) continue;
    const double gap = ms(acks[k].at - acks[k - 1].at);
    if (gap > r.window_ms) {
      r.window_ms = gap;
      r.resume_ms = ms(acks[k].at - fault_at);
    }
  }
  mhad.stop();

  // What the user checks afterwards.
  int new_index = -1;
  for (int i = 0; i < 3; ++i)
    if (r.new_master == k_names[i]) new_index = i;
  if (new_index > 0) {
    if (auto ids = sandbox.row_ids(new_index)) {
      for (const auto& a : acks) {
        if (a.id >= 0 && !ids->count(a.id)) ++r.lost;
      }
    }
    if (o.kind == "lagkill")
      for (std::size_t k = held_from; k < acks.size() && acks[k].at < fault_at; ++k) ++r.only_on_master;
  }
  r.writable = 0;
  r.vip_holders = 0;
  for (int i = 0; i < 3; ++i) {
    if (i == 0 && o.kind == "netdown") continue;  // cut off: neither answers
    if (auto ro = sql_value(sandbox, i, "SELECT @@read_only"); ro && *ro == "0") ++r.writable;
    if (run(fmt::format("ip netns exec {} ip -o addr show | grep -qw {}", sandbox.ns(i), sandbox.vip()), 10)
            .exit_code == 0) {
      ++r.vip_holders;
      if (i == new_index) r.vip_on_new = true;
    }
  }
  sandbox.stop();
  return r;
}

std::string p50_max(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return v < 0; }), values.end());
  if (values.empty()) return fmt::format("{:>8} {:>8}", "-", "-");
  std::sort(values.begin(), values.end());
  return fmt::format("{:8.0f} {:8.0f}", values[(values.size() - 1) / 2], values.back());
}

int bench(const Options& o, NetnsSandbox& sandbox) {
  std::vector<RunResult> results;
  for (int i = 1; i <= o.runs && !g_interrupted; ++i) {
    std::fprintf(stderr, "failover: run %d of %d (%s)\n", i, o.runs, o.kind.c_str());
    auto r = one_run(o, sandbox, i);
    if (!r) return g_interrupted ? 130 : 1;
    std::printf("run %d: %s -> %s (%s): declared %.0f, writable %.0f, resume %.0f, window %.0f ms; %zu acked, %zu "
                "lost%s; %d writable, %d VIP holder(s), VIP on the new master: %s\n",
                i, r->result.c_str(), r->new_master.c_str(), r->verdict.c_str(), r->declared_ms, r->writable_ms,
                r->resume_ms, r->window_ms, r->acked, r->lost,
                o.kind == "lagkill" ? fmt::format(" ({} only in the dead master's binlog)", r->only_on_master).c_str()
                                    : "",
                r->writable, r->vip_holders, r->vip_on_new ? "yes" : "NO");
    std::fflush(stdout);
    results.push_back(*r);
  }
  auto column = [&](auto get) {
    std::vector<double> v;
    for (const auto& r : results) v.push_back(get(r));
    return p50_max(v);
  };
  std::printf("\nfailover benchmark: %zu runs, kind %s, netns sandbox, VIP, ping_interval %s, writes every 20 ms "
              "through the VIP (1 s connect timeout)\n",
              results.size(), o.kind.c_str(), o.ping_interval.c_str());
  std::printf("  %-44s %8s %8s   (ms after the fault)\n", "", "p50", "max");
  std::printf("  %-44s %s\n", "declared dead", column([](const RunResult& r) { return r.declared_ms; }).c_str());
  std::printf("  %-44s %s\n", "new master writable (with the VIP moved)",
              column([](const RunResult& r) { return r.writable_ms; }).c_str());
  std::printf("  %-44s %s   target <= %.0f\n", "writes resume", column([](const RunResult& r) { return r.resume_ms; }).c_str(),
              k_targets.at(o.kind));
  std::printf("  %-44s %s\n", "write-unavailability window", column([](const RunResult& r) { return r.window_ms; }).c_str());
  for (const char* p : k_phases)
    std::printf("  %-44s %s\n", fmt::format("phase {} (duration)", p).c_str(),
                column([&](const RunResult& r) { return r.phase_ms.count(p) ? r.phase_ms.at(p) : -1.0; }).c_str());
  int completed = 0, one_writable = 0, vip_ok = 0;
  std::size_t lost = 0;
  for (const auto& r : results) {
    completed += r.result == "completed" ? 1 : 0;
    one_writable += r.writable == 1 ? 1 : 0;
    vip_ok += r.vip_on_new && r.vip_holders == 1 ? 1 : 0;  // netdown: the cut host is not asked
    lost += r.lost;
  }
  std::printf("  completed %d of %zu; acknowledged writes lost %zu; exactly one writable %d of %zu; VIP on the new "
              "master only %d of %zu\n",
              completed, results.size(), lost, one_writable, results.size(), vip_ok, results.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int rc = start_benchmark("failover", options->work_dir); rc != 0) return rc;
  NetnsSandbox sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", options->sandbox_dir);
  const int rc = run_guarded([&] { return bench(*options, sandbox); });
  sandbox.stop();
  return rc;
}
