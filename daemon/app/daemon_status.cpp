// What `mhactl status` shows beyond each monitor's own view: the operation
// running or parked, the last failover and operation, awaiting rejoin,
// maintenance, failover readiness and the verdict history.
#include "daemon/app/daemon_app.h"

#include <unistd.h>

#include "common/version.h"
#include "daemon/failover/candidate.h"

namespace mha {

using nlohmann::json;

void DaemonApp::add_operation_status(const std::string& cluster, nlohmann::json& out) const {
  const std::string running = m_operations ? m_operations->running_operation(cluster) : "";
  out["failover_running"] = running == "failover";
  out["operation_running"] = running.empty() ? json(nullptr) : json(running);
  auto parked = m_parked.find(cluster);
  auto it = m_states.find(cluster);
  const bool stopped = it != m_states.end() && it->second.state.operation == "failover_stopped";
  out["needs_operator"] =
      parked == m_parked.end()
          ? json(nullptr)
          : json(fmt::format("a failover {} in phase '{}'; check the servers, then mhactl failover --force",
                             stopped ? "stopped (see the last failover report)" : "was interrupted (mhad stopped)",
                             parked->second));
  if (it == m_states.end()) return;
  const auto& state = it->second.state;
  if (!state.failovers.empty()) {
    const auto& f = state.failovers.back();
    json last{{"finished_at", f.finished_at}, {"old_master", f.old_master}, {"new_master", f.new_master},
              {"result", f.result}, {"duration_ms", f.duration_ms}};
    for (const char* key : {"lost_writes_risk", "failed_replicas", "refusal"})
      if (f.detail.is_object() && f.detail.contains(key)) last[key] = f.detail[key];
    out["last_failover"] = last;
  } else {
    out["last_failover"] = nullptr;
  }
  out["awaiting_rejoin"] = state.awaiting_rejoin;
  out["maintenance"] = state.maintenance ? json{{"since", state.maintenance->since}, {"by", state.maintenance->by},
                                                {"reason", state.maintenance->reason}}
                                         : json(nullptr);
  if (!state.operations.empty()) {
    const auto& o = state.operations.back();
    out["last_operation"] = json{{"operation", o.detail.value("operation", "")}, {"finished_at", o.finished_at},
                                 {"old_master", o.old_master}, {"new_master", o.new_master}, {"result", o.result},
                                 {"duration_ms", o.duration_ms}};
  } else {
    out["last_operation"] = nullptr;
  }
}

nlohmann::json DaemonApp::readiness_json_for(const std::string& cluster, const ClusterMonitor& monitor) const {
  FailoverGuards guards;
  guards.now = std::chrono::system_clock::now();
  if (auto it = m_states.find(cluster); it != m_states.end()) guards.last_failover = last_completed_failover(it->second.state);
  std::size_t master = monitor.master().value_or(static_cast<std::size_t>(-1));
  ClusterConfig config = failover_config(cluster, monitor.config());
  Readiness readiness = assess_failover(config, monitor.observations(), master, guards);
  if (auto parked = m_parked.find(cluster); parked != m_parked.end())
    readiness.blockers.push_back(fmt::format("an earlier failover stopped in phase '{}': an operator must look first "
                                             "(mhactl failover --force resumes)",
                                             parked->second));
  return readiness_json(config, readiness);
}

nlohmann::json DaemonApp::history_json(const std::string& cluster) const {
  json history = json::array();
  auto it = m_states.find(cluster);
  if (it == m_states.end()) return history;
  const auto& verdicts = it->second.state.verdicts;
  // Newest first, the last 10: the full bounded history is in the state file.
  std::size_t shown = 0;
  for (auto v = verdicts.rbegin(); v != verdicts.rend() && shown < 10; ++v, ++shown)
    history.push_back(json{{"at", v->at}, {"server", v->server}, {"verdict", v->verdict},
                           {"detection_ms", v->detection_ms}, {"evidence", v->evidence}});
  return history;
}

nlohmann::json DaemonApp::cluster_status(const std::string& cluster, const ClusterMonitor& monitor,
                                         MonoTime now) const {
  json out = monitor.status(now);
  out["history"] = history_json(cluster);
  out["failover_readiness"] = readiness_json_for(cluster, monitor);
  add_operation_status(cluster, out);
  // Only with coordination = "etcd": with "none" the status stays as it was.
  if (m_coordinator) {
    json coordination = m_coordinator->status_json(cluster);
    coordination["role"] = leader_role_name(acting(cluster) ? LeaderRole::active : LeaderRole::standby);
    out["coordination"] = coordination;
  }
  return out;
}

nlohmann::json DaemonApp::clusters_status() const {
  const MonoTime now = m_loop.now();
  json clusters = json::array();
  for (const auto& [name, monitor] : m_monitors) clusters.push_back(cluster_status(name, *monitor, now));
  return clusters;
}

void DaemonApp::cmd_status(const protocol::Request& request, const Peer&, std::shared_ptr<Responder> out) {
  MonoTime now = m_loop.now();
  json clusters = json::array();
  if (!request.cluster.empty()) {
    auto it = m_monitors.find(request.cluster);
    if (it == m_monitors.end()) {
      std::string known;
      for (const auto& [name, monitor] : m_monitors) known += (known.empty() ? "" : ", ") + name;
      out->fail(make_error(Errc::unknown_cluster, "no cluster named '{}'; configured clusters: {}",
                           request.cluster, known.empty() ? "(none)" : known));
      return;
    }
    clusters.push_back(cluster_status(request.cluster, *it->second, now));
  } else {
    clusters = clusters_status();
  }
  json daemon{{"version", k_mhad_version},
              {"pid", static_cast<long>(::getpid())},
              {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - m_started).count()},
              {"config", m_config_path.string()}};
  out->ok(json{{"daemon", daemon}, {"clusters", clusters}});
}

}  // namespace mha
