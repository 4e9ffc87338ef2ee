#include "daemon/app/daemon_app.h"

#include <grp.h>
#include <pwd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <csignal>

#include "common/config/scrub.h"
#include "common/log.h"
#include "common/message_ids.h"
#include "common/version.h"
#include "daemon/checks/check_runner.h"
#include "daemon/failover/hook_scripts.h"
#include "daemon/failover/candidate.h"
#include "daemon/server_lookup.h"

namespace mha {

using namespace std::chrono_literals;
using nlohmann::json;

DaemonApp::DaemonApp(std::filesystem::path config_path, Config config, Seams seams)
    : m_config_path(std::move(config_path)), m_config(std::move(config)), m_seams(std::move(seams)) {}

DaemonApp::~DaemonApp() {
  // Its thread posts to m_loop, which is declared after it and so destroyed
  // first: join the thread before that.
  m_coordinator.reset();
}

int DaemonApp::run() {
  m_started = m_loop.now();
  // Signals are blocked before the pool starts, so no worker ever takes them.
  if (auto r = m_loop.init({SIGTERM, SIGINT, SIGHUP}); !r) {
    log_error({}, "{}", r.error().message);
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  m_pool = std::make_unique<WorkerPool>(static_cast<std::size_t>(m_config.daemon.worker_threads));
  m_operations = std::make_unique<OperationRunner>(m_loop);

  ControlServerOptions options;
  options.path = m_config.daemon.socket;
  options.group = m_config.daemon.socket_group;
  options.admin_group = m_config.daemon.admin_group;
  m_server = std::make_unique<ControlServer>(m_loop, options);
  if (auto r = m_server->start(); !r) {
    log_error({}, "{}", r.error().message);
    return 1;
  }
  if (!m_config.daemon.metrics_listen.empty()) {
    m_metrics = std::make_unique<MetricsExporter>(m_loop, [this] { return clusters_status(); });
    if (auto r = m_metrics->start(m_config.daemon.metrics_listen); !r) {
      log_error({}, "{}", r.error().message);
      return 1;
    }
  }
  // Who may run what is in this table, checked before any handler runs.
  const CommandSpec read{Access::read, 0};
  const CommandSpec change{Access::change, 0};
  // Each check logs in to every server of every cluster: two at once at most.
  const CommandSpec check{Access::read, 2};
  m_server->add_command("status", [this](auto& rq, auto& peer, auto out) { cmd_status(rq, peer, out); }, read);
  m_server->add_command("reload", [this](auto& rq, auto& peer, auto out) { cmd_reload(rq, peer, out); }, change);
  m_server->add_command("failover", [this](auto& rq, auto& peer, auto out) { cmd_failover(rq, peer, out); }, change);
  m_server->add_command("switchover", [this](auto& rq, auto& peer, auto out) { cmd_switchover(rq, peer, out); },
                        change);
  m_server->add_command("rejoin", [this](auto& rq, auto& peer, auto out) { cmd_rejoin(rq, peer, out); }, change);
  m_server->add_command("maintenance", [this](auto& rq, auto& peer, auto out) { cmd_maintenance(rq, peer, out); },
                        change);
  m_server->add_command("check", [this](auto& rq, auto& peer, auto out) { cmd_check(rq, peer, out); }, check);
  m_server->add_command("version", [this](auto& rq, auto& peer, auto out) { cmd_version(rq, peer, out); }, read);
  m_server->add_command(
      "stats",
      [this](auto&, auto&, auto out) {
        out->ok(json{{"check_delay", m_delays.summary()}, {"checks", m_delays.count()},
                     {"queued_jobs", m_pool->queued()}, {"clusters", m_monitors.size()}});
      },
      read);

  m_store = std::make_unique<StateStore>(m_config.daemon.state_dir);
  if (auto r = m_store->ensure_dir(); !r)
    log_error({}, "state directory: {}; verdicts and failovers will not survive a restart", r.error().message);
  load_states();
  start_coordination();

  m_loop.on_signal(SIGTERM, [this] { request_stop("SIGTERM"); });
  m_loop.on_signal(SIGINT, [this] { request_stop("SIGINT"); });
  m_loop.on_signal(SIGHUP, [this] { (void)reload("SIGHUP"); });

  start_monitors();
  log_notice({}, "mhad {} started: {} cluster(s), control socket '{}'{}", k_mhad_version,
             m_config.clusters.size(), m_config.daemon.socket,
             m_metrics ? fmt::format(", metrics on http://{}/metrics", m_config.daemon.metrics_listen) : "");
  sd_notify(0, "READY=1");
  notify_status();

  uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0)
    schedule_watchdog(std::chrono::microseconds(watchdog_usec / 2));
  // STATUS= follows the clusters' health; refresh it once a second.
  std::function<void()> status_tick = [this, &status_tick] {
    notify_status();
    update_eligibility();
    on_coordination_change();  // the lease guard runs out by time alone
    m_loop.after(1s, status_tick);
  };
  m_loop.after(1s, status_tick);

  m_loop.run();
  m_metrics.reset();  // no scrape waits on a loop that has stopped

  sd_notify(0, "STOPPING=1");
  log_notice({}, "stopping");
  for (auto& [name, monitor] : m_monitors) monitor->stop();
  if (m_operations->any_running())
    log_warning({}, "an operation is running: waiting for it to finish or park before stopping");
  m_operations->join_all();
  // Leadership given up only now, with no operation left running: a
  // standby takes over at its next poll instead of after the lease TTL.
  if (m_coordinator) m_coordinator->stop();
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

void DaemonApp::stop() {
  m_loop.post([this] { request_stop("stop()"); });
}

// Stopping in the middle of a failover would leave its last phases undone
// and its report unwritten; the phases' waits are bounded, so the stop waits
// for it (the loop keeps running: the failover reports through it). A second
// signal stops at once; the interrupted failover is then parked on restart.
void DaemonApp::request_stop(std::string_view why) {
  if (!m_operations->any_running() || m_stop_requested) {
    if (m_stop_requested) log_warning({}, "{} again: stopping now, in the middle of the failover", why);
    m_loop.stop();
    return;
  }
  m_stop_requested = true;
  log_warning({}, "{}: a failover is running; stopping as soon as it has finished (send it again to stop now)", why);
  sd_notify(0, "STATUS=stopping after the running failover");
}

void DaemonApp::start_monitors(const std::map<std::string, std::string>& known_masters) {
  for (const auto& cluster : m_config.clusters) {
    auto monitor = std::make_shared<ClusterMonitor>(m_loop, *m_pool, m_seams, cluster, &m_delays);
    std::string name = cluster.name;
    monitor->on_verdict = [this, name](const VerdictEvent& event) { on_verdict(name, event); };
    monitor->on_fenced_back = [this, name](const std::string& server) { on_fenced_back(name, server); };
    monitor->on_fence_needed = [this, name](const std::string& server, bool writes, bool vip) {
      on_fence_needed(name, server, writes, vip);
    };
    if (auto it = m_states.find(name); it != m_states.end()) {
      if (!it->second.state.master.empty()) monitor->restore_master(it->second.state.master);
      monitor->set_fenced(it->second.state.awaiting_rejoin);
    }
    // A monitor started during an operation derives no master until the
    // operation ends: it starts from the one its predecessor knew.
    if (auto known = known_masters.find(name); known != known_masters.end()) monitor->restore_master(known->second);
    // A reload in the middle of an operation: the new monitor must not judge
    // the master (and start a second failover) while the first one runs. The
    // operation's end clears this on whichever monitor is current.
    if (m_operations && m_operations->running(name)) monitor->set_failover_running(true);
    // A standby's checks only read: under etcd nobody writes the INSERT
    // ping's row until it acts (update_eligibility keeps this current).
    monitor->set_writes_allowed(acting(name));
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
    const auto& state = m_states[cluster.name].state;
    if (!state.operation.empty()) {
      m_parked[cluster.name] = state.phase;
      log_error({{"CLUSTER", cluster.name}, {"EVENT", "needs_operator"}, {"PHASE", state.phase}},
                "the {} of '{}' was interrupted in phase '{}' (mhad stopped mid-way): no automatic failover until an "
                "operator checks the servers (mhactl status, mhactl check) and runs mhactl failover --force or fixes "
                "it by hand",
                state.operation, cluster.name, state.phase);
    }
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
  if (event.verdict == Verdict::dead || event.verdict == Verdict::dead_host) {
    if (auto refused = start_failover(cluster, false, false, "", nullptr))
      log_warning({{"CLUSTER", cluster}, {"EVENT", "failover_not_started"}}, "no automatic failover: {}",
                  refused->message);
  }
}

bool DaemonApp::persist_phase(const std::string& cluster, const std::string& operation, const std::string& phase,
                              const std::string& new_master) {
  // Written synchronously (a few ms of fsync on the loop, once per phase):
  // the phase must be on disk before it starts.
  auto& entry = m_states[cluster];
  entry.state.cluster = cluster;
  entry.state.operation = operation;
  entry.state.phase = phase;
  entry.state.operation_new_master = new_master;
  if (auto r = m_store->save(entry.state); !r) {
    log_error({{"CLUSTER", cluster}}, "{}; not starting phase '{}'", r.error().message, phase);
    return false;
  }
  // With etcd, in etcd too, under the fencing token: a deposed holder's
  // write fails here and its operation stops before the phase; a takeover
  // reads where it stopped.
  if (!write_state_to_etcd(cluster)) {
    log_error({{"CLUSTER", cluster}, {"PHASE", phase}}, "not starting phase '{}' of the {} of '{}'", phase, operation,
              cluster);
    return false;
  }
  return true;
}

std::optional<Error> DaemonApp::start_failover(const std::string& cluster, bool manual, bool force,
                                               const std::string& to, std::shared_ptr<Responder> requester) {
  auto it = m_monitors.find(cluster);
  if (it == m_monitors.end()) return make_error(Errc::unknown_cluster, "no cluster named '{}'", cluster);
  auto& monitor = *it->second;
  const auto& config = monitor.config();
  if (auto refused = standby_refusal(cluster, manual ? "mhactl failover" : "an automatic failover")) return refused;
  if (m_operations->running(cluster))
    return make_error(Errc::operation_in_progress, "a {} of '{}' is already running",
                      m_operations->running_operation(cluster), cluster);
  if (m_stop_requested) return make_error(Errc::shutting_down, "mhad is stopping: no new failover of '{}'", cluster);
  if (!manual && !config.auto_failover)
    return make_error(Errc::auto_failover_off,
                      "auto_failover is off for '{}': detect and report only; run mhactl failover to fail over by hand",
                      cluster);
  if (const auto& m = m_states[cluster].state.maintenance; !manual && m)
    return make_error(Errc::maintenance,
                      "'{}' is in maintenance since {} ({}{}): automatic failover is paused; mhactl failover fails "
                      "over by hand, mhactl maintenance off resumes",
                      cluster, m->since, m->by, m->reason.empty() ? "" : ", " + m->reason);
  if (auto parked = m_parked.find(cluster); parked != m_parked.end() && !force)
    return make_error(Errc::needs_operator,
                      "an earlier failover of '{}' was interrupted in phase '{}'; check the servers, then mhactl "
                      "failover --force",
                      cluster, parked->second);
  auto master = monitor.master();
  if (!master) return make_error(Errc::no_candidate, "the master of '{}' is not known", cluster);
  Verdict verdict = monitor.verdict();
  if (verdict != Verdict::dead && verdict != Verdict::dead_host) {
    if (!manual || verdict == Verdict::healthy || verdict == Verdict::alive)
      return make_error(Errc::master_not_dead,
                        "master '{}' is not dead (verdict {}); for a planned switch use mhactl switchover",
                        config.servers[*master].name, verdict_name(verdict));
  }
  FailoverRequest request;
  request.manual = manual;
  request.force = force;
  request.to = to;
  request.master_ssh_reachable = verdict != Verdict::dead_host;
  std::string evidence;
  for (const auto& e : monitor.evidence()) evidence += (evidence.empty() ? "" : "; ") + e;
  request.evidence = evidence;
  request.master_frozen = monitor.frozen();
  if (auto host = monitor.host_opinion(*master)) {
    for (const auto& p : host->processes) request.master_pids.push_back(p.pid);
    request.master_process_gone = host->ssh_ok && host->listener_present == false;
  }
  auto observations = monitor.observations();
  request.master_last_seen = observations[*master];
  if (request.master_ssh_reachable) request.master_shell = monitor.lend_shell(*master);
  for (std::size_t i = 0; i < config.servers.size(); ++i)
    if (i != *master)
      if (auto shell = monitor.lend_shell(i)) request.replica_shells[config.servers[i].name] = std::move(shell);
  const auto& state = m_states[cluster].state;
  request.last_failover = last_completed_failover(state);
  m_parked.erase(cluster);
  monitor.set_failover_running(true);
  log_notice({{"CLUSTER", cluster}, {"EVENT", "failover_start"}, {"OLD_MASTER", config.servers[*master].name},
              {"MESSAGE_ID", std::string(k_message_failover_start)}},
             "{} failover of '{}' starting: master '{}' is {}", manual ? "manual" : "automatic", cluster,
             config.servers[*master].name, verdict_name(verdict));
  const std::string old_master = config.servers[*master].name;
  start_failover_operation(*m_operations, m_seams, failover_config(cluster, config), *master, request,
                           failover_callbacks(cluster, old_master, requester, config));
  return std::nullopt;
}

// Under etcd an operation's changing steps run within the lease it starts
// with: the fencing token is fixed now, so a leadership lost and won again
// (another instance may have acted in between) stops it too. Without
// coordination: no bound.
LeaseDeadline DaemonApp::operation_lease(const std::string& cluster) {
  if (!m_coordinator) return {};
  return LeaseDeadline([&leadership = m_coordinator->leadership(), cluster,
                        token = m_coordinator->leadership().view(cluster).token](MonoTime now) {
    return leadership.held_until(cluster, token, now);
  });
}

FailoverCallbacks DaemonApp::failover_callbacks(const std::string& cluster, const std::string& old_master,
                                                std::shared_ptr<Responder> requester, const ClusterConfig& config) {
  FailoverCallbacks callbacks;
  callbacks.lease = operation_lease(cluster);
  callbacks.persist_phase = [this, cluster, old_master](FailoverPhase phase, const std::string& new_master) {
    // The old master joins the fenced set before anyone can be made
    // writable (recover_master promotes): a crash after promotion must not
    // let it come back writable.
    if (phase == FailoverPhase::recover_master && m_states[cluster].state.awaiting_rejoin.insert(old_master).second)
      if (auto it = m_monitors.find(cluster); it != m_monitors.end())
        it->second->set_fenced(m_states[cluster].state.awaiting_rejoin);
    return persist_phase(cluster, "failover", std::string(phase_name(phase)), new_master);
  };
  callbacks.progress = [this, cluster, requester](FailoverPhase phase, const std::string& event, const json& detail) {
    if (requester) requester->event("phase", json{{"phase", phase_name(phase)}, {"state", event}, {"detail", detail}});
    if (event == "note") return;  // the failover logs its own notes, one line each
    LogFields fields{{"CLUSTER", cluster}, {"PHASE", std::string(phase_name(phase))}, {"EVENT", "failover_phase"}};
    if (detail.contains("duration_ms")) fields.push_back({"DURATION_MS", detail["duration_ms"].dump()});
    log_notice(fields, "failover phase '{}' {}{}", phase_name(phase), event,
               detail.contains("detail") && detail["detail"].is_string() && !detail["detail"].get<std::string>().empty()
                   ? ": " + detail["detail"].get<std::string>()
                   : std::string());
  };
  callbacks.done = [this, cluster, requester, old_master, ran_with = config](const FailoverReport& report) {
    // By name: a reload during the failover may have changed the servers.
    auto it = m_monitors.find(cluster);
    if (it == m_monitors.end() || !it->second->return_shell(old_master))
      log_notice({{"CLUSTER", cluster}},
                 "old master '{}' is no longer in the configuration of '{}': no SSH session kept for it, ignoring",
                 old_master, cluster);
    if (it != m_monitors.end())
      for (const auto& server : ran_with.servers)
        if (server.name != old_master) it->second->return_shell(server.name);  // false: gone in a reload
    on_failover_done(cluster, report, requester, ran_with);
  };
  return callbacks;
}

void DaemonApp::on_failover_done(const std::string& cluster, const FailoverReport& report,
                                 std::shared_ptr<Responder> requester, const ClusterConfig& ran_with) {
  // The failover scrubs what it writes; server errors quoted in
  // failed_replicas and notes may still carry a password in some escaped
  // form, so everything stored, logged, sent to report_script or returned
  // goes through the scrubber once more here.
  const json detail = scrub_secrets_json(report.to_json(), ran_with);
  const std::string text = scrub_secrets(report.text(), ran_with);
  auto& entry = m_states[cluster];
  entry.state.operation.clear();
  entry.state.phase.clear();
  entry.state.operation_new_master.clear();
  if (report.result != FailoverResult::refused) {
    FailoverRecord record;
    auto finished = std::chrono::system_clock::now();
    record.finished_at = format_wall_time(finished);
    record.started_at = format_wall_time(finished - std::chrono::milliseconds(report.duration_ms));
    record.old_master = report.old_master;
    record.new_master = report.new_master;
    record.result = std::string(failover_result_name(report.result));
    record.duration_ms = report.duration_ms;
    record.detail = detail;
    entry.state.add_failover(std::move(record));
  }
  // Whatever the result: once a new master took writes, the old one must
  // never come back writable. Added before promotion (persist_phase); taken
  // out again when nobody was promoted after all.
  if (!report.old_master.empty()) {
    if (report.promoted) entry.state.awaiting_rejoin.insert(report.old_master);
    else if (report.result != FailoverResult::needs_operator) entry.state.awaiting_rejoin.erase(report.old_master);
  }
  // Stopped after changing servers: no automatic failover until an operator
  // looked (mhactl failover --force).
  if (report.result == FailoverResult::needs_operator ||
      (report.result == FailoverResult::failed && report.phases.size() > 1)) {
    std::string phase = report.phases.empty() ? "check" : std::string(phase_name(report.phases.back().phase));
    m_parked[cluster] = phase;
    entry.state.phase = phase;
    entry.state.operation = "failover_stopped";
  }
  persist(cluster);
  if (m_metrics)
    m_metrics->failover_done(cluster, failover_result_name(report.result), std::chrono::milliseconds(report.duration_ms));
  LogFields fields{{"CLUSTER", cluster},
                   {"EVENT", "failover_report"},
                   {"MESSAGE_ID", std::string(k_message_failover_report)},
                   {"OLD_MASTER", report.old_master},
                   {"NEW_MASTER", report.new_master},
                   {"DURATION_MS", std::to_string(report.duration_ms)},
                   {"RESULT", std::string(failover_result_name(report.result))}};
  if (report.result == FailoverResult::completed)
    log_notice(fields, "{}", text);
  else
    log_error(fields, "{}", text);
  if (auto it = m_monitors.find(cluster); it != m_monitors.end()) {
    const auto& config = it->second->config();
    it->second->set_failover_running(false);
    for (std::size_t i = 0; i < config.servers.size(); ++i)
      if (config.servers[i].name == report.new_master && report.promoted) it->second->set_master(i);
    it->second->set_fenced(entry.state.awaiting_rejoin);
    if (!config.report_script.empty() && report.result != FailoverResult::refused) {
      auto cluster_config = config;
      std::string conf = m_config_path.string();
      auto copy = std::make_shared<FailoverReport>(report);
      m_pool->submit([cluster_config, conf, copy, text, ran_with] {
        std::string subject = fmt::format("{}: MySQL Master failover {}{}", cluster_config.name, copy->old_master,
                                          copy->new_master.empty() ? "" : " to " + copy->new_master);
        auto result = run_report_script(cluster_config, copy->old_master, copy->new_master, copy->recovered_replicas,
                                        conf, subject, text);
        // The script may print what it read from the config (--conf).
        if (!result.started || result.exit_code != 0)
          log_warning({{"CLUSTER", cluster_config.name}}, "report_script failed: {}",
                      scrub_secrets(scrub_secrets(result.started ? result.output : result.error, ran_with),
                                    cluster_config));
      });
    }
  }
  if (requester) {
    if (report.result == FailoverResult::completed || report.result == FailoverResult::completed_with_errors)
      requester->ok(detail);
    else
      requester->fail(Error{report.result == FailoverResult::refused          ? Errc::bad_request
                            : report.result == FailoverResult::needs_operator ? Errc::needs_operator
                                                                              : Errc::internal,
                            report.refusal.empty() ? text : scrub_secrets(report.refusal, ran_with)});
  }
  if (m_stop_requested && !m_operations->any_running()) {
    log_notice({}, "the failover of '{}' has finished: stopping as asked", cluster);
    m_loop.stop();
  }
}

void DaemonApp::persist(const std::string& cluster) {
  // Synchronous, on the loop: verdicts and failover phases are rare, a save
  // is one small file and an fsync (a few ms), and one writer per cluster
  // means saves can never overtake each other on disk.
  auto& entry = m_states[cluster];
  if (auto r = m_store->save(entry.state); !r)
    log_error({{"CLUSTER", cluster}, {"EVENT", "state_save_failed"}}, "{}, will retry on the next change",
              r.error().message);
  // What a takeover must know goes to etcd too, while we act (a standby's
  // verdicts are its own and stay local).
  if (m_coordinator && acting(cluster)) (void)write_state_to_etcd(cluster);
}

ClusterConfig DaemonApp::failover_config(const std::string& cluster, const ClusterConfig& config) const {
  // An old master awaiting rejoin is out of the topology until it rejoins: it
  // must not block the next failover (MHA: remove_dead_master_conf, without
  // editing the operator's files).
  ClusterConfig out = config;
  if (auto it = m_states.find(cluster); it != m_states.end())
    for (auto& server : out.servers)
      if (it->second.state.awaiting_rejoin.count(server.name)) server.ignore_fail = true;
  return out;
}

std::optional<std::chrono::system_clock::time_point> DaemonApp::last_completed_failover(const ClusterState& state) {
  // Only a failover that promoted someone counts for min_failover_interval
  // (MHA's failover.complete); a refused or parked one changed nothing.
  for (auto it = state.failovers.rbegin(); it != state.failovers.rend(); ++it)
    if (it->result == "completed" || it->result == "completed_with_errors") return parse_wall_time(it->finished_at);
  return std::nullopt;
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
  if (next.daemon.socket != m_config.daemon.socket || next.daemon.worker_threads != m_config.daemon.worker_threads ||
      next.daemon.metrics_listen != m_config.daemon.metrics_listen)
    log_warning({}, "[daemon] socket, worker_threads and metrics_listen take effect at the next restart, ignoring the "
                    "change");
  if (next.daemon.coordination != m_config.daemon.coordination ||
      next.daemon.etcd_endpoints != m_config.daemon.etcd_endpoints ||
      next.daemon.etcd_prefix != m_config.daemon.etcd_prefix ||
      next.daemon.instance_name != m_config.daemon.instance_name)
    log_warning({}, "[daemon] coordination and the etcd keys take effect at the next restart, ignoring the change");
  next.daemon.coordination = m_config.daemon.coordination;
  next.daemon.etcd_endpoints = m_config.daemon.etcd_endpoints;
  next.daemon.etcd_prefix = m_config.daemon.etcd_prefix;
  next.daemon.instance_name = m_config.daemon.instance_name;
  next.daemon.socket = m_config.daemon.socket;
  next.daemon.worker_threads = m_config.daemon.worker_threads;
  next.daemon.metrics_listen = m_config.daemon.metrics_listen;
  log_set_level(next.daemon.log_level);
  // Who may read and who may change follows the new config at once, and a
  // group created since is found: the socket goes to the (new) socket_group,
  // a failure is logged with the fix.
  if (m_server) (void)m_server->set_groups(next.daemon.socket_group, next.daemon.admin_group);
  std::map<std::string, std::string> masters;
  for (auto& [name, monitor] : m_monitors) {
    if (auto master = monitor->master()) masters[name] = monitor->config().servers[*master].name;
    monitor->stop();
  }
  m_monitors.clear();
  m_config = std::move(next);
  load_states();
  start_monitors(masters);
  if (m_coordinator) {
    std::vector<std::string> names;
    for (const auto& c : m_config.clusters) names.push_back(c.name);
    m_coordinator->set_clusters(names);
  }
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

void DaemonApp::cmd_reload(const protocol::Request&, const Peer& peer, std::shared_ptr<Responder> out) {
  if (auto refused = authorise(peer, "reload", "")) return out->fail(*refused);
  auto result = reload(fmt::format("asked by uid {} pid {}", peer.uid, peer.pid));
  if (!result) {
    out->fail(result.error());
    return;
  }
  out->ok(json{{"clusters", *result}});
}

void DaemonApp::cmd_failover(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out) {
  auto to_arg = request.string_arg("to");
  auto force_arg = request.bool_arg("force");
  if (!to_arg) return out->fail(to_arg.error());
  if (!force_arg) return out->fail(force_arg.error());
  std::string to = *to_arg;
  std::string cluster;
  if (!to.empty()) {
    // --to by name, host, host:port or IP; it also names the cluster.
    auto found = find_server(m_config.clusters, request.cluster, to);
    if (!found) return out->fail(found.error());
    cluster = found->cluster->name;
    to = found->cluster->servers[found->server].name;
  } else {
    auto found = find_cluster(m_config.clusters, request.cluster);
    if (!found) return out->fail(found.error());
    cluster = (*found)->name;
  }
  if (auto refused = authorise(peer, "failover", cluster)) return out->fail(*refused);
  if (auto refused = start_failover(cluster, true, *force_arg, to, out)) out->fail(*refused);
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
