#include "daemon/daemon_app.h"

#include <grp.h>
#include <pwd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>

#include "common/log.h"
#include "common/message_ids.h"
#include "common/version.h"
#include "daemon/checks/check_runner.h"
#include "daemon/failover/candidate.h"

namespace mha {

using namespace std::chrono_literals;
using nlohmann::json;

DaemonApp::DaemonApp(std::filesystem::path config_path, Config config, Seams seams)
    : m_config_path(std::move(config_path)), m_config(std::move(config)), m_seams(std::move(seams)) {}

DaemonApp::~DaemonApp() = default;

int DaemonApp::run() {
  m_started = m_loop.now();
  // Signals are blocked before the pool starts, so no worker ever takes them.
  if (auto r = m_loop.init({SIGTERM, SIGINT, SIGHUP}); !r) {
    log_error({}, "{}", r.error().message);
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  m_pool = std::make_unique<WorkerPool>(static_cast<std::size_t>(m_config.daemon.worker_threads));

  ControlServerOptions options;
  options.path = m_config.daemon.socket;
  options.group = m_config.daemon.admin_group;
  m_server = std::make_unique<ControlServer>(m_loop, options);
  if (auto r = m_server->start(); !r) {
    log_error({}, "{}", r.error().message);
    return 1;
  }
  m_server->add_command("status", [this](auto& rq, auto& peer, auto out) { cmd_status(rq, peer, out); });
  m_server->add_command("reload", [this](auto& rq, auto& peer, auto out) { cmd_reload(rq, peer, out); });
  m_server->add_command("check", [this](auto& rq, auto& peer, auto out) { cmd_check(rq, peer, out); });
  m_server->add_command("version", [this](auto& rq, auto& peer, auto out) { cmd_version(rq, peer, out); });
  m_server->add_command("stats", [this](auto&, auto&, auto out) {
    out->ok(json{{"check_delay", m_delays.summary()}, {"checks", m_delays.count()},
                 {"queued_jobs", m_pool->queued()}, {"clusters", m_monitors.size()}});
  });

  m_store = std::make_unique<StateStore>(m_config.daemon.state_dir);
  if (auto r = m_store->ensure_dir(); !r)
    log_error({}, "state directory: {}; verdicts and failovers will not survive a restart", r.error().message);
  load_states();

  m_loop.on_signal(SIGTERM, [this] { m_loop.stop(); });
  m_loop.on_signal(SIGINT, [this] { m_loop.stop(); });
  m_loop.on_signal(SIGHUP, [this] { (void)reload("SIGHUP"); });

  start_monitors();
  log_notice({}, "mhad {} started: {} cluster(s), control socket '{}'", k_mhad_version,
             m_config.clusters.size(), m_config.daemon.socket);
  sd_notify(0, "READY=1");
  notify_status();

  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0)
    schedule_watchdog(std::chrono::microseconds(watchdog_usec / 2));
  // STATUS= follows the clusters' health; refresh it once a second.
  std::function<void()> status_tick = [this, &status_tick] {
    notify_status();
    m_loop.after(1s, status_tick);
  };
  m_loop.after(1s, status_tick);

  m_loop.run();

  sd_notify(0, "STOPPING=1");
  log_notice({}, "stopping");
  for (auto& [name, monitor] : m_monitors) monitor->stop();
  // Monitoring jobs only read; one stuck on a dead host's connect timeout is
  // abandoned rather than holding up the stop beyond 1.5 s.
  bool all_stopped = m_pool->shutdown(1500ms);
  // Queued saves were dropped with the pool: write every state once more.
  for (auto& [name, entry] : m_states)
    if (auto r = m_store->save(entry.state); !r) log_error({{"CLUSTER", name}}, "{}", r.error().message);
  if (!all_stopped) {
    log_notice({}, "a check is still waiting on a server; exiting without it");
    m_server.reset();  // removes the socket file
    std::fflush(stderr);
    _exit(0);
  }
  m_monitors.clear();
  m_server.reset();
  return 0;
}

void DaemonApp::start_monitors() {
  for (const auto& cluster : m_config.clusters) {
    auto monitor = std::make_shared<ClusterMonitor>(m_loop, *m_pool, m_seams, cluster, &m_delays);
    std::string name = cluster.name;
    monitor->on_verdict = [this, name](const VerdictEvent& event) { on_verdict(name, event); };
    if (auto it = m_states.find(name); it != m_states.end() && !it->second.state.master.empty())
      monitor->restore_master(it->second.state.master);
    monitor->start();
    m_monitors[cluster.name] = monitor;
  }
}

void DaemonApp::load_states() {
  for (const auto& cluster : m_config.clusters) {
    if (m_states.count(cluster.name)) continue;  // kept across reloads
    auto loaded = m_store->load(cluster.name);
    if (!loaded) {
      log_error({{"CLUSTER", cluster.name}, {"EVENT", "state_corrupt"},
                 {"MESSAGE_ID", std::string(k_message_state_corrupt)}},
                "{}", loaded.error().message);
      ClusterState fresh;
      fresh.cluster = cluster.name;
      m_states[cluster.name].state = std::move(fresh);
      continue;
    }
    m_states[cluster.name].state = std::move(*loaded);
  }
}

void DaemonApp::on_verdict(const std::string& cluster, const VerdictEvent& event) {
  auto& entry = m_states[cluster];
  entry.state.cluster = cluster;
  VerdictRecord record;
  record.at = format_wall_time(event.at);
  record.server = event.server;
  record.verdict = std::string(verdict_name(event.verdict));
  record.evidence = event.evidence;
  record.detection_ms = event.detection.count();
  entry.state.add_verdict(std::move(record));
  entry.state.master = event.server;
  persist(cluster);
}

void DaemonApp::persist(const std::string& cluster) {
  auto& entry = m_states[cluster];
  if (entry.saving) {
    entry.dirty = true;
    return;
  }
  entry.saving = true;
  entry.dirty = false;
  auto snapshot = std::make_shared<ClusterState>(entry.state);
  StateStore* store = m_store.get();
  EventLoop& loop = m_loop;
  m_pool->submit([this, store, snapshot, cluster, &loop] {
    auto saved = store->save(*snapshot);
    auto error = saved ? std::string() : saved.error().message;
    loop.post([this, cluster, error] {
      auto& e = m_states[cluster];
      e.saving = false;
      if (!error.empty()) log_error({{"CLUSTER", cluster}, {"EVENT", "state_save_failed"}}, "{}, will retry on the next change", error);
      if (e.dirty) persist(cluster);
    });
  });
}

nlohmann::json DaemonApp::readiness_json_for(const std::string& cluster, const ClusterMonitor& monitor) const {
  FailoverGuards guards;
  guards.now = std::chrono::system_clock::now();
  if (auto it = m_states.find(cluster); it != m_states.end() && !it->second.state.failovers.empty())
    guards.last_failover = parse_wall_time(it->second.state.failovers.back().finished_at);
  std::size_t master = monitor.master().value_or(static_cast<std::size_t>(-1));
  return readiness_json(monitor.config(), assess_failover(monitor.config(), monitor.observations(), master, guards));
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

Result<std::size_t> DaemonApp::reload(std::string_view why) {
  sd_notify(0, "RELOADING=1");
  log_notice({}, "reloading configuration from '{}' ({})", m_config_path.string(), why);
  ConfigLoad load = load_config(m_config_path);
  for (const auto& warning : load.warnings) log_warning({}, "{}", warning);
  if (!load.config) {
    std::string text;
    for (const auto& error : load.errors) {
      log_error({{"EVENT", "config_refused"}, {"MESSAGE_ID", std::string(k_message_config_refused)}}, "{}", error);
      text += (text.empty() ? "" : "\n") + error;
    }
    log_error({{"EVENT", "config_refused"}}, "new configuration refused ({} error(s)); the old one stays live",
              load.errors.size());
    sd_notify(0, "READY=1");
    return Error{Errc::config, text};
  }
  Config next = std::move(*load.config);
  if (next.daemon.socket != m_config.daemon.socket || next.daemon.worker_threads != m_config.daemon.worker_threads)
    log_warning({}, "[daemon] socket and worker_threads take effect at the next restart, ignoring the change");
  next.daemon.socket = m_config.daemon.socket;
  next.daemon.worker_threads = m_config.daemon.worker_threads;
  log_set_level(next.daemon.log_level);
  for (auto& [name, monitor] : m_monitors) monitor->stop();
  m_monitors.clear();
  m_config = std::move(next);
  load_states();
  start_monitors();
  log_notice({{"EVENT", "config_reloaded"}, {"MESSAGE_ID", std::string(k_message_config_reloaded)}}, "configuration reloaded: {} cluster(s)", m_config.clusters.size());
  sd_notify(0, "READY=1");
  notify_status();
  return m_config.clusters.size();
}

void DaemonApp::notify_status() {
  std::string text = fmt::format("{} cluster(s)", m_monitors.size());
  std::size_t healthy = 0;
  std::string trouble;
  for (const auto& [name, monitor] : m_monitors) {
    auto health = monitor->health();
    if (health == ClusterHealth::ok)
      ++healthy;
    else
      trouble += fmt::format("{}{} {}", trouble.empty() ? "" : ", ", name, cluster_health_name(health));
  }
  text += fmt::format(": {} ok", healthy);
  if (!trouble.empty()) text += "; " + trouble;
  if (text == m_last_status) return;
  m_last_status = text;
  sd_notify(0, ("STATUS=" + text).c_str());
}

void DaemonApp::schedule_watchdog(std::chrono::microseconds interval) {
  // Sent from the loop itself: a stuck loop stops the pings and systemd restarts us.
  sd_notify(0, "WATCHDOG=1");
  m_loop.after(std::chrono::duration_cast<std::chrono::milliseconds>(interval),
               [this, interval] { schedule_watchdog(interval); });
}

bool DaemonApp::may_change(const Peer& peer) const {
  if (peer.uid == 0) return true;
  const group* gr = ::getgrnam(m_config.daemon.admin_group.c_str());
  if (gr == nullptr) return false;
  if (peer.gid == gr->gr_gid) return true;
  const passwd* pw = ::getpwuid(peer.uid);
  if (pw == nullptr) return false;
  for (char** member = gr->gr_mem; member != nullptr && *member != nullptr; ++member)
    if (std::string_view(*member) == pw->pw_name) return true;
  return false;
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
    clusters.push_back(it->second->status(now));
    clusters.back()["history"] = history_json(request.cluster);
    clusters.back()["failover_readiness"] = readiness_json_for(request.cluster, *it->second);
  } else {
    for (const auto& [name, monitor] : m_monitors) {
      clusters.push_back(monitor->status(now));
      clusters.back()["history"] = history_json(name);
      clusters.back()["failover_readiness"] = readiness_json_for(name, *monitor);
    }
  }
  json daemon{{"version", k_mhad_version},
              {"pid", static_cast<long>(::getpid())},
              {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - m_started).count()},
              {"config", m_config_path.string()}};
  out->ok(json{{"daemon", daemon}, {"clusters", clusters}});
}

void DaemonApp::cmd_reload(const protocol::Request&, const Peer& peer, std::shared_ptr<Responder> out) {
  if (!may_change(peer)) {
    out->fail(make_error(Errc::permission_denied, "reload needs root or group '{}' (you are uid {})",
                         m_config.daemon.admin_group, peer.uid));
    return;
  }
  auto result = reload(fmt::format("asked by uid {} pid {}", peer.uid, peer.pid));
  if (!result) {
    out->fail(result.error());
    return;
  }
  out->ok(json{{"clusters", *result}});
}

void DaemonApp::cmd_check(const protocol::Request& request, const Peer&, std::shared_ptr<Responder> out) {
  std::vector<const ClusterConfig*> targets;
  for (const auto& cluster : m_config.clusters)
    if (request.cluster.empty() || cluster.name == request.cluster) targets.push_back(&cluster);
  if (targets.empty()) {
    std::string known;
    for (const auto& c : m_config.clusters) known += (known.empty() ? "" : ", ") + c.name;
    out->fail(make_error(Errc::unknown_cluster, "no cluster named '{}'; configured clusters: {}", request.cluster,
                         known.empty() ? "(none)" : known));
    return;
  }
  // One report per cluster, all run in parallel; the reply goes out when the
  // last one is in.
  struct Pending {
    std::size_t left;
    std::vector<json> reports;
  };
  auto pending = std::make_shared<Pending>(Pending{targets.size(), std::vector<json>(targets.size())});
  for (std::size_t i = 0; i < targets.size(); ++i)
    run_cluster_check(m_loop, *m_pool, m_seams, *targets[i], [pending, i, out](json report) {
      pending->reports[i] = std::move(report);
      if (--pending->left == 0) out->ok(json{{"clusters", pending->reports}});
    });
}

void DaemonApp::cmd_version(const protocol::Request&, const Peer&, std::shared_ptr<Responder> out) {
  out->ok(json{{"version", k_mhad_version}});
}

}  // namespace mha
