// coordination = "etcd" in the daemon: which changing steps this instance
// may take (only for the clusters it is active for, with the lease surely
// held and the state the last holder left adopted), the operation state
// written to etcd under the fencing token, eligibility (an instance that
// sees none of a cluster's servers gives its leadership up), and taking
// over: adopting the last holder's state, finishing a failover it left after
// its promotion or parking an operation it left elsewhere (the rule is in
// daemon/failover/failover_resume.h), and failing over a master that died
// while nobody was acting.
//
// Changing commands sent to a standby are refused with Errc::not_active
// naming the active instance rather than forwarded: forwarding would need
// every instance to reach every other's control socket and to pass the
// caller's identity on; a refusal is simpler and never acts twice.
#include <algorithm>

#include "common/log.h"
#include "daemon/app/daemon_app.h"
#include "daemon/coordination/etcd_client.h"

namespace mha {

using nlohmann::json;
using namespace std::chrono_literals;

void DaemonApp::start_coordination() {
  if (m_config.daemon.coordination != Coordination::etcd) return;
  // One lease for the instance, so one timing: the smallest ping_interval
  // of its clusters (takeover within 2 × that for every cluster).
  Duration ping = 3s;
  if (!m_config.clusters.empty())
    ping = std::min_element(m_config.clusters.begin(), m_config.clusters.end(), [](const auto& a, const auto& b) {
             return a.ping_interval < b.ping_interval;
           })->ping_interval;
  const LeadershipTiming timing = leadership_timing(ping);
  if (ping < 2s)
    log_warning({{"EVENT", "coordination_timing"}},
                "ping_interval {} ms: etcd's smallest lease TTL (2 s with its default election timeout) makes a "
                "takeover take longer than 2 x ping_interval",
                ping.count());
  auto make = m_make_etcd ? m_make_etcd : [options = etcd_client_options(m_config.daemon)]() -> std::unique_ptr<Etcd> {
    return std::make_unique<EtcdClient>(options);
  };
  m_coordinator = std::make_unique<Coordinator>(m_config.daemon, timing, make,
                                                [this] { m_loop.post([this] { on_coordination_change(); }); });
  std::vector<std::string> names;
  for (const auto& c : m_config.clusters) names.push_back(c.name);
  m_coordinator->start(names);
  log_notice({{"EVENT", "coordination_started"}},
             "coordination on etcd as '{}' (prefix '{}', lease TTL {} s, renewed every {} ms): acting only for the "
             "clusters this instance leads",
             m_config.daemon.instance_name, m_config.daemon.etcd_prefix, timing.ttl.count(), timing.renew.count());
}

bool DaemonApp::acting(const std::string& cluster) const {
  if (!m_coordinator) return true;
  if (!m_coordinator->may_act(cluster, m_loop.now())) return false;
  auto it = m_adopted.find(cluster);
  return it != m_adopted.end() && it->second == m_coordinator->leadership().view(cluster).token;
}

std::optional<Error> DaemonApp::standby_refusal(const std::string& cluster, const std::string& command) const {
  if (acting(cluster)) return std::nullopt;
  return m_coordinator->not_active_error(cluster, command);
}

void DaemonApp::update_eligibility() {
  if (!m_coordinator) return;
  for (const auto& [name, monitor] : m_monitors) {
    // Blind: every server checked and none answered. Before the first
    // checks nothing is known, which is not "seen" either.
    bool any_answer = false;
    for (const auto& obs : monitor->observations()) any_answer = any_answer || (obs.checked && obs.reachable);
    m_coordinator->leadership().set_eligible(name, any_answer);
    // Only the active instance may write (the INSERT ping's heartbeat row).
    monitor->set_writes_allowed(acting(name));
  }
}

// Why this instance cannot take part (etcd refuses the user, no quorum, a
// lease not renewed) is in status all along; the log gets it when it
// appears, when it is gone, and at most every 30 s while its text keeps
// changing (a timeout's milliseconds), not at every poll.
void DaemonApp::log_coordination_problem(const std::string& cluster, const std::string& problem) {
  auto& logged = m_coordination_problems[cluster];
  if (problem == logged.text) return;
  const MonoTime now = m_loop.now();
  LogFields fields{{"CLUSTER", cluster}, {"EVENT", "coordination_problem"}};
  if (problem.empty()) {
    log_notice(fields, "coordination of '{}' on etcd works again (it was: {})", cluster, logged.text);
  } else if (logged.text.empty() || now - logged.at >= std::chrono::seconds(30)) {
    log_warning(fields, "coordination of '{}' on etcd: {}", cluster, problem);
  } else {
    return;  // logged lately: keep the old text, so the next change is compared with what was logged
  }
  logged = LoggedProblem{problem, now};
}

void DaemonApp::on_coordination_change() {
  if (!m_coordinator) return;
  for (const auto& [name, monitor] : m_monitors) {
    const LeadershipView view = m_coordinator->leadership().view(name);
    log_coordination_problem(name, view.problem);
    monitor->set_writes_allowed(false);  // again below once acting is confirmed
    if (view.role != LeaderRole::active || view.token == 0) {
      m_acting_seen.erase(name);
      if (m_adopted.erase(name))
        log_warning({{"CLUSTER", name}, {"EVENT", "standby"}}, "no longer the active instance for '{}'{}", name,
                    view.problem.empty() ? "" : ": " + view.problem);
      continue;
    }
    if (auto it = m_adopted.find(name); it == m_adopted.end() || it->second != view.token) {
      if (auto text = m_coordinator->leadership().take_adopted_state(name); text && !text->empty())
        adopt_state(name, *text);
      m_adopted[name] = view.token;
      // etcd gets our view at once (the fenced set, maintenance, history).
      if (!write_state_to_etcd(name)) continue;
      log_notice({{"CLUSTER", name}, {"EVENT", "active"}}, "this instance ('{}') acts for '{}' from now on",
                 m_coordinator->instance(), name);
    }
    // Acting again (won, or the lease surely held again after etcd came
    // back): a master that died while nobody could act has its verdict
    // already, and no new verdict will come to start the failover.
    const bool now_acting = acting(name);
    monitor->set_writes_allowed(now_acting);
    if (!now_acting) {
      m_acting_seen.erase(name);
      continue;
    }
    if (!m_acting_seen.insert(name).second) continue;
    if (m_resume.count(name)) {
      resume_failover(name);
      continue;
    }
    if (monitor->verdict() == Verdict::dead || monitor->verdict() == Verdict::dead_host)
      if (auto refused = start_failover(name, false, false, "", nullptr))
        log_warning({{"CLUSTER", name}, {"EVENT", "failover_not_started"}}, "no automatic failover: {}",
                    refused->message);
  }
}

void DaemonApp::adopt_state(const std::string& cluster, const std::string& text) {
  auto doc = json::parse(text, nullptr, false);
  auto from = doc.is_discarded() ? Result<ClusterState>(make_error(Errc::parse, "not JSON"))
                                 : ClusterState::from_json(doc);
  if (!from) {
    // Cannot tell what the last holder was doing: an operator must look.
    m_parked[cluster] = "unknown";
    log_error({{"CLUSTER", cluster}, {"EVENT", "needs_operator"}},
              "the state of '{}' in etcd cannot be read ({}): no automatic failover until an operator looks", cluster,
              from.error().message);
    return;
  }
  auto& mine = m_states[cluster].state;
  // The last holder's account of what was done wins over ours: we were
  // only watching. Our verdict history stays (it is what we saw).
  mine.cluster = cluster;
  if (!from->master.empty()) mine.master = from->master;
  mine.failovers = from->failovers;
  mine.operations = from->operations;
  mine.awaiting_rejoin = from->awaiting_rejoin;
  mine.maintenance = from->maintenance;
  mine.operation = from->operation;
  mine.phase = from->phase;
  mine.operation_new_master = from->operation_new_master;
  if (auto it = m_monitors.find(cluster); it != m_monitors.end()) it->second->set_fenced(mine.awaiting_rejoin);
  m_resume.erase(cluster);
  // The takeover rule (failover_resume.h): before the fence nothing was
  // changed; after the promotion, with the new master and the fenced old
  // master known, what is left can be repeated; elsewhere, park.
  if (mine.operation == "failover" && mine.phase == phase_name(FailoverPhase::check)) {
    log_warning({{"CLUSTER", cluster}, {"EVENT", "takeover"}, {"PHASE", mine.phase}},
                "taking over '{}': the last active instance left a failover before its fence, nothing was changed: "
                "this instance fails over by itself if the master is dead",
                cluster);
    mine.operation.clear();
    mine.phase.clear();
  } else if (mine.operation == "failover" && !mine.operation_new_master.empty() && !mine.master.empty() &&
             mine.awaiting_rejoin.count(mine.master) &&
             (mine.phase == phase_name(FailoverPhase::recover_replicas) ||
              mine.phase == phase_name(FailoverPhase::finish))) {
    m_resume[cluster] = Resume{mine.phase == phase_name(FailoverPhase::finish) ? FailoverPhase::finish
                                                                               : FailoverPhase::recover_replicas,
                               mine.operation_new_master};
    log_warning({{"CLUSTER", cluster}, {"EVENT", "takeover"}, {"PHASE", mine.phase}},
                "taking over '{}': the last active instance promoted '{}' and stopped before phase '{}': this "
                "instance finishes it once a fresh look at the servers confirms the promotion",
                cluster, mine.operation_new_master, mine.phase);
  }
  if (!mine.operation.empty() && !m_resume.count(cluster)) {
    m_parked[cluster] = mine.phase;
    log_error({{"CLUSTER", cluster}, {"EVENT", "needs_operator"}, {"PHASE", mine.phase}},
              "taking over '{}': the last active instance left a {} in phase '{}': no automatic failover until an "
              "operator checks the servers (mhactl status, mhactl check) and runs mhactl failover --force",
              cluster, mine.operation, mine.phase);
  }
  persist(cluster);
}

bool DaemonApp::write_state_to_etcd(const std::string& cluster) {
  if (!m_coordinator) return true;
  // The verdicts are this instance's own observations: not shared.
  ClusterState shared = m_states[cluster].state;
  shared.verdicts.clear();
  shared.cluster = cluster;
  auto r = m_coordinator->write_state(cluster, shared.to_json().dump(), m_loop.now());
  if (!r) {
    log_error({{"CLUSTER", cluster}, {"EVENT", "state_not_shared"}}, "{}; not acting for '{}'", r.error().message,
              cluster);
    m_adopted.erase(cluster);
    return false;
  }
  return true;
}

void DaemonApp::resume_failover(const std::string& cluster) {
  auto found = m_resume.find(cluster);
  if (found == m_resume.end()) return;
  const Resume resume = found->second;
  m_resume.erase(found);
  auto it = m_monitors.find(cluster);
  if (it == m_monitors.end()) return;
  ClusterMonitor& monitor = *it->second;
  const ClusterConfig& config = monitor.config();
  auto& state = m_states[cluster].state;
  std::optional<std::size_t> old;
  for (std::size_t i = 0; i < config.servers.size(); ++i)
    if (config.servers[i].name == state.master) old = i;
  auto park = [&](const std::string& why) {
    m_parked[cluster] = state.phase;
    log_error({{"CLUSTER", cluster}, {"EVENT", "needs_operator"}, {"PHASE", state.phase}},
              "taking over '{}': the failover left in phase '{}' is not resumed ({}): no automatic failover until an "
              "operator checks the servers (mhactl status, mhactl check) and runs mhactl failover --force",
              cluster, state.phase, why);
  };
  if (!old) return park(fmt::format("the old master '{}' is not in the configuration", state.master));
  if (state.maintenance) return park("the cluster is in maintenance");
  if (m_operations->running(cluster)) return park("an operation is running");
  if (m_stop_requested) return park("mhad is stopping");
  FailoverRequest request;
  request.resume_from = resume.phase;
  request.resume_new_master = resume.new_master;
  request.evidence = "resumed after a takeover";
  request.master_last_seen = monitor.observations()[*old];
  monitor.set_failover_running(true);
  log_notice({{"CLUSTER", cluster}, {"EVENT", "failover_resume"}, {"OLD_MASTER", state.master},
              {"NEW_MASTER", resume.new_master}, {"PHASE", state.phase}},
             "failover of '{}' resuming in phase '{}' after a takeover: '{}' -> '{}'", cluster, state.phase,
             state.master, resume.new_master);
  start_failover_operation(*m_operations, m_seams, failover_config(cluster, config), *old, request,
                           failover_callbacks(cluster, state.master, nullptr, config));
}

}  // namespace mha
