// Monitoring of one cluster: every ping_interval each server is checked on
// the worker pool (connect once and keep the connection; reconnect after a
// failure), the observation comes back to the loop, and status() reports
// it. The VIP holder is checked over SSH, each host's session kept open.
// Checks are spread over the interval (server i starts at i/n of it) so that
// many clusters do not all wake at the top of each second.
// Lives on the loop; jobs hold only a weak reference back to it.
#pragma once

#include "common/config.h"
#include "common/topology.h"
#include "daemon/event_loop.h"
#include "daemon/remote_shell.h"
#include "daemon/sql_session.h"
#include "daemon/worker_pool.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace mha {

// Factories for the seams, so tests can substitute fakes.
struct Seams {
  std::function<std::unique_ptr<SqlSession>()> make_sql;
  std::function<std::unique_ptr<RemoteShell>(const SshEndpoint&)> make_shell;
};

// What a check of one server does, through the SQL seam. Blocking (worker).
// `previous` supplies what is not re-read every cycle (version, settings).
ServerObservation check_server(SqlSession& session, const SqlEndpoint& endpoint, MonoTime now,
                               const ServerObservation& previous = {}, bool refresh_inventory = false);

// Which hosts hold the VIP, from `ip -o addr show` output. Pure.
bool ip_output_has_address(std::string_view ip_output, std::string_view cidr_or_address);

class ClusterMonitor : public std::enable_shared_from_this<ClusterMonitor> {
 public:
  ClusterMonitor(EventLoop& loop, WorkerPool& pool, Seams seams, ClusterConfig config);
  ~ClusterMonitor();

  void start();
  void stop();

  const ClusterConfig& config() const { return m_config; }
  nlohmann::json status(MonoTime now) const;
  std::string summary() const;  // "app1 ok" for sd_notify STATUS=
  ClusterHealth health() const;

 private:
  struct ServerSlot {
    std::shared_ptr<SqlSession> session;  // null while a check holds it (moved into the job)
    std::shared_ptr<RemoteShell> shell;   // null while a VIP check holds it
    ServerObservation observation;
    bool sql_busy = false;
    bool ssh_busy = false;
    std::optional<bool> holds_vip;        // nullopt: not checkable
    std::string vip_error;
    TimerId timer = 0;
    unsigned cycles_since_inventory = 0;
  };

  void schedule(std::size_t index, std::chrono::milliseconds delay);
  void run_check(std::size_t index);
  void on_observation(std::size_t index, std::shared_ptr<SqlSession> session, ServerObservation obs);
  void run_vip_check(std::size_t index);
  void on_vip_result(std::size_t index, std::shared_ptr<RemoteShell> shell, Result<bool> held);
  void note_changes(std::size_t index, const ServerObservation& before, const ServerObservation& after);
  nlohmann::json vip_status() const;

  EventLoop& m_loop;
  WorkerPool& m_pool;
  Seams m_seams;
  ClusterConfig m_config;
  std::vector<ServerSlot> m_slots;
  std::optional<std::size_t> m_master;
  bool m_running = false;
  unsigned m_cycle = 0;
};

}  // namespace mha
