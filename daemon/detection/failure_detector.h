// Decides whether a cluster's master is dead, from the manager's own checks
// and second opinions: the replicas (do their IO threads still hear the
// master?), an SSH look at the master's host (does anything listen on the
// port, is the process stopped?) and the optional secondary_check_script.
// Pure: no I/O, no clock reads; the monitor feeds it and acts on its verdicts.
//
// States and transitions:
//   healthy --manager check fails--> suspect (opinions are gathered)
//   suspect --a replica still hears the master, ping_failures reached--> unreachable_from_manager
//   suspect --unanimous: TCP refused + every replica lost it + host answers
//             SSH and nothing listens on the port--> dead          (no waiting for ping_failures)
//   suspect --process stopped (SIGSTOP) or no answer for frozen_master_timeout,
//             no replica hears it--> dead ("frozen")
//   suspect --no TCP from mhad, none from any replica's host, SSH to the
//             master's host silent--> dead_host                 (no waiting for ping_failures)
//   suspect --a replica's host still connects to the port (not frozen),
//             ping_failures reached--> unreachable_from_manager
//   suspect --ping_failures reached while some replica answered mhad, no
//             replica hears it, the port not accepting--> dead (host answers SSH) / dead_host
//   any --manager check succeeds--> healthy (logged as "alive again" after a verdict)
// "Too many connections" and access-denied answers prove the server runs:
// they never make the master suspect (MHA does the same).
// With replicas configured but none reachable, no verdict is given: the
// manager is probably the one cut off.
#pragma once

#include "common/clock.h"
#include "common/config.h"
#include "common/result.h"
#include "common/topology.h"
#include "daemon/detection/host_probe.h"
#include "daemon/tcp_probe.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mha {

enum class Verdict { healthy, suspect, alive, unreachable_from_manager, dead, dead_host };
std::string_view verdict_name(Verdict verdict);

struct DetectorSettings {
  int ping_failures = 4;
  std::chrono::milliseconds frozen_master_timeout{10000};
  bool secondary_check_configured = false;
  // The vanished-host verdict (no TCP from mhad nor any replica's host, SSH
  // silent) waits until the master has been suspect this long.
  std::chrono::milliseconds vanished_confirm{0};
};

struct ManagerCheck {
  bool ok = false;
  Errc code = Errc::internal;
  std::string message;
  TcpState tcp = TcpState::unknown;  // bare TCP connect after a failed check
  MonoTime at{};
};

enum class ReplicaView { sees_master, silent, lost_master, no_opinion };
std::string_view replica_view_name(ReplicaView view);

struct VerdictChange {
  Verdict verdict = Verdict::healthy;
  // dead / dead_host with the port still accepting or the process stopped:
  // the mysqld may wake up writable, so the failover must kill it first.
  bool frozen = false;
  std::vector<std::string> evidence;
  std::chrono::milliseconds since_first_failure{0};
};

class FailureDetector {
 public:
  explicit FailureDetector(DetectorSettings settings) : m_settings(settings) {}

  // How many replicas the configuration lists (opinions expected from them).
  void set_expected_replicas(int count) { m_expected_replicas = count; }
  void on_manager_check(const ManagerCheck& check);
  // A fresh observation of a replica of this master (name = config name).
  void on_replica(const std::string& name, const ServerObservation& obs, const ServerConfig& master);
  void on_host(const HostOpinion& opinion);
  // A TCP connect to the master's port from replica `name`'s host.
  void on_replica_host(const std::string& name, TcpState state, MonoTime at);
  // A bare TCP connect to the master's port, repeated while suspect: the
  // first one may race the dying process.
  void on_tcp_probe(TcpState state, MonoTime at);
  void on_secondary_script(int exit_code, MonoTime at);

  // Re-evaluates at `now`; returns the new verdict when it changed.
  std::optional<VerdictChange> evaluate(MonoTime now);

  Verdict verdict() const { return m_verdict; }
  bool suspect() const { return m_failures > 0; }
  int failures() const { return m_failures; }
  MonoTime suspect_since() const { return m_suspect_since; }
  const std::vector<std::string>& evidence() const { return m_evidence; }
  bool frozen() const { return m_frozen; }
  // Set by the monitor once it asked for the script in this failure streak.
  bool script_requested = false;

 private:
  struct ReplicaSample {
    ReplicaView view = ReplicaView::no_opinion;
    std::string detail;
    std::string first_progress;  // heartbeats/positions at the first sample after suspicion
    bool have_first = false;
    TcpState host_tcp = TcpState::unknown;  // from the replica's host to the master's port
  };

  void reset();
  std::vector<std::string> collect_evidence() const;

  DetectorSettings m_settings;
  int m_expected_replicas = 0;
  Verdict m_verdict = Verdict::healthy;
  int m_failures = 0;
  MonoTime m_suspect_since{};
  ManagerCheck m_last_failure;
  std::map<std::string, ReplicaSample> m_replicas;
  std::optional<HostOpinion> m_host;
  std::optional<int> m_script_exit;
  std::vector<std::string> m_evidence;
  bool m_frozen = false;
  // Since when the master's port has accepted TCP connects without a break
  // in this failure streak (unset: not accepting, or not known). "Hung for
  // frozen_master_timeout" counts from here, not from the first failure: a
  // partition that heals makes the port accept while the last check hangs.
  std::optional<MonoTime> m_accepts_since;
  void note_tcp(TcpState state, MonoTime at);
  // Failures of this streak counted while some replica answered mhad.
  int m_witnessed_failures = 0;
  bool any_replica_opinion() const;
};

// What a replica's observation says about its master. `progress` is a token
// that changes whenever the replica hears from the master (heartbeat count,
// received GTIDs, read position).
ReplicaView replica_view(const ServerObservation& obs, const ServerConfig& master, std::string* detail,
                         std::string* progress);

}  // namespace mha
