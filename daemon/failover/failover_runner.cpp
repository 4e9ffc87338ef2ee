#include "daemon/failover/failover_runner.h"

#include <unistd.h>

#include <cstdlib>
#include <future>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "daemon/failover/binlog_salvage.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/failover/vip.h"

namespace mha {

FailoverRunner::FailoverRunner(EventLoop& loop, Seams seams, PersistPhase persist_phase)
    : m_loop(loop), m_seams(std::move(seams)), m_persist_phase(std::move(persist_phase)) {}

FailoverRunner::~FailoverRunner() { join_all(); }

void FailoverRunner::join_all() {
  for (auto& [name, thread] : m_threads)
    if (thread.joinable()) thread.join();
  m_threads.clear();
}

void FailoverRunner::start(const ClusterConfig& cluster, std::size_t dead_master, FailoverRequest request,
                           Progress progress, Done done) {
  if (running(cluster.name)) return;
  EventLoop& loop = m_loop;
  Seams seams = m_seams;
  PersistPhase persist = m_persist_phase;
  std::string name = cluster.name;
  m_threads[name] = std::thread([&loop, seams, persist, cluster, dead_master, request, progress, done, name, this] {
    // SSH to a host that may be dead: at most 3 s to connect (a dead host must
    // not cost the failover tens of seconds, as it did MHA in the field log).
    auto shell_for = [seams](const ServerConfig& server) {
      SshEndpoint endpoint{server.ssh_host, server.ssh_port, server.ssh_user, server.ssh_key,
                           std::min(server.ssh_connection_timeout, std::chrono::milliseconds(3000))};
      return seams.make_shell(endpoint);
    };
    std::unique_ptr<Vip> vip = make_vip(cluster, shell_for);
    FailoverEnv env;
    env.make_sql = seams.make_sql;
    env.make_shell = shell_for;
    env.vip = vip.get();
    env.salvage = [](RemoteShell& shell, const SalvageRequest& r) { return salvage_binlog(shell, r); };
    env.apply_salvaged = apply_salvaged;
    if (!cluster.shutdown_script.empty())
      env.shutdown = [cluster](const ServerConfig& dead, bool reachable) {
        return run_shutdown_script(cluster, dead, reachable);
      };
    env.progress = [&loop, progress](FailoverPhase phase, const std::string& event, const nlohmann::json& detail) {
      loop.post([progress, phase, event, detail] { progress(phase, event, detail); });
    };
    env.before_phase = [&loop, persist, name](FailoverPhase phase) {
      // Persisted on the loop (which owns the state) before the phase starts;
      // the failover waits for it.
      auto done_saving = std::make_shared<std::promise<bool>>();
      auto saved = done_saving->get_future();
      loop.post([persist, name, phase, done_saving] { done_saving->set_value(persist(name, phase)); });
      if (saved.wait_for(std::chrono::seconds(10)) != std::future_status::ready || !saved.get()) return false;
      // Test-only hook: die right after persisting this phase, as a crash would.
      if (const char* stop = std::getenv("MHAD_TEST_CRASH_AT_PHASE"); stop && phase_name(phase) == stop) {
        log_error({}, "MHAD_TEST_CRASH_AT_PHASE={}: exiting now", stop);
        ::_exit(9);
      }
      // Test-only hook: "PHASE:MS" waits MS before PHASE starts, so a test can
      // break something (kill a replica) in the middle of a failover.
      if (const char* pause = std::getenv("MHAD_TEST_PAUSE_AT_PHASE")) {
        std::string_view text(pause);
        if (auto colon = text.find(':'); colon != std::string_view::npos && text.substr(0, colon) == phase_name(phase)) {
          log_warning({}, "MHAD_TEST_PAUSE_AT_PHASE={}: waiting", pause);
          std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(pause + colon + 1)));
        }
      }
      return true;
    };
    auto report = std::make_shared<FailoverReport>();
    try {
      *report = run_failover(cluster, dead_master, request, env);
    } catch (const std::exception& e) {
      // Out of memory, no thread: stop where it is and let an operator look.
      report->cluster = cluster.name;
      report->old_master = cluster.servers[dead_master].name;
      report->result = FailoverResult::needs_operator;
      report->refusal = fmt::format("the failover stopped on an internal error ({}); check the servers (mhactl "
                                    "status), then mhactl failover --force",
                                    e.what());
    }
    loop.post([this, report, done, name] {
      if (auto it = m_threads.find(name); it != m_threads.end()) {
        it->second.join();  // it has finished: only the post remained
        m_threads.erase(it);
      }
      done(*report);
    });
  });
}

}  // namespace mha
