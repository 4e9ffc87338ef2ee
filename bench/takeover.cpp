// bench/takeover: how long after the active mhad dies (kill -9) a standby
// is active, with coordination = "etcd". Starts (or reuses) a loopback
// sandbox and a 3-member etcd on loopback (sandbox.sh etcd-start), runs
// three mhad on it as mha1..mha3, and --runs times: waits until exactly
// one is active, SIGKILLs it, measures until another says it is active
// (polling `status` every 20 ms), restarts the killed one. Prints each run
// and p50/max. Every process it starts is stopped by PID on every exit
// path; the sandbox (and etcd) are stopped unless --keep-sandbox.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench/bench_support.h"

namespace {

using namespace std::chrono_literals;
using namespace mha::bench;
namespace fs = std::filesystem;

struct Options {
  int runs = 10;
  std::string ping_interval = "2s";
  std::string mhad = MHA_MHAD_PATH;
  std::string sandbox_dir = "/tmp/mha-bench-sandbox";
  std::string work_dir = "/tmp/mha-bench-takeover";
  bool keep_sandbox = false;
};

const char* const k_usage =
    "Usage: takeover [--runs N] [--ping-interval 2s] [--mhad PATH] [--keep-sandbox]\n"
    "                [--sandbox-dir DIR] [--dir DIR]\n"
    "\n"
    "Three mhad with coordination = \"etcd\" on a loopback sandbox and a 3-member\n"
    "etcd: N times (default 10) kill -9 the active one and time until a standby is\n"
    "active. Prints each run and p50/max. Needs root.\n";

// "mhaN" if exactly one instance says it is active, else "".
std::string single_active(const std::vector<std::unique_ptr<Mhad>>& mhads, const std::vector<bool>& alive) {
  std::string active;
  int count = 0;
  for (std::size_t i = 0; i < mhads.size(); ++i) {
    if (!alive[i]) continue;
    auto s = mhads[i]->request("status", 1s);
    if (!s || !(*s)["clusters"].is_array() || (*s)["clusters"].empty()) continue;
    const auto c = (*s)["clusters"][0].value("coordination", nlohmann::json::object());
    if (c.value("role", "") == "active") {
      ++count;
      active = c.value("this_instance", "");
    }
  }
  return count == 1 ? active : "";
}

int run_bench(const Options& o) {
  const std::string script = std::string(MHA_SOURCE_DIR) + "/tests/sandbox/sandbox.sh";
  Sandbox sandbox(script, o.sandbox_dir);
  struct Cleanup {
    Sandbox& sandbox;
    bool keep;
    ~Cleanup() {
      if (!keep) sandbox.stop();  // stop --purge: etcd too
    }
  } cleanup{sandbox, o.keep_sandbox};
  if (!sandbox.start(200, o.work_dir + "/sandbox.log")) return 1;
  auto etcd = run(fmt::format("{} etcd-start --dir {}", script, o.sandbox_dir), 120);
  if (etcd.exit_code != 0) {
    std::fprintf(stderr, "takeover: etcd-start failed:\n%s\n", tail(etcd.out, 10).c_str());
    return 1;
  }
  // The leader keys of an earlier run would expire anyway; the state would not.
  run(fmt::format("ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:23791 del --prefix /mhad"), 30);

  std::vector<std::unique_ptr<Mhad>> mhads;
  for (int i = 1; i <= 3; ++i) {
    const fs::path dir = fs::path(o.work_dir) / fmt::format("mha{}", i);
    auto gen = run(fmt::format("{} gen-config {} --ping-interval {} --dir {}", script, dir.string(), o.ping_interval,
                               o.sandbox_dir),
                   60);
    if (gen.exit_code != 0) {
      std::fprintf(stderr, "takeover: gen-config failed:\n%s\n", tail(gen.out, 10).c_str());
      return 1;
    }
    std::ofstream(dir / "mhad.toml", std::ios::app)
        << "coordination = \"etcd\"\netcd_endpoints = [\"http://127.0.0.1:23791\", \"http://127.0.0.1:23792\", "
           "\"http://127.0.0.1:23793\"]\ninstance_name = \"mha"
        << i << "\"\n";
    mhads.push_back(std::make_unique<Mhad>(o.mhad, dir));
    if (!mhads.back()->start()) return 1;
  }
  std::vector<bool> alive(mhads.size(), true);
  std::vector<long> took_ms;
  for (int r = 0; r < o.runs && !g_interrupted; ++r) {
    std::string active;
    const auto wait_from = std::chrono::steady_clock::now();
    while ((active = single_active(mhads, alive)).empty()) {
      if (std::chrono::steady_clock::now() - wait_from > 30s || g_interrupted) {
        std::fprintf(stderr, "takeover: no single active instance after 30 s\n");
        return 1;
      }
      std::this_thread::sleep_for(50ms);
    }
    const std::size_t victim = static_cast<std::size_t>(active.back() - '1');
    ::kill(mhads[victim]->pid(), SIGKILL);
    const auto killed = std::chrono::steady_clock::now();
    alive[victim] = false;
    std::string next;
    while ((next = single_active(mhads, alive)).empty()) {
      if (std::chrono::steady_clock::now() - killed > 30s || g_interrupted) {
        std::fprintf(stderr, "takeover: no standby took over within 30 s\n");
        return 1;
      }
      std::this_thread::sleep_for(20ms);
    }
    const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed).count();
    took_ms.push_back(ms);
    std::printf("run %2d: killed %s, %s active after %ld ms\n", r + 1, active.c_str(), next.c_str(), ms);
    std::fflush(stdout);
    mhads[victim]->stop();  // reaps the killed process
    if (!mhads[victim]->start()) return 1;
    alive[victim] = true;
  }
  if (took_ms.empty()) return 1;
  std::vector<long> sorted = took_ms;
  std::sort(sorted.begin(), sorted.end());
  std::printf("takeover (kill -9 of the active mhad -> a standby active), ping_interval %s, %zu runs: p50 %ld ms, "
              "max %ld ms (bound 2 x ping_interval)\n",
              o.ping_interval.c_str(), sorted.size(), sorted[(sorted.size() - 1) / 2], sorted.back());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options("takeover", argc, argv,
                     {int_option("--runs", o.runs, 1, 1000), text_option("--ping-interval", o.ping_interval),
                      text_option("--mhad", o.mhad), text_option("--sandbox-dir", o.sandbox_dir),
                      text_option("--dir", o.work_dir), flag_option("--keep-sandbox", o.keep_sandbox)},
                     k_usage))
    return 2;
  if (int rc = start_benchmark("takeover", o.work_dir); rc != 0) return rc;
  return run_bench(o);
}
