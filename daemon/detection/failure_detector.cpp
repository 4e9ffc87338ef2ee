#include "daemon/detection/failure_detector.h"

#include <fmt/format.h>

namespace mha {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::healthy: return "healthy";
    case Verdict::suspect: return "suspect";
    case Verdict::alive: return "alive";
    case Verdict::unreachable_from_manager: return "unreachable_from_manager";
    case Verdict::dead: return "dead";
    case Verdict::dead_host: return "dead_host";
  }
  return "healthy";
}

std::string_view replica_view_name(ReplicaView view) {
  switch (view) {
    case ReplicaView::sees_master: return "sees the master";
    case ReplicaView::silent: return "connected but hears nothing";
    case ReplicaView::lost_master: return "lost the master";
    case ReplicaView::no_opinion: return "no opinion";
  }
  return "no opinion";
}

ReplicaView replica_view(const ServerObservation& obs, const ServerConfig& master, std::string* detail,
                         std::string* progress) {
  if (!obs.reachable) {
    *detail = "unreachable" + (obs.error ? ": " + obs.error->message : std::string());
    return ReplicaView::no_opinion;
  }
  if (!obs.replica || obs.replica->master_host.empty()) {
    *detail = "does not replicate";
    return ReplicaView::no_opinion;
  }
  const ReplicaStatus& r = *obs.replica;
  if (r.master_port != master.port || (r.master_host != master.host && r.master_host != master.ip)) {
    *detail = fmt::format("replicates from {}:{}, not from the master", r.master_host, r.master_port);
    return ReplicaView::no_opinion;
  }
  *progress = fmt::format("{}|{}|{}|{}", obs.status_value("Slave_received_heartbeats"), r.gtid_io_pos,
                          r.retrieved_gtid_set, r.read_master_log_pos);
  if (r.io_running != ReplicaStatus::ThreadState::yes || r.last_io_errno != 0) {
    *detail = fmt::format("IO thread {}{}", r.io_running == ReplicaStatus::ThreadState::no ? "stopped" : "connecting",
                          r.last_io_errno ? fmt::format(", Last_IO_Error {}: {}", r.last_io_errno, r.last_io_error)
                                          : std::string());
    return ReplicaView::lost_master;
  }
  *detail = "IO thread connected";
  return ReplicaView::silent;  // sees_master only once progress is seen (evaluated by the detector)
}

void FailureDetector::reset() {
  m_failures = 0;
  m_replicas.clear();
  m_host.reset();
  m_script_exit.reset();
  m_evidence.clear();
  m_frozen = false;
  m_accepts_since.reset();
  m_witnessed_failures = 0;
  script_requested = false;
}

void FailureDetector::note_tcp(TcpState state, MonoTime at) {
  if (state == TcpState::unknown) return;
  if (state != TcpState::accepts) m_accepts_since.reset();
  else if (!m_accepts_since) m_accepts_since = at;
}

void FailureDetector::on_manager_check(const ManagerCheck& check) {
  if (check.ok) {
    reset();  // evaluate() reports "alive" if there was a suspicion or verdict
    return;
  }
  // The server answered, it just would not let us in (or we would not trust
  // its certificate): it is running.
  if (check.code == Errc::too_many_connections || check.code == Errc::auth || check.code == Errc::tls) {
    m_last_failure = check;
    return;
  }
  if (m_failures == 0) {
    m_suspect_since = check.at;
    m_replicas.clear();
    m_host.reset();
    m_script_exit.reset();
    m_accepts_since.reset();
    m_witnessed_failures = 0;
  }
  // A failure counts towards ping_failures only while some replica answers
  // mhad (the first of a streak always counts: the replicas have not been
  // asked yet). While none answers, mhad is as likely the one cut off; when
  // the partition heals, the first replica to answer must not find a full
  // count of failures that nobody could confirm.
  if (m_failures == 0 || m_expected_replicas == 0 || any_replica_opinion()) ++m_witnessed_failures;
  ++m_failures;
  // A check that overran carries no TCP result: keep the last probe's.
  const TcpState last_tcp = m_last_failure.tcp;
  m_last_failure = check;
  if (check.tcp == TcpState::unknown && m_failures > 1) m_last_failure.tcp = last_tcp;
  note_tcp(check.tcp, check.at);
}

bool FailureDetector::any_replica_opinion() const {
  for (const auto& [name, sample] : m_replicas)
    if (sample.view != ReplicaView::no_opinion) return true;
  return false;
}

void FailureDetector::on_replica(const std::string& name, const ServerObservation& obs, const ServerConfig& master) {
  if (m_failures == 0 || obs.checked_at < m_suspect_since) return;  // only opinions taken after the suspicion
  std::string detail, progress;
  ReplicaView view = replica_view(obs, master, &detail, &progress);
  ReplicaSample& sample = m_replicas[name];
  if (view == ReplicaView::silent) {
    if (!sample.have_first) {
      sample.have_first = true;
      sample.first_progress = progress;
    } else if (progress != sample.first_progress) {
      view = ReplicaView::sees_master;
      detail = "IO thread connected and still receiving from the master";
    }
  }
  sample.view = view;
  sample.detail = detail;
}

void FailureDetector::on_host(const HostOpinion& opinion) {
  if (m_failures == 0 || opinion.at < m_suspect_since) return;
  m_host = opinion;
}

void FailureDetector::on_replica_host(const std::string& name, TcpState state, MonoTime at) {
  if (m_failures == 0 || at < m_suspect_since || state == TcpState::unknown) return;
  m_replicas[name].host_tcp = state;
}

void FailureDetector::on_tcp_probe(TcpState state, MonoTime at) {
  if (m_failures == 0 || at < m_suspect_since || state == TcpState::unknown) return;
  m_last_failure.tcp = state;
  note_tcp(state, at);
}

void FailureDetector::on_secondary_script(int exit_code, MonoTime at) {
  if (m_failures == 0 || at < m_suspect_since) return;
  m_script_exit = exit_code;
}

std::vector<std::string> FailureDetector::collect_evidence() const {
  std::vector<std::string> out;
  out.push_back(fmt::format("manager: {} failed check(s){}: {} (TCP {})", m_failures,
                            m_witnessed_failures == m_failures
                                ? std::string()
                                : fmt::format(", {} while a replica answered", m_witnessed_failures),
                            m_last_failure.message, tcp_state_name(m_last_failure.tcp)));
  for (const auto& [name, sample] : m_replicas)
    out.push_back(fmt::format("{}: {} ({}){}", name, replica_view_name(sample.view), sample.detail,
                              sample.host_tcp == TcpState::unknown
                                  ? std::string()
                                  : fmt::format("; TCP from its host: {}", tcp_state_name(sample.host_tcp))));
  if (m_host) {
    if (!m_host->ssh_ok)
      out.push_back("host: SSH failed: " + m_host->ssh_error);
    else if (!m_host->listener_present)
      out.push_back("host: answers SSH; could not tell whether the server process runs" +
                    (m_host->ssh_error.empty() ? std::string() : ": " + m_host->ssh_error));
    else if (!*m_host->listener_present)
      out.push_back("host: answers SSH; nothing listens on the server's port");
    else {
      std::string procs;
      for (const auto& p : m_host->processes) procs += fmt::format("{}pid {} state {}", procs.empty() ? "" : ", ", p.pid, p.state);
      out.push_back(fmt::format("host: answers SSH; the port is still open ({}){}", procs.empty() ? "process unknown" : procs,
                                m_host->process_stopped() ? "; the process is stopped (frozen)" : ""));
    }
  } else {
    out.push_back("host: no SSH answer yet");
  }
  if (m_script_exit) out.push_back(fmt::format("secondary_check_script exited {}", *m_script_exit));
  return out;
}

std::optional<VerdictChange> FailureDetector::evaluate(MonoTime now) {
  Verdict next = m_verdict;
  if (m_failures == 0) {
    if (m_verdict == Verdict::healthy || m_verdict == Verdict::alive) return std::nullopt;
    m_verdict = Verdict::alive;
    return VerdictChange{Verdict::alive, false, {"manager: the master answers again"}, {}};
  }
  bool any_sees = false, all_lost = true, any_opinion = false;
  for (const auto& [name, sample] : m_replicas) {
    if (sample.view == ReplicaView::no_opinion) continue;
    any_opinion = true;
    if (sample.view == ReplicaView::sees_master) any_sees = true;
    if (sample.view != ReplicaView::lost_master) all_lost = false;
  }
  if (!any_opinion) all_lost = false;
  // The replicas' hosts: one that still connects to the master's port shows
  // the master alive on the network (only mhad is cut off, or the server is
  // frozen). Every replica cut off (its IO thread lost the master, or its
  // host cannot connect) is the network's view of a vanished host.
  bool host_reaches = false;
  int cut = 0;
  for (const auto& [name, sample] : m_replicas) {
    if (sample.host_tcp == TcpState::accepts) host_reaches = true;
    const bool host_cut = sample.host_tcp == TcpState::timeout || sample.host_tcp == TcpState::unreachable ||
                          sample.host_tcp == TcpState::refused;
    if (sample.view != ReplicaView::sees_master && (sample.view == ReplicaView::lost_master || host_cut)) ++cut;
  }
  const bool every_replica_cut = m_expected_replicas > 0 && cut >= m_expected_replicas && !host_reaches;
  bool replicas_expected = m_expected_replicas > 0;
  bool enough_failures = m_failures >= m_settings.ping_failures;
  bool enough_witnessed = m_witnessed_failures >= m_settings.ping_failures;
  bool script_agrees = !m_settings.secondary_check_configured || (m_script_exit && *m_script_exit == 0);
  bool script_sees = m_script_exit && *m_script_exit == 3;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_suspect_since);
  bool ssh_ok = m_host && m_host->ssh_ok;
  bool ssh_failed = m_host && !m_host->ssh_ok;
  bool process_gone = ssh_ok && m_host->listener_present == false;
  bool process_stopped = ssh_ok && m_host->process_stopped();
  bool refused = m_last_failure.tcp == TcpState::refused;
  bool manager_cut = m_last_failure.tcp == TcpState::timeout || m_last_failure.tcp == TcpState::unreachable;
  bool nobody_hears = !any_sees && !script_sees && (any_opinion || !replicas_expected);
  // The server sent its handshake to mhad's probe: its threads run; only
  // mhad's checks hang (a lock, a semi-sync wait with the replicas cut).
  bool greets = m_last_failure.tcp == TcpState::greets;

  if (any_sees || script_sees) {
    if (enough_failures) next = Verdict::unreachable_from_manager;
    else next = Verdict::suspect;
  } else if (replicas_expected && !any_opinion) {
    next = Verdict::suspect;  // no replica answers us either: we may be the one cut off
  } else if (greets && !process_stopped) {
    // Alive, not dead and not frozen: no failover for a server that runs.
    next = enough_failures ? Verdict::unreachable_from_manager : Verdict::suspect;
  } else if (all_lost && refused && process_gone && script_agrees) {
    next = Verdict::dead;  // unanimous: no need to wait for ping_failures
  } else if ((all_lost || every_replica_cut) && ssh_failed && manager_cut && script_agrees && !any_sees &&
             !host_reaches && elapsed >= m_settings.vanished_confirm) {
    // A vanished host (power lost, link down): every replica lost it or
    // cannot connect to it from its host, and neither its SQL port nor SSH
    // answer mhad. Waiting for ping_failures more connect timeouts adds no
    // evidence, only outage (about 4 x 5 s). Not when a replica's host
    // still connects to the port: then the IO threads lost it for another
    // reason (they were reconnecting), and only mhad is cut off.
    next = Verdict::dead_host;
  } else if (nobody_hears && process_stopped && script_agrees) {
    next = Verdict::dead;  // frozen: the port accepts, the process cannot run
  } else if (nobody_hears && script_agrees && m_last_failure.tcp == TcpState::accepts && m_accepts_since &&
             now - *m_accepts_since >= m_settings.frozen_master_timeout && m_host) {
    next = ssh_ok ? Verdict::dead : Verdict::dead_host;  // frozen or hung for too long
  } else if (host_reaches) {
    // Connectable from a replica's host, not frozen: mhad is the one cut off.
    next = enough_failures ? Verdict::unreachable_from_manager : Verdict::suspect;
  } else if (nobody_hears && script_agrees && enough_witnessed && m_host &&
             m_last_failure.tcp != TcpState::accepts) {
    // Counted out. Not while the port accepts: a server that takes TCP
    // connects but no queries is the frozen rule's (frozen_master_timeout),
    // and a partition that just healed looks the same for a moment.
    next = ssh_failed ? Verdict::dead_host : Verdict::dead;
  } else {
    next = Verdict::suspect;
  }

  m_evidence = collect_evidence();
  // Also for dead_host: a frozen mysqld on a host that SSH cannot reach may
  // wake up writable, so the failover must fence it (or stop) either way.
  const bool frozen = (next == Verdict::dead || next == Verdict::dead_host) &&
                      (process_stopped || m_last_failure.tcp == TcpState::accepts);
  if (frozen)
    m_evidence.insert(m_evidence.begin(), "frozen: the port accepts connections but the server does not answer");
  if (next == m_verdict) return std::nullopt;
  // A final verdict stays until the master answers again; only upgrades
  // (unreachable_from_manager -> dead) pass.
  if ((m_verdict == Verdict::dead || m_verdict == Verdict::dead_host) && next != m_verdict &&
      next != Verdict::dead && next != Verdict::dead_host)
    return std::nullopt;
  if (m_verdict == Verdict::unreachable_from_manager && next == Verdict::suspect) return std::nullopt;
  m_verdict = next;
  m_frozen = frozen;
  return VerdictChange{next, frozen, m_evidence, elapsed};
}

}  // namespace mha
