#include "daemon/daemon_app.h"

#include <grp.h>
#include <pwd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>

#include "common/log.h"
#include "common/version.h"

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
  m_server->add_command("version", [this](auto& rq, auto& peer, auto out) { cmd_version(rq, peer, out); });

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
  if (!m_pool->shutdown(1500ms)) {
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
    auto monitor = std::make_shared<ClusterMonitor>(m_loop, *m_pool, m_seams, cluster);
    monitor->start();
    m_monitors[cluster.name] = monitor;
  }
}

Result<std::size_t> DaemonApp::reload(std::string_view why) {
  sd_notify(0, "RELOADING=1");
  log_notice({}, "reloading configuration from '{}' ({})", m_config_path.string(), why);
  ConfigLoad load = load_config(m_config_path);
  for (const auto& warning : load.warnings) log_warning({}, "{}", warning);
  if (!load.config) {
    std::string text;
    for (const auto& error : load.errors) {
      log_error({{"EVENT", "config_refused"}}, "{}", error);
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
  start_monitors();
  log_notice({{"EVENT", "config_reloaded"}}, "configuration reloaded: {} cluster(s)", m_config.clusters.size());
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
  } else {
    for (const auto& [name, monitor] : m_monitors) clusters.push_back(monitor->status(now));
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

void DaemonApp::cmd_version(const protocol::Request&, const Peer&, std::shared_ptr<Responder> out) {
  out->ok(json{{"version", k_mhad_version}});
}

}  // namespace mha
