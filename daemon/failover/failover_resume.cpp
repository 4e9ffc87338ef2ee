// Resuming a failover after a takeover: the rule is in failover_resume.h.
#include "daemon/failover/failover_resume.h"

#include "daemon/failover/failover_run.h"
#include "daemon/operations/replication_steps.h"

namespace mha {

std::string resume_blocker(const ClusterConfig& config, const std::vector<ServerObservation>& obs,
                           std::size_t dead, std::size_t n) {
  if (n >= config.servers.size() || n >= obs.size() || n == dead)
    return "the new master named in the state is not a live server of the cluster";
  const std::string& name = config.servers[n].name;
  const ServerObservation& m = obs[n];
  if (!m.reachable)
    return fmt::format("the new master '{}' does not answer ({})", name,
                       m.error ? m.error->message : "no answer");
  if (m.read_only != std::optional<bool>(false))
    return fmt::format("the new master '{}' is not writable: the promotion may not have finished", name);
  if (m.replica && (m.replica->io_running != ReplicaStatus::ThreadState::no || m.replica->sql_running))
    return fmt::format("the new master '{}' still replicates from {}:{}", name, m.replica->master_host,
                       m.replica->master_port);
  for (std::size_t i = 0; i < config.servers.size() && i < obs.size(); ++i)
    if (i != n && obs[i].reachable && obs[i].read_only != std::optional<bool>(true))
      return fmt::format("'{}' is writable too{}: two servers take writes", config.servers[i].name,
                         i == dead ? " (the old master)" : "");
  return "";
}

}  // namespace mha

namespace mha::failover_detail {

bool FailoverRun::resume_check() {
  std::optional<std::size_t> n;
  for (std::size_t i = 0; i < m_config.servers.size(); ++i)
    if (name(i) == m_request.resume_new_master) n = i;
  const std::string advice =
      "; nothing was changed by this instance: check the servers (mhactl status, mhactl check), then point the "
      "replicas at the new master by hand or run mhactl failover --force";
  if (m_dead >= m_config.servers.size() || !n)
    return stop(FailoverResult::needs_operator,
                fmt::format("cannot resume: '{}' is not a server of '{}'{}", m_request.resume_new_master,
                            m_config.name, advice));
  step(fmt::format("Resuming the failover of {} to {} left by the last active instance before phase {}.",
                   address(server(m_dead)), address(server(*n)), phase_name(*m_request.resume_from)));
  m_obs.assign(m_config.servers.size(), ServerObservation{});
  if (m_request.master_last_seen) m_obs[m_dead] = *m_request.master_last_seen;
  std::vector<std::size_t> all(m_config.servers.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  read_servers(all, true);
  if (const std::string why = resume_blocker(m_config, m_obs, m_dead, *n); !why.empty())
    return stop(FailoverResult::needs_operator, "cannot resume: " + why + advice);
  m_new = m_latest = *n;
  m_rule = "resumed after a takeover";
  m_alive.clear();
  for (std::size_t i = 0; i < m_config.servers.size(); ++i)
    if (i != m_dead && m_obs[i].reachable && m_obs[i].flavor) m_alive.push_back(i);
    else if (i != m_dead) note(fmt::format("'{}' does not answer: not repointed", name(i)));
  if (auto s = session(*n)) {
    auto rows = (*s)->query(flavor(*n).gtid_executed_sql());
    if (rows && !rows->rows.empty()) m_new_master_gtids = rows->rows[0][0].value_or("");
  }
  if (m_new_master_gtids.empty())
    note(fmt::format("cannot read the GTIDs of '{}': replicas will not be waited for", name(*n)));
  step(fmt::format("{} is writable and the only server taking writes.", address(server(*n))));
  return true;
}

}  // namespace mha::failover_detail
