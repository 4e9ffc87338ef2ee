// The sessions an operation changes servers through: one per server, opened
// on first use with a read timeout above the longest server-side wait the
// operation runs (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET), and kept
// until the operation ends. Distinct servers may be used from distinct
// threads at once (run_parallel); one server from one thread at a time.
#pragma once

#include "common/config.h"
#include "common/result.h"
#include "daemon/sql_session.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mha {

// How mhad connects to `server` as the cluster's admin user.
SqlEndpoint endpoint_of(const ClusterConfig& cluster, const ServerConfig& server,
                        std::chrono::milliseconds read_timeout);

// "name(ip:port)", as MHA's reports name servers.
std::string server_address(const ServerConfig& server);

class ServerSessions {
 public:
  using Factory = std::function<std::unique_ptr<SqlSession>()>;
  // longest_wait: the longest server-side wait any statement will run.
  ServerSessions(const ClusterConfig& cluster, Factory factory, std::chrono::milliseconds longest_wait);
  ~ServerSessions() { close_all(); }

  Result<SqlSession*> session(std::size_t server);
  Result<void> execute(std::size_t server, const std::string& sql);
  void close_all();

 private:
  const ClusterConfig& m_cluster;
  Factory m_factory;
  std::chrono::milliseconds m_read_timeout;
  std::vector<std::unique_ptr<SqlSession>> m_sessions;
};

}  // namespace mha
