// bench/soak: K failovers in a row on ONE netns sandbox under the write load
// of netns_bench.h (an INSERT every 20 ms through the VIP, reconnecting with
// a 1 s connect timeout), rotating the fault: kill, shutdown (stop), freeze,
// netdown (link down), lagkill (salvage: semi-sync off, the replicas' IO
// threads stopped for 2 s of writes, then SIGKILL). Each round hits whoever
// is master now, waits for mhad's failover, repairs the old master (starts
// its mariadbd again, or brings its link back) and rejoins it with
// `rejoin`, then checks what an operator would: acknowledged writes missing
// on the new master, divergent rows (every server's rows against the new
// master's, once all caught up), writable servers, VIP holders, and the
// write window. min_failover_interval is 0 for the soak (MHA's guard
// against ping-pong would refuse the second round).
// A benchmark, not a test: it judges nothing. Every wait is bounded; mhad
// and the sandbox are stopped on every exit path, Ctrl-C included.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
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

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

const char* const k_names[] = {"master", "slave1", "slave2"};
const char* const k_kinds[] = {"kill", "shutdown", "freeze", "netdown", "lagkill"};

struct Options {
  int rounds = 20;
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-soak-sandbox";
  std::string work_dir = "/tmp/mha-bench-soak";
};

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  if (!parse_options("soak", argc, argv,
                     {int_option("--rounds", o.rounds, 1, 100), text_option("--mhad", o.mhad),
                      text_option("--sandbox-dir", o.sandbox_dir), text_option("--work-dir", o.work_dir)},
                     "usage: soak [--rounds K] [--mhad PATH] [--sandbox-dir DIR] [--work-dir DIR]\n"
                     "K failovers in a row (default 20) on one netns sandbox under a write load through the\n"
                     "VIP, rotating kill/shutdown/freeze/netdown/lagkill, rejoining the old master between\n"
                     "rounds; prints lost and divergent rows, writable servers, VIP holders, window. Needs root.\n"))
    return std::nullopt;
  return o;
}

std::optional<std::string> sql_out(const NetnsSandbox& sandbox, int host, const std::string& statement,
                                   int timeout_seconds = 10) {
  auto r = run(fmt::format("{} sql {} '{}' --dir {}", sandbox.script(), host, statement, sandbox.dir()),
               timeout_seconds);
  if (r.exit_code != 0) return std::nullopt;
  return trim(r.out);
}

int index_of(const std::string& name) {
  for (int i = 0; i < 3; ++i)
    if (name == k_names[i]) return i;
  return -1;
}

struct Round {
  std::string kind, old_master, new_master, result;
  double window_ms = -1;
  std::size_t lost = 0, divergent = 0;
  int writable = -1, vip_holders = -1;
  bool rejoined = false;
};

class Soak {
 public:
  explicit Soak(const Options& o)
      : m_o(o), m_sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", o.sandbox_dir) {}

  bool start() {
    const fs::path config_dir = fs::path(m_o.work_dir) / "mhad";
    std::error_code ec;
    fs::remove_all(config_dir, ec);
    if (!m_sandbox.start()) return false;
    if (run(fmt::format("{} gen-config {} --ping-interval 1s --dir {}", m_sandbox.script(), config_dir.string(),
                        m_sandbox.dir()),
            30)
            .exit_code != 0)
      return false;
    // Before the first [[server]] table: a cluster-level key.
    const fs::path cluster = config_dir / "clusters.d" / "sandbox.toml";
    std::ifstream in(cluster);
    std::stringstream text;
    text << in.rdbuf();
    std::string body = text.str();
    body.insert(body.find("\n[") + 1, "min_failover_interval = \"0s\"\n");
    std::ofstream(cluster) << body;
    if (!m_sandbox.in_host(0, "ip addr add " + m_sandbox.vip_cidr() + " dev eth0") ||
        !m_sandbox.sql(0, "CREATE TABLE mha_test.bench (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))"))
      return false;
    m_mhad = std::make_unique<Mhad>(m_o.mhad, config_dir);
    if (!m_mhad->start() || !healthy(30s)) return false;
    std::this_thread::sleep_for(6s);  // every kept SSH session is open by now
    m_writer = std::make_unique<VipWriter>(m_sandbox.vip());
    return wait_for(10s, [&] { return m_writer->acks().size() >= 50; });
  }

  Round round(const std::string& kind) {
    Round r;
    r.kind = kind;
    auto before = status();
    r.old_master = before ? (*before)["clusters"][0].value("master", "") : "";
    const int m = index_of(r.old_master);
    const std::string last_before = before ? (*before)["clusters"][0]["last_failover"].dump() : "";
    if (m < 0) {
      r.result = "no master known";
      return r;
    }
    std::vector<int> others;
    for (int i = 0; i < 3; ++i)
      if (i != m) others.push_back(i);
    if (kind == "lagkill") {
      m_sandbox.sql(m, "SET GLOBAL rpl_semi_sync_master_enabled = 0");
      for (int i : others) m_sandbox.sql(i, "STOP SLAVE IO_THREAD");
      std::this_thread::sleep_for(2s);
    }
    const auto fault_at = Steady::now();
    const std::string signal = kind == "shutdown" ? "TERM" : kind == "freeze" ? "STOP" : "KILL";
    bool caused = kind == "netdown"
                      ? m_sandbox.in_host(m, "ip link set eth0 down")
                      : run(fmt::format("{} kill {} {} --dir {}", m_sandbox.script(), m, signal, m_sandbox.dir()), 30)
                                .exit_code == 0;
    if (!caused) {
      r.result = "fault not caused";
      return r;
    }
    json last;
    wait_for(90s, [&] {
      auto s = status();
      if (!s) return false;
      last = (*s)["clusters"][0]["last_failover"];
      return !last.is_null() && last.dump() != last_before;
    });
    r.result = last.is_object() ? last.value("result", "?") : "none";
    r.new_master = last.is_object() ? last.value("new_master", "?") : "?";
    const std::size_t acked_now = m_writer->acks().size();
    wait_for(15s, [&] { return m_writer->acks().size() >= acked_now + 20; });
    auto acks = m_writer->acks();
    for (std::size_t k = 1; k < acks.size(); ++k)
      if (acks[k].at >= fault_at) r.window_ms = std::max(r.window_ms, std::chrono::duration<double, std::milli>(acks[k].at - acks[k - 1].at).count());

    // Repair the old master and rejoin it.
    if (kind == "netdown") m_sandbox.in_host(m, "ip link set eth0 up");
    else run(fmt::format("{} start-server {} --dir {}", m_sandbox.script(), m, m_sandbox.dir()), 120);
    if (kind == "lagkill") m_sandbox.sql(m, "SET GLOBAL rpl_semi_sync_master_enabled = 1");
    const int n = index_of(r.new_master);
    r.rejoined = wait_for(60s, [&] {
      auto reply = m_mhad->request("rejoin", 30s, json{{"server", r.old_master}});
      if (!reply) std::this_thread::sleep_for(1s);
      return reply.has_value();
    });
    // Lost: acknowledged, not on the new master. Divergent: a row on
    // another server that the new master does not have; its rows are read
    // after theirs, so a replica that is merely behind shows none.
    if (n >= 0) {
      std::this_thread::sleep_for(2s);
      std::vector<std::optional<std::set<long long>>> others_ids;
      for (int i = 0; i < 3; ++i) others_ids.push_back(i == n ? std::nullopt : m_sandbox.row_ids(i));
      if (auto master_ids = m_sandbox.row_ids(n)) {
        for (const auto& a : acks)
          if (a.id >= 0 && !master_ids->count(a.id)) ++r.lost;
        for (const auto& ids : others_ids)
          if (ids)
            for (long long id : *ids)
              if (!master_ids->count(id)) ++r.divergent;
      }
    }
    r.writable = 0;
    r.vip_holders = 0;
    for (int i = 0; i < 3; ++i) {
      if (auto ro = sql_out(m_sandbox, i, "SELECT @@read_only"); ro && *ro == "0") ++r.writable;
      if (run(fmt::format("ip netns exec {} ip -o addr show | grep -qw {}", m_sandbox.ns(i), m_sandbox.vip()), 10)
              .exit_code == 0)
        ++r.vip_holders;
    }
    return r;
  }

  void stop() {
    if (m_writer) m_writer->stop();
    m_mhad.reset();
    m_sandbox.stop();
  }
  ~Soak() { stop(); }

 private:
  std::optional<json> status() { return m_mhad->request("status", 2s); }
  bool healthy(std::chrono::milliseconds limit) {
    return wait_for(limit, [&] {
      auto s = status();
      return s && (*s)["clusters"][0].value("health", "") == "ok";
    });
  }

  const Options& m_o;
  NetnsSandbox m_sandbox;
  std::unique_ptr<Mhad> m_mhad;
  std::unique_ptr<VipWriter> m_writer;
};

int bench(const Options& o) {
  Soak soak(o);
  if (!soak.start()) {
    std::fprintf(stderr, "soak: the sandbox, mhad or the writer did not come up\n");
    return 1;
  }
  std::size_t lost = 0, divergent = 0;
  int two_writable = 0, not_completed = 0, not_rejoined = 0;
  std::vector<double> windows;
  for (int k = 0; k < o.rounds && !g_interrupted; ++k) {
    const std::string kind = k_kinds[k % 5];
    std::fprintf(stderr, "soak: round %d of %d (%s)\n", k + 1, o.rounds, kind.c_str());
    Round r = soak.round(kind);
    std::printf("round %2d %-8s %s -> %s: %s; window %.0f ms; lost %zu, divergent %zu; %d writable, %d VIP "
                "holder(s); rejoined %s\n",
                k + 1, kind.c_str(), r.old_master.c_str(), r.new_master.c_str(), r.result.c_str(), r.window_ms,
                r.lost, r.divergent, r.writable, r.vip_holders, r.rejoined ? "yes" : "NO");
    std::fflush(stdout);
    lost += r.lost;
    divergent += r.divergent;
    two_writable += r.writable > 1 ? 1 : 0;
    not_completed += r.result == "completed" ? 0 : 1;
    not_rejoined += r.rejoined ? 0 : 1;
    if (r.window_ms >= 0) windows.push_back(r.window_ms);
  }
  std::sort(windows.begin(), windows.end());
  std::printf("\nsoak: %zu rounds; lost %zu, divergent %zu; rounds with two writable %d; not completed %d; not "
              "rejoined %d; window p50 %.0f ms, max %.0f ms\n",
              windows.size(), lost, divergent, two_writable, not_completed, not_rejoined,
              windows.empty() ? -1.0 : windows[(windows.size() - 1) / 2], windows.empty() ? -1.0 : windows.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int rc = start_benchmark("soak", options->work_dir); rc != 0) return rc;
  return run_guarded([&] { return bench(*options); });
}
