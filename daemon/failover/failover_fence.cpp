// Failover phase 2, fence: no replica can reconnect to the old master, the
// VIP is off it, the shutdown hook ran, a frozen mysqld is killed.
#include "daemon/failover/failover_run.h"
#include "daemon/failover/kill_command.h"

#include "common/gtid.h"
#include "common/units.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/operations/parallel.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/operations/vip_check.h"
#include "daemon/server_read.h"

#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace mha::failover_detail {

// --- phase 2 ---------------------------------------------------------------
bool FailoverRun::fence() {
  // A frozen mysqld is killed while the IO threads stop (both must be done
  // before anything is promoted; neither needs the other).
  const ServerConfig& old = server(m_dead);
  // Every change below starts only under the lease (coordination = "etcd").
  if (!under_lease("stopping the replicas' IO threads")) return false;
  std::optional<std::string> early_kill;
  std::thread killer;
  if (m_request.master_frozen && !m_env.shutdown && m_ssh_reachable && !m_request.master_pids.empty()) {
    auto kill_limit = under_lease("killing the frozen mysqld", m_env.kill_timeout + std::chrono::seconds(2));
    if (!kill_limit) return false;
    killer = std::thread([&, budget = *kill_limit] { early_kill = kill_frozen(old, budget); });
  }
  // Meanwhile the VIP's SSH logins to the new master's host (and the old
  // one's, when it answers): recover_master then moves the VIP in two
  // commands instead of two logins.
  if (m_env.vip && m_new && !m_vip_logins.joinable())
    m_vip_logins = std::thread([this, old_server = &old] {
      std::thread old_login;
      if (m_ssh_reachable) old_login = std::thread([this, old_server] { m_env.vip->prepare(*old_server); });
      m_env.vip->prepare(server(*m_new));
      if (old_login.joinable()) old_login.join();
    });
  // No replica may receive anything more from the old master, nor reconnect
  // to it when it comes back (end_io_thread). In parallel: one wait for
  // all, not one per replica.
  std::vector<Result<void>> stopped(m_alive.size(), Result<void>{});
  run_parallel(m_alive.size(), [&](std::size_t k) {
    const std::size_t i = m_alive[k];
    const std::string what = fmt::format("stopping the IO thread on '{}'", name(i));
    auto s = session(i);
    stopped[k] = s ? end_io_thread(**s, flavor(i), k_io_thread_exit_wait, k_io_thread_exit_poll, m_clock,
                                   [&](milliseconds wanted, std::string_view) {
                                     return m_env.lease.budget(wanted, m_clock.now(), what);
                                   })
                   : Result<void>(s.error());
  });
  if (killer.joinable()) killer.join();
  if (early_kill && early_kill->empty()) {
    m_killed = true;
    step(fmt::format("Killed the frozen mysqld on {} (pid {}).", address(old), fmt::join(m_request.master_pids, ", ")));
  }
  std::vector<std::size_t> kept;
  for (std::size_t k = 0; k < m_alive.size(); ++k) {
    const std::size_t i = m_alive[k];
    const auto& r = stopped[k];
    if (r) {
      kept.push_back(i);
      continue;
    }
    std::string what = fmt::format("cannot stop the IO thread on '{}': {}", name(i), r.error().message);
    if (r.error().code == Errc::not_active) return stop(FailoverResult::needs_operator, what + "; nothing was promoted");
    if (server(i).ignore_fail && i != *m_new) {
      note(what + " (ignore_fail: left out)");
      continue;
    }
    return stop(FailoverResult::failed, what + "; nothing was promoted");
  }
  m_alive = kept;
  step(fmt::format("Stopped the IO thread on {} replica{}.", m_alive.size(), m_alive.size() == 1 ? "" : "s"));

  bool vip_off = false;  // confirmed off the old master's host
  // Nothing can write through the VIP to a mysqld that is gone (or that is
  // killed below): the address moves in one step at promotion. With a
  // shutdown_script, MHA's order (VIP off, then power off) is kept.
  m_vip_release_deferred = m_env.vip && m_ssh_reachable && !m_env.shutdown &&
                           (m_request.master_process_gone || m_request.master_frozen);
  if (m_vip_release_deferred) {
    step(fmt::format("The VIP stays on {} until the new master takes writes (its mysqld is {}).", address(old),
                     m_request.master_frozen ? "killed below" : "gone"));
  } else if (m_env.vip) {
    // Within what is left of the lease, whatever the seam's own timeouts.
    auto limit = under_lease("taking the VIP off the old master", k_vip_no_limit);
    if (!limit) return false;
    VipOutcome v = m_env.vip->release(old, m_ssh_reachable, *limit);
    vip_off = v.ok && !v.warning;
    if (!v.ok && !v.warning)
      return stop(FailoverResult::failed,
                  fmt::format("cannot take the VIP off '{}': {}; nothing was promoted (clients may still reach "
                              "the old master: take it off by hand, then mhactl failover)",
                              old.name, v.detail));
    if (v.warning) note(fmt::format("VIP release on '{}' warned: {}", old.name, v.detail));
    step(fmt::format("Invalidated master IP address on {} ({}).", address(old), v.detail));
  } else {
    note("no VIP configured: clients must find the new master by themselves");
  }

  if (m_env.shutdown) {
    auto limit = under_lease("shutdown_script", kShutdownScriptTimeout);
    if (!limit) return false;
    ScriptResult s = m_env.shutdown(old, m_ssh_reachable, *limit);
    if (s.started && !s.timed_out && s.signal == 0 && s.exit_code == 0) {
      m_powered_off = true;
      m_ssh_reachable = false;  // MHA: powered off, its binlog cannot be read any more
      step(fmt::format("Power off {} done.", address(old)));
    } else if (s.started && !s.timed_out && s.signal == 0 && s.exit_code == 10) {
      m_killed = true;
      step(fmt::format("{}: SSH reachable. Shutting down mysqld done.", address(old)));
    } else {
      std::string why = !s.started  ? s.error
                        : s.timed_out ? "timed out"
                        : s.signal    ? fmt::format("killed by signal {}", s.signal)
                                      : fmt::format("exit {}", s.exit_code);
      return stop(FailoverResult::failed, fmt::format("shutdown_script failed on '{}': {}{}; nothing was promoted",
                                                      old.name, why, s.output.empty() ? "" : ": " + s.output));
    }
  }

  // A vanished host (dead_host) that nothing fenced may be alive behind a
  // partition: promoting makes two masters for the clients that reach it.
  if (!m_ssh_reachable && !m_powered_off && !vip_off) {
    const std::string risk = fmt::format(
        "'{}' was not fenced: its host did not answer SSH, {}, {}; if it is alive behind a partition, clients "
        "that still reach it write to it",
        old.name, m_env.shutdown ? "shutdown_script did not power it off" : "no shutdown_script is configured",
        m_env.vip ? "the VIP could not be confirmed off it" : "no VIP is configured");
    if (m_config.on_unfenced_master == DataLossPolicy::abort && !m_request.force)
      return stop(FailoverResult::needs_operator,
                  fmt::format("{}. on_unfenced_master = \"abort\": nothing was promoted; the replicas' IO threads "
                              "are stopped. Power it off or cut it off, then mhactl failover --force",
                              risk));
    note(risk + (m_request.force ? " (--force)" : " (on_unfenced_master = \"proceed\")"));
  }

  if (m_request.master_frozen && !m_powered_off && !m_killed) {
    if (!m_ssh_reachable)
      return stop(FailoverResult::needs_operator,
                  fmt::format("cannot fence the frozen master: '{}' does not answer SSH and may wake up — kill "
                              "it or power it off, then mhactl failover",
                              old.name));
    if (m_request.master_pids.empty())
      return stop(FailoverResult::needs_operator,
                  fmt::format("cannot fence the frozen master: no mysqld pid known on '{}' — kill it or power it "
                              "off, then mhactl failover",
                              old.name));
    std::string why;
    if (early_kill) {
      why = *early_kill;
    } else {
      auto limit = under_lease("killing the frozen mysqld", m_env.kill_timeout + std::chrono::seconds(2));
      if (!limit) return false;
      why = kill_frozen(old, *limit);
    }
    if (!why.empty())
      return stop(FailoverResult::needs_operator,
                  fmt::format("cannot fence the frozen master: {} — kill it or power it off, then mhactl failover",
                              why));
    step(fmt::format("Killed the frozen mysqld on {} (pid {}).", address(old), fmt::join(m_request.master_pids, ", ")));
  }
  return true;
}

// "" when every pid is gone, else why not. One remote command kills and
// waits (kill_command.h).
std::string FailoverRun::kill_frozen(const ServerConfig& old, milliseconds limit) {
  std::shared_ptr<RemoteShell> shell = master_shell();
  if (!shell) return fmt::format("no SSH session to '{}'", old.name);
  // mysqld runs as another user: a non-root ssh_user needs sudo (as for the VIP).
  const bool sudo = !old.ssh_user.empty() && old.ssh_user != "root";
  // The remote wait leaves the SSH round trip room within `limit`: 2 s of
  // it without a lease (as before), a quarter of a lease's budget with one.
  limit = std::min(limit, m_env.kill_timeout + std::chrono::seconds(2));
  const milliseconds wait =
      std::min(m_env.kill_timeout, limit - std::min<milliseconds>(std::chrono::seconds(2), limit / 4));
  auto r = shell->run(kill_and_wait_command(m_request.master_pids, sudo, wait), limit);
  if (!r) return fmt::format("kill -9 on '{}': {}", old.name, r.error().message);
  return kill_outcome(*r, old.name, wait);
}

}  // namespace mha::failover_detail
