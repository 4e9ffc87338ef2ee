// bench/partitions: speed must not buy false failovers. On the netns sandbox
// (one namespace per host, the VIP on the master, ping_interval 1 s, every
// other key at its default) under the write load of netns_bench.h, each
// partition kind is applied N times, held, and undone:
//   mhad_master      mhad <-> the master's host cut (SQL and SSH)
//   mhad_replica     mhad <-> one replica's host cut
//   master_replicas  the master <-> both replicas cut, mhad still sees all
//   isolated         mhad cut from every host (it cannot fence: must not act)
//   flap             the master's link down 2 s / up 2 s, for 60 s
//   slow             everything the master's host sends 800 ms late, but
//                    alive (what tc netem delay 800ms on its link would do;
//                    this kernel has no netem, so a relay does it:
//                    tests/sandbox/delay_proxy.h, and what differs)
// The partitions are iptables DROP rules inside the hosts' namespaces (the
// application writes from mhad's namespace, so it is cut with mhad).
// Per kind it counts what the issue asks: false failovers (any failover
// started), split brain (more than one writable server, read on each host
// through its own socket, during the hold and after the heal) and, at the
// end, lost writes (acknowledged rows missing on the master). A trial that
// did fail over restarts the sandbox so the next one starts clean.
// A benchmark, not a test: it judges nothing. Every wait is bounded; mhad
// and the sandbox are stopped on every exit path, Ctrl-C included.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_support.h"
#include "tests/sandbox/delay_proxy.h"
#include "bench/netns_bench.h"

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
using mha::sandbox::DelayProxy;
using nlohmann::json;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

const std::vector<std::string> k_kinds = {"mhad_master", "mhad_replica", "master_replicas", "isolated", "flap",
                                          "slow"};
// The slow kind's relay: its port in the master's namespace, its delay.
constexpr int k_relay_port = 13306;
constexpr std::chrono::milliseconds k_slow_delay{800};

struct Options {
  int trials = 10;
  std::vector<std::string> kinds = k_kinds;
  int hold_seconds = 15;
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-partitions-sandbox";
  std::string work_dir = "/tmp/mha-bench-partitions";
};

const char* const k_usage =
    "usage: partitions [--trials N] [--kinds K,K,...] [--hold SECONDS] [--mhad PATH]\n"
    "                  [--sandbox-dir DIR] [--work-dir DIR]\n"
    "kinds: mhad_master, mhad_replica, master_replicas, isolated, flap, slow (default: all)\n"
    "Each partition N times (default 10) on the netns sandbox under a write load through\n"
    "the VIP, held --hold seconds (default 15; flap: 60 s), then undone; prints false\n"
    "failovers, split brain and lost writes per kind. Needs root.\n";

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  Option kinds{"--kinds", [&o](const std::string& v) -> std::string {
                 o.kinds = split_commas(v);
                 for (const auto& k : o.kinds)
                   if (std::find(k_kinds.begin(), k_kinds.end(), k) == k_kinds.end()) return "unknown kind '" + k + "'";
                 return "";
               }};
  if (!parse_options("partitions", argc, argv,
                     {int_option("--trials", o.trials, 1, 200), kinds, int_option("--hold", o.hold_seconds, 1, 600),
                      text_option("--mhad", o.mhad), text_option("--sandbox-dir", o.sandbox_dir),
                      text_option("--work-dir", o.work_dir)},
                     k_usage))
    return std::nullopt;
  return o;
}

// The sandbox, mhad and the application, as one unit that can be rebuilt
// after a trial that failed over.
class Rig {
 public:
  explicit Rig(const Options& o)
      : m_o(o), m_sandbox(std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh", o.sandbox_dir) {}
  ~Rig() { down(); }

  // through_relay: the master's host sends through the delay relay (the
  // slow kind), set up before anything connects to it.
  bool up(bool through_relay) {
    down();
    const fs::path config_dir = fs::path(m_o.work_dir) / "mhad";
    std::error_code ec;
    fs::remove_all(config_dir, ec);
    if (!m_sandbox.start()) return false;
    if (run(fmt::format("{} gen-config {} --ping-interval 1s --dir {}", m_sandbox.script(), config_dir.string(),
                        m_sandbox.dir()),
            30)
                .exit_code != 0 ||
        !m_sandbox.in_host(0, "ip addr add " + m_sandbox.vip_cidr() + " dev eth0") ||
        !m_sandbox.sql(0, "CREATE TABLE mha_test.bench (id BIGINT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))")) {
      std::fprintf(stderr, "partitions: cannot configure the sandbox\n");
      return false;
    }
    if (through_relay && !relay_master()) {
      std::fprintf(stderr, "partitions: cannot put the delay relay in front of the master's host\n");
      return false;
    }
    m_through_relay = through_relay;
    m_mhad = std::make_unique<Mhad>(m_o.mhad, config_dir);
    m_log_offset = 0;
    if (!m_mhad->start() || !healthy(30s)) {
      std::fprintf(stderr, "partitions: the cluster was not healthy with the VIP on the master within 30 s\n");
      return false;
    }
    std::this_thread::sleep_for(6s);  // every kept SSH session is open by now
    m_writer = std::make_unique<VipWriter>(m_sandbox.vip());
    return wait_for(10s, [&] { return m_writer->acks().size() >= 50; });
  }

  // Lost acknowledged writes on the current master; then everything stops.
  std::optional<std::size_t> down() {
    std::optional<std::size_t> lost;
    if (m_writer) {
      m_writer->stop();
      lost = lost_writes();
      m_writer.reset();
    }
    m_mhad.reset();
    m_relay.stop();
    m_sandbox.stop();  // its namespaces go, with the REDIRECT rules
    m_through_relay = false;
    return lost;
  }

  bool through_relay() const { return m_through_relay; }
  const DelayProxy& relay() const { return m_relay; }

  bool healthy(std::chrono::milliseconds limit) {
    return wait_for(limit, [&] {
      auto s = m_mhad->request("status", 2s);
      if (!s) return false;
      const json& c = (*s)["clusters"][0];
      return c.value("health", "") == "ok" && c["vip"]["holder"] == "master";
    });
  }

  // A failover was started (or finished) since mhad started.
  bool failed_over() {
    auto s = m_mhad->request("status", 2s);
    if (!s) return false;
    const json& c = (*s)["clusters"][0];
    return !c["last_failover"].is_null() || !c["operation_running"].is_null();
  }

  std::string verdict() {
    auto s = m_mhad->request("status", 2s);
    if (!s) return "?";
    const json& v = (*s)["clusters"][0]["detection"];
    return v.is_object() ? v.value("verdict", "?") : "?";
  }

  // Writable servers, each asked inside its namespace (mhad's cut does not apply).
  int writable() const {
    int count = 0;
    for (int i = 0; i < 3; ++i) {
      auto r = run(fmt::format("{} sql {} 'SELECT @@read_only' --dir {}", m_sandbox.script(), i, m_sandbox.dir()), 10);
      if (r.exit_code == 0 && trim(r.out) == "0") ++count;
    }
    return count;
  }

  // mhad's verdict lines logged since the last call (what a trial saw).
  std::vector<std::string> new_verdicts() {
    std::vector<std::string> out;
    std::ifstream in(m_mhad->log_path());
    in.seekg(static_cast<std::streamoff>(m_log_offset));
    std::string line;
    while (std::getline(in, line)) {
      m_log_offset += line.size() + 1;
      if (line.find("EVENT=verdict") != std::string::npos || line.find("EVENT=failover_start") != std::string::npos)
        out.push_back(line.substr(0, line.find(" (EVENT=")));
    }
    return out;
  }

  std::size_t acked() const { return m_writer ? m_writer->acks().size() : 0; }
  const NetnsSandbox& sandbox() const { return m_sandbox; }

 private:
  // After a master <-> replicas heal MariaDB takes no new connection for
  // 10 s and more (read_connected_replicas in daemon/server_read.h): retry.
  std::optional<std::size_t> lost_writes() {
    std::optional<std::size_t> lost;
    wait_for(60s, [&] { return (lost = lost_writes_once()).has_value(); });
    return lost;
  }

  std::optional<std::size_t> lost_writes_once() {
    // The master by the servers' own word: the one writable server.
    for (int i = 0; i < 3; ++i) {
      auto ro = run(fmt::format("{} sql {} 'SELECT @@read_only' --dir {}", m_sandbox.script(), i, m_sandbox.dir()), 10);
      if (ro.exit_code != 0 || trim(ro.out) != "0") continue;
      auto ids = m_sandbox.row_ids(i);
      if (!ids) return std::nullopt;
      std::size_t lost = 0;
      for (const auto& a : m_writer->acks())
        if (a.id >= 0 && !ids->count(a.id)) ++lost;
      return lost;
    }
    return std::nullopt;
  }

  // Every new connection to the master's host (SQL and SSH) through the
  // relay, and the replicas' IO threads reconnected through it.
  bool relay_master() {
    if (!m_relay.start(m_sandbox.ns(0), k_relay_port, k_slow_delay)) return false;
    for (const char* port : {"3306", "22"})
      if (!m_sandbox.in_host(0, fmt::format("iptables -t nat -A PREROUTING -p tcp --dport {} -j REDIRECT --to-ports {}",
                                            port, k_relay_port)))
        return false;
    for (int i : {1, 2})
      if (!m_sandbox.sql(i, "STOP SLAVE") || !m_sandbox.sql(i, "START SLAVE")) return false;
    return true;
  }

  const Options& m_o;
  NetnsSandbox m_sandbox;
  DelayProxy m_relay;
  bool m_through_relay = false;
  std::unique_ptr<Mhad> m_mhad;
  std::unique_ptr<VipWriter> m_writer;
  std::size_t m_log_offset = 0;
};

struct Partition {
  std::function<bool()> apply;
  std::function<void()> undo;
};

Partition partition(const std::string& kind, const NetnsSandbox& sandbox, const DelayProxy& relay) {
  const std::string manager = sandbox.env("MHA_SANDBOX_MANAGER_ADDR");
  std::istringstream hosts_in(sandbox.env("MHA_SANDBOX_HOSTS"));
  std::vector<std::string> hosts;
  for (std::string h; hosts_in >> h;) hosts.push_back(h);
  auto rule_on = [&sandbox](std::vector<int> on, std::string rule) {
    return Partition{[&sandbox, on, rule] {
                       for (int i : on)
                         if (!sandbox.in_host(i, "iptables -I " + rule)) return false;
                       return true;
                     },
                     [&sandbox, on, rule] {
                       for (int i : on) sandbox.in_host(i, "iptables -D " + rule);
                     }};
  };
  if (kind == "mhad_master") return rule_on({0}, "INPUT -s " + manager + " -j DROP");
  if (kind == "mhad_replica") return rule_on({1}, "INPUT -s " + manager + " -j DROP");
  if (kind == "master_replicas") return rule_on({0}, "INPUT -s " + hosts.at(1) + "," + hosts.at(2) + " -j DROP");
  if (kind == "isolated") return rule_on({0, 1, 2}, "INPUT -s " + manager + " -j DROP");
  if (kind == "slow") return Partition{[&relay] { return relay.slow(true); }, [&relay] { relay.slow(false); }};
  // flap: the link goes down and up on a timer; apply runs the whole minute.
  return Partition{[&sandbox] {
                     for (int cycle = 0; cycle < 15 && !g_interrupted; ++cycle) {
                       if (!sandbox.in_host(0, "ip link set eth0 down")) return false;
                       std::this_thread::sleep_for(2s);
                       if (!sandbox.in_host(0, "ip link set eth0 up")) return false;
                       std::this_thread::sleep_for(2s);
                     }
                     return true;
                   },
                   [&sandbox] { sandbox.in_host(0, "ip link set eth0 up"); }};
}

struct Tally {
  int trials = 0, false_failovers = 0, split_brain = 0, not_healed = 0;
  std::size_t lost = 0;
  bool lost_known = true;
  std::map<std::string, int> verdicts;  // worst verdict seen per trial
};

int bench(const Options& o) {
  Rig rig(o);
  std::map<std::string, Tally> tallies;
  const std::string* rig_kind = nullptr;  // whose trials the rig's losses count for
  for (const auto& kind : o.kinds) {
    Tally& t = tallies[kind];
    // The slow kind needs the relay in place before anything connects.
    if (!rig_kind || rig.through_relay() != (kind == "slow")) {
      if (rig_kind) {
        auto lost = rig.down();
        if (lost) tallies[*rig_kind].lost += *lost;
        else tallies[*rig_kind].lost_known = false;
      }
      if (!rig.up(kind == "slow")) return 1;
    }
    rig_kind = &kind;
    for (int trial = 1; trial <= o.trials && !g_interrupted; ++trial) {
      std::fprintf(stderr, "partitions: %s trial %d of %d\n", kind.c_str(), trial, o.trials);
      Partition p = partition(kind, rig.sandbox(), rig.relay());
      std::set<std::string> seen;
      bool split = false, failed = false;
      std::atomic<bool> holding{true};
      // Watch while the partition holds: verdicts, failovers, writable servers.
      std::thread watcher([&] {
        while (holding && !g_interrupted) {
          seen.insert(rig.verdict());
          if (rig.failed_over()) failed = true;
          if (rig.writable() > 1) split = true;
          std::this_thread::sleep_for(500ms);
        }
      });
      const bool applied = p.apply();
      if (kind != "flap")
        for (int s = 0; s < o.hold_seconds && !g_interrupted; ++s) std::this_thread::sleep_for(1s);
      p.undo();
      holding = false;
      watcher.join();
      if (!applied) {
        std::fprintf(stderr, "partitions: the %s partition could not be applied\n", kind.c_str());
        return 1;
      }
      const bool healed = rig.healthy(40s);
      if (rig.failed_over()) failed = true;
      if (rig.writable() > 1) split = true;
      ++t.trials;
      t.false_failovers += failed ? 1 : 0;
      t.split_brain += split ? 1 : 0;
      t.not_healed += healed ? 0 : 1;
      std::string worst = "healthy";
      for (const char* v : {"suspect", "unreachable_from_manager", "dead", "dead_host"})
        if (seen.count(v)) worst = v;
      ++t.verdicts[worst];
      std::printf("%s trial %d: worst verdict %s, failover %s, split brain %s, healthy again %s\n", kind.c_str(),
                  trial, worst.c_str(), failed ? "YES" : "no", split ? "YES" : "no", healed ? "yes" : "NO");
      for (const auto& line : rig.new_verdicts()) std::printf("    %s\n", line.c_str());
      std::fflush(stdout);
      if (failed || !healed) {
        // Count what this rig lost, then start clean for the next trial.
        auto lost = rig.down();
        if (lost) t.lost += *lost;
        else t.lost_known = false;
        if (!rig.up(kind == "slow")) return 1;
      }
    }
  }
  auto lost = rig.down();
  std::printf("\npartitions benchmark: netns sandbox, VIP, ping_interval 1s, writes every 20 ms through the VIP; "
              "hold %d s (flap: 60 s)\n",
              o.hold_seconds);
  std::printf("  %-16s %7s %16s %12s %12s  %s\n", "kind", "trials", "false failovers", "split brain", "not healed",
              "worst verdict per trial");
  for (const auto& kind : o.kinds) {
    const Tally& t = tallies[kind];
    std::string verdicts;
    for (const auto& [v, n] : t.verdicts) verdicts += fmt::format("{}{} x{}", verdicts.empty() ? "" : ", ", v, n);
    std::printf("  %-16s %7d %16d %12d %12d  %s\n", kind.c_str(), t.trials, t.false_failovers, t.split_brain,
                t.not_healed, verdicts.c_str());
  }
  std::size_t total_lost = lost.value_or(0);
  bool known = lost.has_value();
  for (const auto& [kind, t] : tallies) {
    total_lost += t.lost;
    known = known && t.lost_known;
  }
  std::printf("  acknowledged writes lost: %zu%s\n", total_lost, known ? "" : " (some rigs could not be read)");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) return 64;
  if (int rc = start_benchmark("partitions", options->work_dir); rc != 0) return rc;
  return run_guarded([&] { return bench(*options); });
}
