// Failover phases 4 and 5: every other replica follows the new master, the
// VIP is verified from the clients' side.
#include "daemon/failover/failover_run.h"

#include "common/gtid.h"
#include "common/units.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/operations/parallel.h"
#include "daemon/operations/replication_steps.h"
#include "daemon/operations/vip_check.h"
#include "daemon/server_read.h"

#include <mutex>
#include <set>
#include <thread>

namespace mha::failover_detail {

bool FailoverRun::recover_replicas() {
  std::vector<std::size_t> others;
  for (std::size_t i : m_alive)
    if (i != *m_new) others.push_back(i);
  std::vector<Outcome> outcomes(others.size());
  run_parallel(others.size(), [&](std::size_t k) { outcomes[k] = Outcome{others[k], recover_replica(others[k])}; });

  for (const Outcome& o : outcomes) {
    if (o.error.empty()) {
      m_report.recovered_replicas.push_back(name(o.server));
      step(fmt::format("{}: OK: Slave started, replicating from {}.", address(server(o.server)),
                       address(server(*m_new))));
    } else if (server(o.server).ignore_fail) {
      note(fmt::format("'{}' not recovered (ignore_fail): {}", name(o.server), o.error));
    } else {
      m_report.failed_replicas.push_back(fmt::format("{}: {}", name(o.server), o.error));
      note(fmt::format("{}: ERROR: {}", address(server(o.server)), o.error));
    }
  }
  note(fmt::format("old master '{}' was not repointed (it is dead): mhactl rejoin {} when it is back{}", name(m_dead),
                   name(m_dead), m_config.auto_rejoin ? " (auto_rejoin is on: mhad does it when it comes back clean)" : ""));
  m_phase_detail = fmt::format("{} recovered, {} failed", m_report.recovered_replicas.size(),
                               m_report.failed_replicas.size());
  return true;
}

// Runs on its own thread: touches only m_sessions[i] and reads shared
// state that no other thread writes during this phase.
std::string FailoverRun::recover_replica(std::size_t i) {
  auto s = session(i);
  if (!s) return s.error().message;
  // Under the lease: the repoint starts only while it is surely held and
  // waits for the threads no later than that; the wait for the new
  // master's GTIDs runs in lease slices after it.
  auto budget = m_env.lease.budget(m_env.replica_timeout, m_clock.now(), fmt::format("repointing '{}'", name(i)));
  if (!budget) return budget.error().message;
  const RepointTimeouts timeouts{*budget, m_env.poll_interval};
  const bool sliced = m_env.lease.bounded();
  if (auto r = repoint(**s, flavor(i), source_for(i, *m_new), sliced ? std::string() : m_new_master_gtids, timeouts,
                       m_clock);
      !r)
    return r.error().message;
  if (sliced)
    if (auto r = wait_gtids_under_lease(i, m_new_master_gtids, m_env.replica_timeout); !r)
      return r.error().with_context("waiting for the new master's GTIDs").message;
  return "";
}

// --- phase 5 ---------------------------------------------------------------
bool FailoverRun::finish() {
  if (m_env.vip && !m_vip_failed) verify_vip();
  m_report.result = m_report.failed_replicas.empty() && !m_vip_failed ? FailoverResult::completed
                                                                      : FailoverResult::completed_with_errors;
  if (m_report.lost_writes_risk.empty()) m_report.lost_writes_risk = "none known";
  m_phase_detail = std::string(failover_result_name(m_report.result));
  return true;
}

// The failover is complete only when clients reach the new master.
void FailoverRun::verify_vip() {
  if (vip_host(m_config).empty()) {
    note("VIP not verified: no [vip] address in the configuration");
    return;
  }
  const VipCheckSettings settings{m_env.vip_verify_timeout, m_env.poll_interval * 2};
  auto ok = mha::verify_vip(m_config, server(*m_new), m_obs[*m_new].server_id, m_env.make_sql, settings, m_clock);
  if (ok) {
    step(*ok);
    return;
  }
  m_vip_failed = true;
  note("VIP check failed: " + ok.error().message);
}

}  // namespace mha::failover_detail
