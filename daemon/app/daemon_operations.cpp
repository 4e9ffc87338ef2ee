// The operator's changing commands besides failover: switchover, rejoin and
// maintenance (DESIGN.md "Switchover", "Rejoin", "Maintenance"), and
// auto_rejoin. They resolve what the operator named, refuse what the
// cluster's state forbids, start the operation on the runner and report it
// like a failover (journal MESSAGE_ID, per-phase timing, state history).
#include "daemon/app/daemon_app.h"

#include <unistd.h>

#include <fstream>
#include <iterator>

#include "common/log.h"
#include "common/message_ids.h"
#include "daemon/failover/fence_returning.h"
#include "daemon/rejoin/rejoin.h"
#include "daemon/server_lookup.h"
#include "daemon/switchover/switchover_runner.h"

namespace mha {

using nlohmann::json;

namespace {

// "uid 0 pid 4242 (mhactl switchover --to slave1)": who asked, for the log.
std::string describe_peer(const Peer& peer) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", peer.pid), std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& c : cmdline)
    if (c == '\0') c = ' ';
  while (!cmdline.empty() && cmdline.back() == ' ') cmdline.pop_back();
  if (cmdline.size() > 200) cmdline = cmdline.substr(0, 200) + "...";
  return fmt::format("uid {} pid {}{}", peer.uid, peer.pid, cmdline.empty() ? "" : " (" + cmdline + ")");
}

// A handler's typed argument, or the bad_request reply.
template <typename T>
bool take(const Result<T>& value, T& out, Responder& responder) {
  if (!value) {
    responder.fail(value.error());
    return false;
  }
  out = *value;
  return true;
}

}  // namespace

// The control server refuses a changing command to anyone but root and
// admin_group before it gets here (its command table); this checks again,
// so that a command registered with the wrong access cannot slip through,
// and logs who asked.
std::optional<Error> DaemonApp::authorise(const Peer& peer, const std::string& command, const std::string& cluster) {
  const std::string who = describe_peer(peer);
  LogFields fields;
  if (!cluster.empty()) fields.push_back({"CLUSTER", cluster});
  if (auto denied = check_access(peer, command, Access::change, m_server->groups())) {
    fields.push_back({"EVENT", "refused_permission"});
    log_warning(fields, "{} refused for {}: {}", command, who, denied->message);
    return denied;
  }
  fields.push_back({"EVENT", command + "_requested"});
  log_notice(fields, "{} requested by {}", command, who);
  return std::nullopt;
}

void DaemonApp::cmd_switchover(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out) {
  std::string to;
  bool force = false;
  if (!take(request.string_arg("to"), to, *out) || !take(request.bool_arg("force"), force, *out)) return;
  const ClusterConfig* cluster = nullptr;
  std::optional<std::size_t> target;
  if (!to.empty()) {
    auto found = find_server(m_config.clusters, request.cluster, to);
    if (!found) return out->fail(found.error());
    cluster = found->cluster;
    target = found->server;
  } else {
    auto found = find_cluster(m_config.clusters, request.cluster);
    if (!found) return out->fail(found.error());
    cluster = *found;
  }
  const std::string name = cluster->name;
  if (auto refused = authorise(peer, "switchover", name)) return out->fail(*refused);
  if (auto refused = standby_refusal(name, "mhactl switchover")) return out->fail(*refused);
  auto it = m_monitors.find(name);
  if (it == m_monitors.end()) return out->fail(make_error(Errc::unknown_cluster, "no cluster named '{}'", name));
  ClusterMonitor& monitor = *it->second;
  if (m_operations->running(name))
    return out->fail(make_error(Errc::operation_in_progress, "a {} of '{}' is running: wait for it to finish",
                                m_operations->running_operation(name), name));
  if (m_stop_requested) return out->fail(make_error(Errc::shutting_down, "mhad is stopping"));
  if (auto parked = m_parked.find(name); parked != m_parked.end() && !force)
    return out->fail(make_error(Errc::needs_operator,
                                "an earlier operation on '{}' stopped in phase '{}': check the servers (mhactl "
                                "status, mhactl check) first; mhactl switchover --force goes ahead anyway",
                                name, parked->second));
  auto master = monitor.master();
  if (!master) return out->fail(make_error(Errc::no_candidate, "the master of '{}' is not known yet", name));
  if (monitor.verdict() == Verdict::dead || monitor.verdict() == Verdict::dead_host)
    return out->fail(make_error(Errc::refused, "master '{}' is {}: use mhactl failover, not switchover",
                                monitor.config().servers[*master].name, verdict_name(monitor.verdict())));

  SwitchoverRequest sw;
  sw.master = *master;
  sw.to = target;
  sw.force = force;
  OperationCallbacks callbacks;
  callbacks.lease = operation_lease(name);
  callbacks.persist_phase = [this, name](const std::string& phase) { return persist_phase(name, "switchover", phase); };
  callbacks.progress = [out, name](const std::string& phase, const std::string& event, const json& detail) {
    out->event("phase", json{{"phase", phase}, {"state", event}, {"detail", detail}});
    if (event == "finished")
      log_notice({{"CLUSTER", name}, {"PHASE", phase}, {"EVENT", "switchover_phase"},
                  {"DURATION_MS", detail.value("duration_ms", json(0)).dump()}},
                 "switchover phase '{}' finished: {}", phase, detail.value("detail", ""));
  };
  callbacks.done = [this, name, out](const OperationReport& report) { on_operation_done(name, report, out); };
  m_parked.erase(name);
  monitor.set_failover_running(true);  // the verdict and the master stay as they are meanwhile
  if (!start_switchover_operation(*m_operations, m_seams, failover_config(name, monitor.config()), sw, callbacks)) {
    monitor.set_failover_running(false);
    out->fail(make_error(Errc::operation_in_progress, "an operation of '{}' is running", name));
  }
}

void DaemonApp::cmd_rejoin(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out) {
  std::string server;
  bool force = false;
  if (!take(request.string_arg("server"), server, *out) || !take(request.bool_arg("force"), force, *out)) return;
  if (server.empty())
    return out->fail(make_error(Errc::bad_request, "rejoin needs the server: mhactl rejoin HOST[:PORT]|SERVER"));
  auto found = find_server(m_config.clusters, request.cluster, server);
  if (!found) return out->fail(found.error());
  const std::string name = found->cluster->name;
  if (auto refused = authorise(peer, "rejoin", name)) return out->fail(*refused);
  if (auto refused = start_rejoin(name, found->server, force, false, out)) out->fail(*refused);
}

std::optional<Error> DaemonApp::start_rejoin(const std::string& cluster, std::size_t server, bool force,
                                             bool automatic, std::shared_ptr<Responder> requester) {
  auto it = m_monitors.find(cluster);
  if (it == m_monitors.end()) return make_error(Errc::unknown_cluster, "no cluster named '{}'", cluster);
  ClusterMonitor& monitor = *it->second;
  if (auto refused = standby_refusal(cluster, automatic ? "an automatic rejoin" : "mhactl rejoin")) return refused;
  if (m_operations->running(cluster))
    return make_error(Errc::operation_in_progress, "a {} of '{}' is running: wait for it to finish",
                      m_operations->running_operation(cluster), cluster);
  if (m_stop_requested) return make_error(Errc::shutting_down, "mhad is stopping");
  auto master = monitor.master();
  if (!master) return make_error(Errc::no_candidate, "the master of '{}' is not known yet", cluster);
  if (monitor.verdict() == Verdict::dead || monitor.verdict() == Verdict::dead_host)
    return make_error(Errc::refused, "the master of '{}' is {}: fail over first", cluster,
                      verdict_name(monitor.verdict()));
  const std::string server_name = monitor.config().servers[server].name;
  RejoinRequest rq;
  rq.server = server;
  rq.master = *master;
  rq.force = force;
  rq.automatic = automatic;
  rq.reference_gtids = promoted_at_gtids(cluster, server_name);
  const ClusterConfig config = monitor.config();
  EventLoop& loop = m_loop;
  Seams seams = m_seams;
  auto persist = [this, cluster](const std::string& phase) { return persist_phase(cluster, "rejoin", phase); };
  auto progress = [requester](const std::string& phase, const std::string& event, const json& detail) {
    if (requester) requester->event("phase", json{{"phase", phase}, {"state", event}, {"detail", detail}});
  };
  log_notice({{"CLUSTER", cluster}, {"EVENT", "rejoin_start"}, {"SERVER", server_name}},
             "{}rejoin of '{}' to master '{}' starting", automatic ? "automatic (auto_rejoin) " : "", server_name,
             config.servers[*master].name);
  LeaseDeadline lease = operation_lease(cluster);
  const bool started = m_operations->start(cluster, "rejoin", [&loop, seams, config, rq, persist, progress, requester,
                                                              cluster, lease, this] {
    RejoinEnv env;
    env.make_sql = seams.make_sql;
    env.progress = progress_on_loop(loop, progress);
    env.before_phase = persist_on_loop(loop, "rejoin", persist);
    env.lease = lease;
    auto report = std::make_shared<OperationReport>(run_rejoin(config, rq, env));
    return std::function<void()>([this, cluster, report, requester] { on_operation_done(cluster, *report, requester); });
  });
  if (!started) return make_error(Errc::operation_in_progress, "an operation of '{}' is running", cluster);
  monitor.set_failover_running(true);
  return std::nullopt;
}

void DaemonApp::on_operation_done(const std::string& cluster, const OperationReport& report,
                                  std::shared_ptr<Responder> requester) {
  auto& entry = m_states[cluster];
  entry.state.operation.clear();
  entry.state.phase.clear();
  entry.state.operation_new_master.clear();
  if (report.result != OperationResult::refused) {
    FailoverRecord record;
    auto finished = std::chrono::system_clock::now();
    record.finished_at = format_wall_time(finished);
    record.started_at = format_wall_time(finished - std::chrono::milliseconds(report.duration_ms));
    record.old_master = report.operation == "rejoin" ? report.server : report.old_master;
    record.new_master = report.new_master;
    record.result = std::string(operation_result_name(report.result));
    record.duration_ms = report.duration_ms;
    record.detail = report.to_json();
    entry.state.add_operation(std::move(record));
  }
  if (m_metrics && report.operation == "switchover")
    m_metrics->switchover_done(cluster, operation_result_name(report.result));
  if (report.operation == "rejoin" && report.succeeded()) {
    entry.state.awaiting_rejoin.erase(report.server);
    m_auto_rejoin_tried.erase(cluster + "/" + report.server);
  }
  // Stopped half-way with servers changed and not put back: an operator
  // must look before anything automatic happens.
  if (report.result == OperationResult::failed) {
    const std::string phase = report.phases.empty() ? "check" : report.phases.back().name;
    m_parked[cluster] = phase;
    entry.state.operation = report.operation + "_stopped";
    entry.state.phase = phase;
  }
  if (auto it = m_monitors.find(cluster); it != m_monitors.end()) {
    ClusterMonitor& monitor = *it->second;
    const auto& config = monitor.config();
    if (report.promoted)
      for (std::size_t i = 0; i < config.servers.size(); ++i)
        if (config.servers[i].name == report.new_master) {
          entry.state.master = report.new_master;
          monitor.set_master(i);
        }
    monitor.set_fenced(entry.state.awaiting_rejoin);
    monitor.set_failover_running(false);
  }
  persist(cluster);
  LogFields fields{{"CLUSTER", cluster},
                   {"EVENT", report.operation + "_report"},
                   {"MESSAGE_ID", std::string(report.operation == "switchover" ? k_message_switchover_report
                                                                                : k_message_rejoin_report)},
                   {"OLD_MASTER", report.old_master},
                   {"NEW_MASTER", report.new_master},
                   {"DURATION_MS", std::to_string(report.duration_ms)},
                   {"RESULT", std::string(operation_result_name(report.result))}};
  if (!report.server.empty()) fields.push_back({"SERVER", report.server});
  if (report.result == OperationResult::completed)
    log_notice(fields, "{}", report.text());
  else
    log_error(fields, "{}", report.text());
  if (requester) {
    if (report.succeeded())
      requester->ok(report.to_json());
    else
      requester->fail(Error{report.error_code, report.refusal.empty() ? report.text() : report.refusal});
  }
  if (m_stop_requested && !m_operations->any_running()) {
    log_notice({}, "the {} of '{}' has finished: stopping as asked", report.operation, cluster);
    m_loop.stop();
  }
}

std::string DaemonApp::promoted_at_gtids(const std::string& cluster, const std::string& server) const {
  auto it = m_states.find(cluster);
  if (it == m_states.end()) return "";
  const auto& failovers = it->second.state.failovers;
  for (auto f = failovers.rbegin(); f != failovers.rend(); ++f)
    if (f->old_master == server && f->detail.is_object() && f->detail.value("promoted", false)) {
      auto g = f->detail.find("promoted_at_gtids");
      return g != f->detail.end() && g->is_string() ? g->get<std::string>() : "";
    }
  return "";
}

void DaemonApp::on_fence_needed(const std::string& cluster, const std::string& server, bool writes, bool vip) {
  auto it = m_monitors.find(cluster);
  if (it == m_monitors.end()) return;
  // Fencing changes a server: only the active instance does it (the
  // standbys see the same server and leave it to the active one).
  if (!acting(cluster)) return;
  const std::string key = cluster + "/" + server;
  if (!m_fencing.insert(key).second) return;  // one at a time per server
  const ClusterConfig config = it->second->config();
  const ServerConfig* target = nullptr;
  for (const auto& s : config.servers)
    if (s.name == server) target = &s;
  if (!target) {
    m_fencing.erase(key);
    return;
  }
  const ServerConfig copy = *target;
  Seams seams = m_seams;
  EventLoop& loop = m_loop;
  m_pool->submit([this, config, copy, writes, vip, seams, key, cluster, &loop, lease = operation_lease(cluster)] {
    FenceResult r = fence_returning(config, copy, writes, vip, seams, lease);
    loop.post([this, r, key, cluster, name = copy.name, writes, vip] {
      m_fencing.erase(key);
      LogFields fields{{"CLUSTER", cluster}, {"SERVER", name}, {"EVENT", "fenced"}};
      if (!r.error.empty())
        log_error(fields, "fencing '{}' failed: {}; make it read-only (and take the VIP off it) by hand NOW", name,
                  r.error);
      else
        log_notice(fields, "'{}' is fenced:{}{}", name, writes ? " read_only on" : "",
                   vip ? " VIP off its host" : "");
    });
  });
}

void DaemonApp::on_fenced_back(const std::string& cluster, const std::string& server) {
  auto it = m_monitors.find(cluster);
  if (it == m_monitors.end() || !it->second->config().auto_rejoin) return;
  if (!m_auto_rejoin_tried.insert(cluster + "/" + server).second) return;  // once per return
  const auto& servers = it->second->config().servers;
  for (std::size_t i = 0; i < servers.size(); ++i)
    if (servers[i].name == server) {
      if (auto refused = start_rejoin(cluster, i, false, true, nullptr)) {
        m_auto_rejoin_tried.erase(cluster + "/" + server);  // try again at its next answer
        log_debug({{"CLUSTER", cluster}}, "auto_rejoin of '{}' not started: {}", server, refused->message);
      }
      return;
    }
}

void DaemonApp::cmd_maintenance(const protocol::Request& request, const Peer& peer, std::shared_ptr<Responder> out) {
  std::string mode, reason;
  if (!take(request.string_arg("mode"), mode, *out) || !take(request.string_arg("reason"), reason, *out)) return;
  if (mode != "on" && mode != "off")
    return out->fail(make_error(Errc::bad_request, "maintenance needs 'on' or 'off' (got '{}')", mode));
  auto found = find_cluster(m_config.clusters, request.cluster);
  if (!found) return out->fail(found.error());
  const std::string name = (*found)->name;
  if (auto refused = authorise(peer, "maintenance " + mode, name)) return out->fail(*refused);
  // Maintenance is shared state (a takeover must honour it): set where it is written to etcd.
  if (auto refused = standby_refusal(name, "mhactl maintenance")) return out->fail(*refused);
  auto& state = m_states[name].state;
  state.cluster = name;
  if (mode == "on") {
    MaintenanceRecord m;
    m.since = format_wall_time(std::chrono::system_clock::now());
    m.by = fmt::format("uid {} pid {}", peer.uid, peer.pid);
    m.reason = reason;
    state.maintenance = m;
  } else {
    state.maintenance.reset();
  }
  if (auto r = m_store->save(state); !r)
    return out->fail(r.error().with_context("maintenance {} of '{}' not saved", mode, name));
  if (!write_state_to_etcd(name))
    return out->fail(make_error(Errc::not_active, "maintenance {} of '{}' not written to etcd; see the journal", mode, name));
  log_notice({{"CLUSTER", name}, {"EVENT", "maintenance_" + mode}, {"MESSAGE_ID", std::string(k_message_maintenance)}},
             "maintenance {} for '{}' by {}{}: automatic failover {}", mode, name, describe_peer(peer),
             reason.empty() ? "" : " (" + reason + ")", mode == "on" ? "paused" : "resumed");
  json result{{"cluster", name}, {"maintenance", mode == "on"}};
  // Maintenance off does not fail over a master that died meanwhile by
  // itself (the operator may be repairing it): say so, once, loudly.
  if (auto it = m_monitors.find(name); it != m_monitors.end() && mode == "off" &&
                                       (it->second->verdict() == Verdict::dead || it->second->verdict() == Verdict::dead_host)) {
    const std::string warning = fmt::format("the master of '{}' is {}: automatic failover resumes at its next death; "
                                            "run mhactl failover to fail over now",
                                            name, verdict_name(it->second->verdict()));
    log_warning({{"CLUSTER", name}}, "{}", warning);
    result["warning"] = warning;
  }
  if (state.maintenance)
    result["since"] = state.maintenance->since, result["by"] = state.maintenance->by,
    result["reason"] = state.maintenance->reason;
  out->ok(result);
}

}  // namespace mha
