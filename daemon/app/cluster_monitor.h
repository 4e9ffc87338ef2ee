// Monitoring of one cluster: every ping_interval each server is checked on
// the worker pool (connect once and keep the connection; reconnect after a
// failure), the observation comes back to the loop, and status() reports
// it. Between checks the loop watches each kept connection, so a server
// that dies (its kernel closes the socket) is re-checked at once instead of
// at the next ping. When the master fails a check, the FailureDetector is
// fed second opinions (replicas re-checked every 100 ms, an SSH look at the
// master's host) until it reaches a verdict, which is logged once with its
// evidence. Checks are spread over the interval (server i starts at i/n of
// it) so that many clusters do not all wake at the top of each second.
// Lives on the loop; jobs hold only a weak reference back to it.
#pragma once

#include "common/config.h"
#include "common/topology.h"
#include "daemon/check_delay_stats.h"
#include "daemon/detection/failure_detector.h"
#include "daemon/detection/suspect_digest.h"
#include "daemon/detection/host_probe.h"
#include "daemon/event_loop.h"
#include "daemon/remote_shell.h"
#include "daemon/seams.h"
#include "daemon/sql_session.h"
#include "daemon/worker_pool.h"

#include <deque>
#include <set>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace mha {

// A verdict as kept in memory (and persisted by the daemon).
struct VerdictEvent {
  std::chrono::system_clock::time_point at;
  std::string server;
  Verdict verdict;
  std::vector<std::string> evidence;
  std::chrono::milliseconds detection{0};
};

class ClusterMonitor : public std::enable_shared_from_this<ClusterMonitor> {
 public:
  ClusterMonitor(EventLoop& loop, WorkerPool& pool, Seams seams, ClusterConfig config,
                 CheckDelayStats* delays = nullptr);
  ~ClusterMonitor();

  void start();
  void stop();

  const ClusterConfig& config() const { return m_config; }
  nlohmann::json status(MonoTime now) const;
  ClusterHealth health() const;
  Verdict verdict() const { return m_detector.verdict(); }
  const std::vector<std::string>& evidence() const { return m_detector.evidence(); }
  bool frozen() const { return m_detector.frozen(); }
  std::optional<std::size_t> master() const { return m_master; }
  const std::vector<ServerObservation> observations() const;

  // Called on the loop for every verdict (the daemon persists it).
  std::function<void(const VerdictEvent&)> on_verdict;
  // Called on the loop each time a fenced server (awaiting rejoin) answers
  // read-only: the daemon decides about auto_rejoin.
  std::function<void(const std::string& server)> on_fenced_back;
  // A fenced server is writable (`writes`) or holds the VIP (`vip`): called
  // on the loop at every such observation until it is fenced.
  std::function<void(const std::string& server, bool writes, bool vip)> on_fence_needed;
  // The last known master from the state file, until the servers tell.
  void restore_master(std::string_view name);
  // After a failover: the new master, and a fresh detector for it.
  void set_master(std::size_t index);
  // What SSH last showed about a server's host (listener pids for fencing).
  std::optional<HostOpinion> host_opinion(std::size_t index) const { return m_slots[index].host; }
  // Servers that must never come back writable (old masters awaiting
  // rejoin): if one answers with read_only off, or holds the VIP,
  // on_fence_needed asks the daemon to fence it (the monitor only reads).
  void set_fenced(std::set<std::string> names) { m_fenced = std::move(names); }
  // While a failover runs, the servers keep being polled (status stays
  // live) but the master is not re-derived, the verdict is frozen and
  // topology differences are not logged: mid-failover the replicas point at
  // each other for a while, which must not make a replica "the master".
  void set_failover_running(bool running) { m_failover_running = running; }
  // coordination = "etcd": a standby's checks only read (issue 12), so its
  // INSERT ping (ping_type = "insert") is a SELECT ping until it is the
  // active instance again. Default true: one mhad, as always.
  void set_writes_allowed(bool allowed) { m_writes_allowed = allowed; }
  // Hands the kept SSH session to server `index`'s host to the failover (a
  // command on it costs milliseconds, a fresh login ~150-400 ms), or null if
  // there is none. One that a look of the monitor is using is lent all the
  // same (a RemoteShell runs its commands one at a time), and that look's
  // end does not put it back. The monitor gets a fresh one back with return_shell(),
  // by name: a reload during the failover may have replaced this monitor and
  // its server list. False (nothing done) when no server has that name.
  std::shared_ptr<RemoteShell> lend_shell(std::size_t index);
  bool return_shell(std::string_view server);

 private:
  struct ServerSlot {
    std::shared_ptr<SqlSession> session;  // null while a check holds it (moved into the job)
    // ping_type = "connect" only, the master only: one connection kept from
    // its last good check. When a new connection gets no handshake (the
    // port accepts, nothing more), it tells a server that runs (after a
    // master <-> replicas partition heals, MariaDB greets no new client
    // for 10 s and more: read_connected_replicas) from a frozen one.
    std::shared_ptr<SqlSession> witness;
    std::shared_ptr<RemoteShell> shell;   // null while lent (lend_shell); an SSH job holds a copy
    ServerObservation observation;
    ServerObservation before_last;        // the observation before `observation`
    TcpState tcp = TcpState::unknown;     // bare TCP probe after the last failed check
    bool sql_busy = false;
    bool ssh_busy = false;
    int watched_fd = -1;                  // kept connection watched for a hang-up
    std::optional<HostOpinion> host;      // last look at the host over SSH
    std::optional<bool> holds_vip;        // nullopt: not checkable
    std::string vip_error;
    TimerId timer = 0;
    bool overdue_counted = false;  // the running check overran ping_interval and counted as failed
    std::chrono::milliseconds last_check_took{0};  // start to answer, of the last finished check
    MonoTime reach_probed_at{};    // last TCP connect to the master from this (replica's) host
    unsigned cycles_since_inventory = 0;
    // The master's SHOW SLAVE HOSTS runs on a connection of its own, opened
    // for it and closed after, so that a hang in it (read_connected_replicas)
    // cannot fail the liveness check, and costs the server no kept client.
    bool hosts_busy = false;
    bool vip_look_wanted = false;  // a VIP look as soon as the running SSH job ends
    std::map<std::uint32_t, std::string> connected_replicas;
  };

  void schedule(std::size_t index, std::chrono::milliseconds delay);
  void run_check(std::size_t index, bool extra);
  void on_observation(std::size_t index, std::shared_ptr<SqlSession> session, ServerObservation obs, TcpState tcp);
  void watch_connection(std::size_t index);
  void unwatch_connection(std::size_t index);
  void run_ssh_job(std::size_t index, bool vip, bool probe);
  // The master's connected replicas, on a connection of their own.
  void read_replica_hosts(std::size_t index);
  SqlEndpoint sql_endpoint(std::size_t index) const;
  // From replica `index`'s host, a TCP connect to the master's port.
  void run_replica_host_probe(std::size_t index);
  void on_ssh_result(std::size_t index, std::optional<Result<bool>> vip, std::optional<HostOpinion> host);
  void note_topology();
  void note_changes(std::size_t index, const ServerObservation& before, const ServerObservation& after);
  void feed_detector(std::size_t index);
  void report_overdue_check(std::size_t index);
  // The master's check into the detector; a first failure starts the opinion round.
  void manager_check(std::size_t index, const ManagerCheck& check);
  void evaluate_detector();
  // The "answers again" line of an alive verdict, and the digest's summary.
  void note_answer_again(const std::string& name, const LogFields& fields);
  void run_secondary_script();
  void schedule_opinion_round();
  nlohmann::json vip_status() const;
  nlohmann::json detection_status(MonoTime now) const;

  EventLoop& m_loop;
  WorkerPool& m_pool;
  Seams m_seams;
  ClusterConfig m_config;
  CheckDelayStats* m_delays;
  std::vector<ServerSlot> m_slots;
  std::optional<std::size_t> m_master;
  FailureDetector m_detector;
  SuspectDigest m_suspect_digest;
  TimerId m_opinion_timer = 0;
  bool m_tcp_probe_busy = false;
  bool m_script_busy = false;
  std::set<std::string> m_topology_problems;
  std::set<std::string> m_fenced;
  MonoTime m_script_started{};
  bool m_running = false;
  bool m_failover_running = false;
  bool m_writes_allowed = true;
  MonoTime m_master_set_at{};  // set_master(): older observations cannot re-derive the master
  unsigned m_cycle = 0;
};

std::string_view verdict_message_id(Verdict verdict);

}  // namespace mha
