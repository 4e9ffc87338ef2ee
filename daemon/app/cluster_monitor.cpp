#include "daemon/app/cluster_monitor.h"

#include "daemon/server_read.h"
#include "daemon/detection/replica_host_probe.h"

#include "common/log.h"
#include "common/units.h"
#include "common/message_ids.h"
#include "daemon/metrics/check_duration.h"
#include "daemon/script_runner.h"

#include <sys/epoll.h>

#include <algorithm>
#include <set>
#include <utility>

namespace mha {

namespace {
DetectorSettings detector_settings(const ClusterConfig& config) {
  DetectorSettings settings{config.ping_failures, config.frozen_master_timeout,
                            !config.secondary_check_script.empty()};
  // A vanished host must stay vanished for two intervals: a link that
  // flaps (down 2 s, up 2 s) is not a dead host.
  settings.vanished_confirm = 2 * config.ping_interval;
  return settings;
}
}  // namespace

using namespace std::chrono_literals;

namespace {

// VIP holders change only on failover, and an SSH command costs a few ms on
// a kept session; checking every few cycles is plenty for `status`.
constexpr unsigned k_vip_check_every_cycles = 5;
// Settings (log_bin, semi-sync enabled, ...) change rarely; read them on each
// new connection and then every 30 cycles.
constexpr unsigned k_inventory_every_cycles = 30;
// The master's connected replicas only feed the "not in the configuration"
// warning: as often as the settings, on a connection of their own.
constexpr unsigned k_replica_hosts_every_cycles = k_inventory_every_cycles;

}  // namespace

ClusterMonitor::ClusterMonitor(EventLoop& loop, WorkerPool& pool, Seams seams, ClusterConfig config,
                               CheckDelayStats* delays)
    : m_loop(loop),
      m_pool(pool),
      m_seams(std::move(seams)),
      m_config(std::move(config)),
      m_delays(delays),
      m_detector(detector_settings(m_config)) {
  m_slots.resize(m_config.servers.size());
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    const auto& server = m_config.servers[i];
    m_slots[i].session = m_seams.make_sql();
    // Every host gets a kept SSH session: the master's answers the detector
    // (a fresh login costs ~370 ms, a command on a kept one a few ms).
    m_slots[i].shell = m_seams.make_shell(ssh_endpoint_of(m_config, server));
  }
  m_detector.set_expected_replicas(static_cast<int>(m_slots.size()) - 1);
}

ClusterMonitor::~ClusterMonitor() { stop(); }

void ClusterMonitor::set_master(std::size_t index) {
  m_master = index;
  m_master_set_at = m_loop.now();
  m_detector = FailureDetector(detector_settings(m_config));
  m_detector.set_expected_replicas(static_cast<int>(m_slots.size()) - 1);
  m_loop.cancel(m_opinion_timer);
  m_opinion_timer = 0;
  m_suspect_digest.reset();
}

std::shared_ptr<RemoteShell> ClusterMonitor::lend_shell(std::size_t index) {
  ServerSlot& slot = m_slots[index];
  LogFields fields{{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[index].name}};
  if (!slot.shell) {
    log_debug(fields, "no kept SSH session to '{}' to lend", m_config.servers[index].name);
    return nullptr;
  }
  // Also while a look of the monitor runs on it (often the very look that
  // gave the verdict, or the next one): its commands are one at a time
  // (RemoteShell), so the failover's first one waits for that look's few
  // milliseconds instead of a new login (360-480 ms measured on the netns
  // sandbox). The slot owns it, not the look: without it the monitor
  // starts no SSH job until return_shell.
  if (slot.ssh_busy)
    log_debug(fields, "lending the kept SSH session to '{}' while a look of the monitor finishes on it",
              m_config.servers[index].name);
  return std::move(slot.shell);
}

bool ClusterMonitor::return_shell(std::string_view server) {
  for (std::size_t i = 0; i < m_config.servers.size(); ++i) {
    if (m_config.servers[i].name != server) continue;
    ServerSlot& slot = m_slots[i];
    if (!slot.shell) slot.shell = m_seams.make_shell(ssh_endpoint_of(m_config, m_config.servers[i]));
    return true;
  }
  return false;
}

void ClusterMonitor::restore_master(std::string_view name) {
  for (std::size_t i = 0; i < m_config.servers.size(); ++i)
    if (m_config.servers[i].name == name) m_master = i;
}

const std::vector<ServerObservation> ClusterMonitor::observations() const {
  std::vector<ServerObservation> all;
  all.reserve(m_slots.size());
  for (const auto& s : m_slots) all.push_back(s.observation);
  return all;
}

void ClusterMonitor::start() {
  m_running = true;
  auto n = m_slots.size();
  for (std::size_t i = 0; i < n; ++i)
    schedule(i, std::chrono::duration_cast<std::chrono::milliseconds>(m_config.ping_interval * i / n));
}

void ClusterMonitor::stop() {
  m_running = false;
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    m_loop.cancel(m_slots[i].timer);
    m_slots[i].timer = 0;
    unwatch_connection(i);
  }
  m_loop.cancel(m_opinion_timer);
  m_opinion_timer = 0;
}

void ClusterMonitor::schedule(std::size_t index, std::chrono::milliseconds delay) {
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  m_slots[index].timer = m_loop.after(delay, [weak, index] {
    if (auto self = weak.lock()) {
      self->m_slots[index].timer = 0;
      self->run_check(index, false);
    }
  });
}

void ClusterMonitor::watch_connection(std::size_t index) {
  ServerSlot& slot = m_slots[index];
  if (!slot.session || slot.watched_fd >= 0) return;
  int fd = slot.session->socket_fd();
  if (fd < 0) return;
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  // An idle connection becomes readable only when the server hangs up or
  // sends an error (shutdown, KILL): either way, check now.
  auto ok = m_loop.watch(fd, EPOLLIN | EPOLLRDHUP, [weak, index](std::uint32_t) {
    auto self = weak.lock();
    if (!self) return;
    self->unwatch_connection(index);
    log_debug({{"CLUSTER", self->m_config.name}, {"SERVER", self->m_config.servers[index].name}},
              "monitoring connection closed by the server; checking now");
    self->run_check(index, true);
  });
  if (ok) slot.watched_fd = fd;
}

void ClusterMonitor::unwatch_connection(std::size_t index) {
  ServerSlot& slot = m_slots[index];
  if (slot.watched_fd < 0) return;
  m_loop.unwatch(slot.watched_fd);
  slot.watched_fd = -1;
}

void ClusterMonitor::run_check(std::size_t index, bool extra) {
  if (!m_running) return;
  MonoTime due = m_loop.now();
  if (!extra) {
    schedule(index, m_config.ping_interval);  // fixed rate, independent of how long a check takes
    if (index == 0) ++m_cycle;
  }
  ServerSlot& slot = m_slots[index];
  // Every few cycles: the VIP holder, and a look at the master's host, which
  // also keeps its SSH session open for the moment the detector needs it.
  bool is_master = m_master && *m_master == index;
  bool want_vip = m_config.vip.has_value();
  bool want_probe = is_master && m_config.keep_ssh_session;
  if (!extra && (want_vip || want_probe) && !slot.ssh_busy && (m_cycle % k_vip_check_every_cycles) == 1)
    run_ssh_job(index, want_vip, want_probe);
  if (!extra && is_master && !slot.hosts_busy && slot.observation.reachable &&
      (m_cycle % k_replica_hosts_every_cycles) == 2)
    read_replica_hosts(index);
  if (slot.sql_busy) {
    // The previous check is still waiting on a timeout; don't pile up.
    if (!extra)
      log_debug({{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[index].name}},
                "previous check still running, skipping this one");
    // The master's check has not answered within a whole ping_interval: that
    // is a failed check now, not when Connector/C's read timeout (whole
    // seconds, retried) gives up seconds later. A frozen or vanished master
    // is suspected after one interval; its second opinions start at once.
    if (is_master && !extra && !slot.overdue_counted && !m_failover_running) {
      slot.overdue_counted = true;
      report_overdue_check(index);
    }
    return;
  }
  slot.overdue_counted = false;
  unwatch_connection(index);  // the worker owns the socket now
  slot.sql_busy = true;
  SqlEndpoint endpoint = sql_endpoint(index);
  // CONNECT ping (MHA): a new connection every check (closed by the
  // worker: a close is socket I/O, which stays off the loop).
  const bool fresh_connection = m_config.ping_type == PingType::connect;
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  auto previous = std::make_shared<ServerObservation>(slot.observation);
  bool refresh_inventory = !extra && ++slot.cycles_since_inventory >= k_inventory_every_cycles;
  if (refresh_inventory) slot.cycles_since_inventory = 0;
  bool heartbeat = m_config.ping_type == PingType::insert && m_master == index && m_writes_allowed;
  std::shared_ptr<SqlSession> witness;
  std::shared_ptr<SqlSession> retired_witness;  // not the master (any more): no kept client on it
  if (m_config.ping_type == PingType::connect && m_master == index && m_seams.make_sql) {
    if (!slot.witness) slot.witness = m_seams.make_sql();
    witness = slot.witness;
  } else if (slot.witness) {
    retired_witness = std::move(slot.witness);
  }
  auto probe = m_seams.tcp_probe;
  CheckDelayStats* delays = extra ? nullptr : m_delays;
  m_pool.submit([weak, index, endpoint = std::move(endpoint), session = std::move(slot.session), previous,
                 refresh_inventory, heartbeat, witness, retired_witness, fresh_connection, probe, due, delays,
                 &loop] {
    if (retired_witness) retired_witness->close();
    if (fresh_connection) session->close();
    MonoTime started = MonoClock::now();
    auto obs = std::make_shared<ServerObservation>(
        check_server(*session, endpoint, started, *previous, refresh_inventory));
    if (obs->reachable && heartbeat) {
      // INSERT ping: proves the master can still write, not just answer.
      auto written = session->execute(Flavor::heartbeat_write_sql());
      if (!written && written.error().code == Errc::sql) {
        (void)session->execute(Flavor::heartbeat_database_sql());
        (void)session->execute(Flavor::heartbeat_table_sql());
        written = session->execute(Flavor::heartbeat_write_sql());
      }
      if (!written) {
        obs->reachable = false;
        obs->error = written.error().with_context("INSERT ping");
        session->close();
      }
    }
    TcpState tcp = TcpState::unknown;
    if (!obs->reachable && obs->error && obs->error->code != Errc::auth &&
        obs->error->code != Errc::too_many_connections)
      tcp = probe(endpoint.host, endpoint.port, std::chrono::milliseconds(500));
    if (witness) {
      if (obs->reachable && !witness->connected()) (void)witness->connect(endpoint);
      // The port accepts and greets nobody new: ask the kept connection.
      if (!obs->reachable && tcp == TcpState::accepts && witness->connected()) {
        if (witness->query("SELECT 1")) {
          tcp = TcpState::greets;  // its threads run: not frozen
          if (obs->error)
            obs->error->message += "; a connection kept since its last good check still answers: the server runs";
        } else {
          witness->close();
        }
      }
    }
    record_check_duration(MonoClock::now() - started);
    loop.post([weak, index, session, obs, tcp, due, started, delays] {
      if (delays) delays->add(std::chrono::duration_cast<std::chrono::microseconds>(started - due));
      if (auto self = weak.lock()) self->on_observation(index, session, std::move(*obs), tcp);
    });
  });
}

void ClusterMonitor::on_observation(std::size_t index, std::shared_ptr<SqlSession> session, ServerObservation obs,
                                    TcpState tcp) {
  ServerSlot& slot = m_slots[index];
  slot.session = std::move(session);
  slot.sql_busy = false;
  slot.tcp = tcp;
  slot.before_last = std::move(slot.observation);
  slot.observation = std::move(obs);
  slot.last_check_took =
      std::chrono::duration_cast<std::chrono::milliseconds>(MonoClock::now() - slot.observation.checked_at);
  slot.observation.connected_replicas = slot.connected_replicas;
  note_changes(index, slot.before_last, slot.observation);
  if (m_running && slot.observation.reachable) watch_connection(index);
  if (slot.observation.reachable && slot.observation.read_only == false &&
      m_fenced.count(m_config.servers[index].name)) {
    log_error({{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[index].name}, {"EVENT", "fence_returning"}},
              "'{}' was failed over and is back WRITABLE: fencing it now (read_only on); rejoin it with mhactl rejoin",
              m_config.servers[index].name);
    // The VIP too, whether or not the last look saw it there: a host that
    // was cut off is back before the next VIP look (every few cycles), and
    // until then the address would answer twice. Removing is idempotent.
    if (on_fence_needed)
      on_fence_needed(m_config.servers[index].name, true, m_config.vip.has_value() || slot.holds_vip.value_or(false));
    return;  // not a master candidate: do not let it count as writable
  }
  // A server other than the master back after being unreachable (an old
  // master whose host was cut off, perhaps rejoined already): look for the
  // VIP on its host now, not at the next VIP look, so that the address does
  // not answer twice for up to k_vip_check_every_cycles.
  if (slot.observation.reachable && !slot.before_last.reachable && slot.before_last.checked && m_master &&
      *m_master != index && m_config.vip) {
    if (slot.ssh_busy || !slot.shell) slot.vip_look_wanted = true;  // when the running SSH job ends
    else run_ssh_job(index, true, false);
  }
  // Back and read-only: the daemon may rejoin it (auto_rejoin).
  if (slot.observation.reachable && slot.observation.read_only == true && !m_failover_running &&
      m_fenced.count(m_config.servers[index].name) && on_fenced_back)
    on_fenced_back(m_config.servers[index].name);

  if (m_failover_running) return;
  auto all = observations();
  // After a failover the master is known; observations taken before it (a
  // replica still following the old master) must not undo that.
  for (const auto& obs : all)
    if (obs.checked && obs.checked_at < m_master_set_at) return;
  auto master = find_master(m_config, all, m_master);
  if (master != m_master && master) {
    log_notice({{"CLUSTER", m_config.name}, {"SERVER", m_config.servers[*master].name}, {"EVENT", "master_seen"},
                {"MESSAGE_ID", std::string(k_message_master_seen)}},
               "'{}' is the master", m_config.servers[*master].name);
  }
  m_master = master;
  note_topology();
  feed_detector(index);
}

SqlEndpoint ClusterMonitor::sql_endpoint(std::size_t index) const {
  const auto& server = m_config.servers[index];
  return SqlEndpoint{server.ip.empty() ? server.host : server.ip, server.port, m_config.user,
                     m_config.password.reveal(), m_config.connect_timeout, m_config.read_timeout, server.tls()};
}

void ClusterMonitor::read_replica_hosts(std::size_t index) {
  ServerSlot& slot = m_slots[index];
  if (!slot.observation.flavor) return;
  SqlEndpoint endpoint = sql_endpoint(index);
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  slot.hosts_busy = true;
  m_pool.submit([weak, index, endpoint = std::move(endpoint), session = std::shared_ptr<SqlSession>(m_seams.make_sql()),
                 flavor = *slot.observation.flavor, &loop] {
    auto hosts = [&]() -> Result<std::map<std::uint32_t, std::string>> {
      if (auto connected = session->connect(endpoint); !connected) return connected.error();
      return read_connected_replicas(*session, flavor);
    }();
    session->close();
    loop.post([weak, index, hosts = std::move(hosts)] {
      auto self = weak.lock();
      if (!self) return;
      ServerSlot& slot = self->m_slots[index];
      slot.hosts_busy = false;
      if (!hosts) {
        // Not a failed check: the master answered its own (liveness) check.
        log_debug({{"CLUSTER", self->m_config.name}, {"SERVER", self->m_config.servers[index].name}},
                  "connected replicas not read: {}", hosts.error().message);
        return;
      }
      slot.connected_replicas = *hosts;
      slot.observation.connected_replicas = *hosts;
    });
  });
}

void ClusterMonitor::report_overdue_check(std::size_t index) {
  if (!m_master || *m_master != index) return;
  ManagerCheck check;
  check.ok = false;
  check.code = Errc::timeout;
  check.message = fmt::format("no answer within ping_interval ({})", format_duration(m_config.ping_interval));
  check.at = m_loop.now();
  manager_check(index, check);
  evaluate_detector();
}

void ClusterMonitor::manager_check(std::size_t index, const ManagerCheck& check) {
  bool was_suspect = m_detector.suspect();
  m_detector.on_manager_check(check);
  const auto& name = m_config.servers[index].name;
  // Built only for a line: this runs on every check of the master.
  auto fields = [&] {
    return LogFields{{"CLUSTER", m_config.name}, {"SERVER", name}, {"EVENT", "master_suspect"},
                     {"MESSAGE_ID", std::string(k_message_master_suspect)}};
  };
  if (!was_suspect && m_detector.suspect()) {
    // A master that keeps failing checks and answering again gets this
    // line at debug after the first time, summed up once a minute.
    if (m_suspect_digest.on_suspect(m_loop.now()))
      log_warning(fields(), "master '{}' failed a check ({}); asking the replicas and its host", name, check.message);
    else
      log_debug(fields(), "master '{}' failed a check ({}); asking the replicas and its host", name, check.message);
    schedule_opinion_round();
  } else if (check.ok && !m_detector.suspect()) {
    if (auto streak = m_suspect_digest.on_check_passed(m_loop.now()))
      log_notice(fields(),
                 "master '{}' has passed every check for {} s: steady again, after {} more failed checks in {} s "
                 "({} answered late, the longest check {} ms)",
                 name, m_suspect_digest.window().count() / 1000, streak->rounds, streak->span.count() / 1000,
                 streak->late, streak->longest.count());
  }
}

void ClusterMonitor::feed_detector(std::size_t index) {
  if (!m_master) return;
  ServerSlot& slot = m_slots[index];
  if (index == *m_master) {
    const auto& obs = slot.observation;
    // The check that was counted as failed when it overran: its own
    // failure is not a second one (an answer that came late still clears).
    if (!obs.reachable && slot.overdue_counted) {
      slot.overdue_counted = false;
      evaluate_detector();
      return;
    }
    slot.overdue_counted = false;
    ManagerCheck check;
    check.ok = obs.reachable;
    check.at = obs.checked_at;
    check.tcp = slot.tcp;
    if (obs.error) {
      check.code = obs.error->code;
      check.message = obs.error->message;
    }
    manager_check(index, check);
  } else {
    m_detector.on_replica(m_config.servers[index].name, slot.observation, m_config.servers[*m_master]);
  }
  evaluate_detector();
}

void ClusterMonitor::schedule_opinion_round() {
  if (m_opinion_timer != 0 || !m_master) return;
  // Second opinions now: every replica re-checked, the master's host looked at.
  for (std::size_t i = 0; i < m_slots.size(); ++i)
    if (i != *m_master) run_check(i, true);
  for (std::size_t i = 0; i < m_slots.size(); ++i)
    if (i != *m_master) run_replica_host_probe(i);
  if (!m_slots[*m_master].ssh_busy) run_ssh_job(*m_master, false, true);
  run_secondary_script();
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  if (!m_tcp_probe_busy) {
    m_tcp_probe_busy = true;
    const auto& server = m_config.servers[*m_master];
    std::string host = server.ip.empty() ? server.host : server.ip;
    std::uint16_t port = server.port;
    // Repeated while suspect: a server that still sends its handshake runs,
    // whatever its queries wait on (a lock, semi-sync with the replicas cut).
    auto probe = m_seams.greeting_probe ? m_seams.greeting_probe : m_seams.tcp_probe;
    EventLoop& loop = m_loop;
    m_pool.submit([weak, host, port, probe, &loop] {
      MonoTime at = MonoClock::now();
      TcpState state = probe(host, port, std::chrono::milliseconds(500));
      loop.post([weak, state, at] {
        if (auto self = weak.lock()) {
          self->m_tcp_probe_busy = false;
          self->m_detector.on_tcp_probe(state, at);
          self->evaluate_detector();
        }
      });
    });
  }
  // Again every 100 ms until a verdict: a replica notices a dead master
  // within milliseconds, a frozen one only after slave_net_timeout.
  m_opinion_timer = m_loop.after(std::chrono::milliseconds(100), [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->m_opinion_timer = 0;
    self->evaluate_detector();
    Verdict v = self->m_detector.verdict();
    if (self->m_running && self->m_detector.suspect() && v != Verdict::dead && v != Verdict::dead_host)
      self->schedule_opinion_round();
  });
}

void ClusterMonitor::run_secondary_script() {
  if (m_config.secondary_check_script.empty() || m_script_busy || !m_master) return;
  // Once per failure streak, and again every 5 s while it does not agree.
  MonoTime now = m_loop.now();
  if (m_detector.script_requested && now - m_script_started < std::chrono::seconds(5)) return;
  m_detector.script_requested = true;
  m_script_busy = true;
  m_script_started = now;
  const auto& master = m_config.servers[*m_master];
  // MHA's interface, so existing scripts (masterha_secondary_check) work
  // unchanged. It includes the password on the script's command line, as
  // MHA did; mhad's own command line never carries it.
  std::vector<std::string> argv = split_command(m_config.secondary_check_script);
  argv.push_back("--user=" + master.ssh_user);
  argv.push_back("--master_host=" + master.host);
  argv.push_back("--master_ip=" + (master.ip.empty() ? master.host : master.ip));
  argv.push_back("--master_port=" + std::to_string(master.port));
  argv.push_back("--master_user=" + m_config.user);
  argv.push_back("--master_password=" + m_config.password.reveal());
  argv.push_back(std::string("--ping_type=") + (m_config.ping_type == PingType::select    ? "SELECT"
                                                : m_config.ping_type == PingType::connect ? "CONNECT"
                                                                                          : "INSERT"));
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  std::string name = m_config.name;
  // Its output is logged: scrubbed of every secret of the config, not only
  // the --master_password it was given.
  m_pool.submit([weak, argv, name, &loop, config = m_config] {
    MonoTime at = MonoClock::now();
    auto result = std::make_shared<ScriptResult>(run_script(argv, std::chrono::seconds(30), config));
    loop.post([weak, result, at, name] {
      auto self = weak.lock();
      if (!self) return;
      self->m_script_busy = false;
      int code = result->started && !result->timed_out && result->signal == 0 ? result->exit_code : -1;
      LogFields fields{{"CLUSTER", name}, {"EVENT", "secondary_check"}};
      if (!result->started)
        log_warning(fields, "secondary_check_script: {}", result->error);
      else if (result->timed_out)
        log_warning(fields, "secondary_check_script did not finish within 30 s; killed");
      else
        log_info(fields, "secondary_check_script exited {}: {}", code, result->output);
      self->m_detector.on_secondary_script(code, at);
      self->evaluate_detector();
    });
  });
}

void ClusterMonitor::evaluate_detector() {
  if (m_failover_running) return;  // the verdict that started it stands until set_master()
  auto change = m_detector.evaluate(m_loop.now());
  if (!change || !m_master) return;
  // "suspect" was already logged when the first check failed.
  if (change->verdict == Verdict::suspect || change->verdict == Verdict::healthy) return;
  const auto& master = m_config.servers[*m_master];
  VerdictEvent event{std::chrono::system_clock::now(), master.name, change->verdict, change->evidence,
                     change->since_first_failure};
  std::string evidence;
  for (const auto& e : change->evidence) evidence += (evidence.empty() ? "" : "; ") + e;
  LogFields fields{{"CLUSTER", m_config.name},
                   {"SERVER", master.name},
                   {"EVENT", "verdict"},
                   {"VERDICT", std::string(verdict_name(change->verdict))},
                   {"MESSAGE_ID", std::string(verdict_message_id(change->verdict))},
                   {"DETECTION_MS", std::to_string(change->since_first_failure.count())},
                   {"EVIDENCE", evidence}};
  switch (change->verdict) {
    case Verdict::dead:
    case Verdict::dead_host:
      log_error(fields, "master '{}' is {} after {} ms: {}", master.name, verdict_name(change->verdict),
                change->since_first_failure.count(), evidence);
      break;
    case Verdict::unreachable_from_manager:
      log_warning(fields,
                  "master '{}' is unreachable from mhad but replicas still hear it: no failover; check the network "
                  "between mhad and '{}': {}",
                  master.name, master.host, evidence);
      break;
    case Verdict::alive:
      note_answer_again(master.name, fields);
      break;
    default:
      log_info(fields, "master '{}' is {}", master.name, verdict_name(change->verdict));
      break;
  }
  // After a verdict, the next round is logged in full again.
  if (change->verdict != Verdict::alive) m_suspect_digest.reset();
  if (on_verdict) on_verdict(event);
}

void ClusterMonitor::note_answer_again(const std::string& name, const LogFields& fields) {
  // A check that came back late (a slow master or a slow network, not a
  // gone one) says so.
  const auto took = m_slots[*m_master].last_check_took;
  const bool late = took > m_config.ping_interval;
  auto answer = m_suspect_digest.on_answer(m_loop.now(), took, late);
  auto line = late ? fmt::format("master '{}' answers again, late: its check took {} ms, over ping_interval ({}): "
                                 "slow, not gone",
                                 name, took.count(), format_duration(m_config.ping_interval))
                   : fmt::format("master '{}' answers again", name);
  if (answer.in_full)
    log_notice(fields, "{}", line);
  else
    log_debug(fields, "{}", line);
  if (!answer.summary) return;
  const auto& s = *answer.summary;
  log_warning(fields,
              "master '{}' keeps failing checks and answering again: {} times in the last {} s ({} answered late, "
              "the longest check {} ms); it answers each time, so no failover. These rounds are logged at debug "
              "until it has passed every check for {} s; look at its load and the network to it",
              name, s.rounds, std::max<long long>(1, s.span.count() / 1000), s.late, s.longest.count(),
              m_suspect_digest.window().count() / 1000);
}

void ClusterMonitor::note_topology() {
  // Logged when a problem appears and when it is gone, not every cycle.
  auto problems = topology_problems(m_config, observations(), m_master);
  std::set<std::string> now(problems.begin(), problems.end());
  LogFields fields{{"CLUSTER", m_config.name}, {"EVENT", "topology"},
                   {"MESSAGE_ID", std::string(k_message_topology)}};
  for (const auto& p : now)
    if (!m_topology_problems.count(p)) log_warning(fields, "topology: {}", p);
  for (const auto& p : m_topology_problems)
    if (!now.count(p)) log_info(fields, "topology: resolved: {}", p);
  m_topology_problems = std::move(now);
}

void ClusterMonitor::note_changes(std::size_t index, const ServerObservation& before,
                                  const ServerObservation& after) {
  // Log state changes once, not every cycle.
  auto old_state = derive_state(before, m_config.seconds_behind_master);
  auto new_state = derive_state(after, m_config.seconds_behind_master);
  if (old_state == new_state) return;
  const auto& server = m_config.servers[index];
  LogFields fields{{"CLUSTER", m_config.name}, {"SERVER", server.name}, {"EVENT", "server_state"},
                   {"STATE", std::string(server_state_name(new_state))},
                   {"MESSAGE_ID", std::string(k_message_server_state)}};
  std::string detail = state_detail(after);
  if (new_state == ServerState::ok)
    log_info(fields, "'{}' is {}", server.name, server_state_name(new_state));
  else
    log_warning(fields, "'{}' is {}{}{}", server.name, server_state_name(new_state),
                detail.empty() ? "" : ": ", detail);
}

void ClusterMonitor::run_ssh_job(std::size_t index, bool vip, bool probe) {
  ServerSlot& slot = m_slots[index];
  if (!slot.shell || slot.ssh_busy) return;
  slot.ssh_busy = true;
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  std::string address = m_config.vip ? m_config.vip->address : "";
  const auto& server = m_config.servers[index];
  std::string sql_address = server.ip.empty() ? server.host : server.ip;
  std::uint16_t port = server.port;
  auto timeout = server.ssh_connection_timeout;
  auto silent_after = std::clamp<std::chrono::milliseconds>(m_config.ping_interval, 1000ms, 3000ms);
  m_pool.submit([weak, index, address, vip, probe, sql_address, port, timeout, silent_after,
                 shell = slot.shell, &loop] {
    std::optional<HostOpinion> host;
    if (probe) {
      // On a kept session a live host answers in milliseconds (a fresh
      // login in ~400 ms), and this look decides how fast a vanished host is
      // called dead: one ping_interval, at least 1 s, at most 3 s.
      host = probe_host(*shell, sql_address, port, std::min(timeout, silent_after), MonoClock::now());
      // A look that started before the master became suspect is stale if it
      // succeeded, but a host that failed to answer until now is news: stamp
      // failures with their end, so they count as a second opinion.
      if (!host->ssh_ok) host->at = MonoClock::now();
    }
    std::optional<Result<bool>> held;
    if (vip) {
      // Bounded like the probe: a hung look at a vanished host must not
      // hold the session the detector's probe needs for seconds.
      auto out = shell->run("ip -o addr show", std::min(timeout, silent_after));
      if (!out)
        held = Result<bool>(out.error());
      else if (out->exit_status != 0)
        held = Result<bool>(make_error(Errc::io, "'ip -o addr show' exited with {}: {}", out->exit_status, out->err));
      else
        held = Result<bool>(ip_output_has_address(out->out, address));
      // A VIP look that got no SSH answer is the host's silence too.
      if (!probe && !out && (out.error().code == Errc::timeout || out.error().code == Errc::network)) {
        HostOpinion silent;
        silent.ssh_error = out.error().message;
        silent.at = MonoClock::now();
        host = silent;
      }
    }
    loop.post([weak, index, held, host] {
      if (auto self = weak.lock()) self->on_ssh_result(index, held, host);
    });
  });
}

void ClusterMonitor::run_replica_host_probe(std::size_t index) {
  if (!m_config.replica_host_check || !m_master) return;
  ServerSlot& slot = m_slots[index];
  const MonoTime now = m_loop.now();
  // Once per ping_interval per host while suspect: the opinion round runs
  // every 100 ms, and a connect that timed out needs no repeating sooner.
  if (!slot.shell || slot.ssh_busy || (slot.reach_probed_at != MonoTime{} && now - slot.reach_probed_at < m_config.ping_interval &&
                                       slot.reach_probed_at >= m_detector.suspect_since()))
    return;
  slot.ssh_busy = true;
  slot.reach_probed_at = now;
  const auto& master = m_config.servers[*m_master];
  std::string address = master.ip.empty() ? master.host : master.ip;
  std::uint16_t port = master.port;
  std::string name = m_config.servers[index].name;
  // Sub-second, but not below what a slow link needs: a master delayed by
  // 800 ms still connects within a second and must count as alive.
  auto timeout = std::clamp<std::chrono::milliseconds>(m_config.ping_interval, 500ms, 1000ms);
  std::weak_ptr<ClusterMonitor> weak = weak_from_this();
  EventLoop& loop = m_loop;
  m_pool.submit([weak, index, name, address, port, timeout, at = now, shell = slot.shell, &loop] {
    TcpState state = probe_from_host(*shell, address, port, timeout);
    loop.post([weak, index, name, state, at] {
      auto self = weak.lock();
      if (!self) return;
      ServerSlot& s = self->m_slots[index];
      s.ssh_busy = false;
      self->m_detector.on_replica_host(name, state, at);
      self->evaluate_detector();
    });
  });
}

void ClusterMonitor::on_ssh_result(std::size_t index, std::optional<Result<bool>> held,
                                   std::optional<HostOpinion> host) {
  ServerSlot& slot = m_slots[index];
  slot.ssh_busy = false;  // the slot kept its shell, unless lend_shell gave it away meanwhile
  if (held) {
    if (*held) {
      slot.holds_vip = **held;
      slot.vip_error.clear();
      // Only the master may answer on the VIP. MHA leaves it on an old
      // master whose host was cut off, and the address then answers twice
      // when the host returns, also after that server was rejoined as a
      // replica (the rejoin can come before the next VIP look). Not while
      // an operation moves it, nor while the master is unknown.
      const auto& name = m_config.servers[index].name;
      const bool not_master = m_master && *m_master != index;
      if (**held && not_master && !m_failover_running && on_fence_needed) {
        log_error({{"CLUSTER", m_config.name}, {"SERVER", name}, {"EVENT", "fence_returning"}},
                  "'{}' is not the master and holds the VIP: removing it", name);
        on_fence_needed(name, false, true);
      }
    } else {
      slot.holds_vip.reset();
      slot.vip_error = held->error().message;
    }
  }
  if (host) slot.host = *host;
  if (slot.vip_look_wanted) {
    slot.vip_look_wanted = false;
    run_ssh_job(index, true, false);
  }
  if (host && m_master && index == *m_master) {
    m_detector.on_host(*host);
    evaluate_detector();
  }
}

nlohmann::json ClusterMonitor::vip_status() const {
  using nlohmann::json;
  if (!m_config.vip)
    return json{{"address", nullptr}, {"holder", nullptr}, {"state", "not_configured"}, {"detail", ""}};
  std::vector<std::string> holders;
  std::string unknown;
  for (std::size_t i = 0; i < m_slots.size(); ++i) {
    const auto& slot = m_slots[i];
    if (slot.holds_vip.value_or(false)) holders.push_back(m_config.servers[i].name);
    if (!slot.holds_vip)
      unknown += fmt::format("{}{}: {}", unknown.empty() ? "" : "; ", m_config.servers[i].name,
                             slot.vip_error.empty() ? "not checked yet" : slot.vip_error);
  }
  json vip{{"address", m_config.vip->address}, {"interface", m_config.vip->interface}};
  if (holders.size() > 1) {
    std::string all;
    for (const auto& h : holders) all += (all.empty() ? "" : ", ") + h;
    vip["holder"] = holders[0];
    vip["state"] = "conflict";
    vip["detail"] = "held by more than one host: " + all;
  } else if (holders.size() == 1) {
    vip["holder"] = holders[0];
    vip["state"] = "held";
    vip["detail"] = unknown;
  } else {
    vip["holder"] = nullptr;
    vip["state"] = unknown.empty() ? "not_held" : "unknown";
    vip["detail"] = unknown;
  }
  return vip;
}

ClusterHealth ClusterMonitor::health() const { return derive_health(m_config, observations(), m_master); }

nlohmann::json ClusterMonitor::status(MonoTime now) const {
  using nlohmann::json;
  json servers = json::array();
  for (std::size_t i = 0; i < m_slots.size(); ++i)
    servers.push_back(server_status_json(m_config.servers[i], m_slots[i].observation, m_config, now));
  return json{{"name", m_config.name},
              {"master", m_master ? json(m_config.servers[*m_master].name) : json(nullptr)},
              {"health", cluster_health_name(health())},
              {"ping_interval_ms", m_config.ping_interval.count()},
              {"vip", vip_status()},
              {"detection", detection_status(now)},
              {"topology_problems", topology_problems(m_config, observations(), m_master)},
              {"servers", servers}};
}

std::string_view verdict_message_id(Verdict verdict) {
  switch (verdict) {
    case Verdict::alive: return k_message_verdict_alive;
    case Verdict::unreachable_from_manager: return k_message_verdict_unreachable;
    case Verdict::dead: return k_message_verdict_dead;
    case Verdict::dead_host: return k_message_verdict_dead_host;
    default: return k_message_master_suspect;
  }
}

nlohmann::json ClusterMonitor::detection_status(MonoTime now) const {
  using nlohmann::json;
  json out{{"verdict", verdict_name(m_detector.verdict())},
           {"failures", m_detector.failures()},
           {"evidence", m_detector.suspect() ? json(m_detector.evidence()) : json::array()}};
  out["suspect_for_ms"] =
      m_detector.suspect()
          ? json(std::chrono::duration_cast<std::chrono::milliseconds>(now - m_detector.suspect_since()).count())
          : json(nullptr);
  return out;
}


}  // namespace mha
