#include "daemon/operations/server_sessions.h"

#include "daemon/operations/operation_clock.h"

#include <fmt/format.h>

#include <algorithm>

namespace mha {

namespace {
// Room left on a session's read timeout beyond the longest server-side wait
// it runs, so that the client never gives up before the server answers
// "timed out".
constexpr std::chrono::milliseconds k_read_timeout_margin{10000};
}  // namespace

OperationClock& real_operation_clock() {
  static SteadyOperationClock clock;
  return clock;
}

SqlEndpoint endpoint_of(const ClusterConfig& cluster, const ServerConfig& server,
                        std::chrono::milliseconds read_timeout) {
  SqlEndpoint e;
  e.host = server.ip.empty() ? server.host : server.ip;
  e.port = server.port;
  e.user = cluster.user;
  e.password = cluster.password.reveal();
  e.connect_timeout = cluster.connect_timeout;
  e.read_timeout = read_timeout;
  e.tls = server.tls();
  return e;
}

std::string server_address(const ServerConfig& server) {
  return fmt::format("{}({}:{})", server.name, server.ip.empty() ? server.host : server.ip, server.port);
}

ServerSessions::ServerSessions(const ClusterConfig& cluster, Factory factory, std::chrono::milliseconds longest_wait)
    : m_cluster(cluster),
      m_factory(std::move(factory)),
      m_read_timeout(std::max(cluster.read_timeout, longest_wait + k_read_timeout_margin)),
      m_sessions(cluster.servers.size()) {}

Result<SqlSession*> ServerSessions::session(std::size_t i) {
  if (i >= m_sessions.size()) return make_error(Errc::internal, "no server #{} in cluster '{}'", i, m_cluster.name);
  if (m_sessions[i] && m_sessions[i]->connected()) return m_sessions[i].get();
  if (!m_sessions[i] && m_factory) m_sessions[i] = m_factory();
  if (!m_sessions[i]) return make_error(Errc::internal, "no SQL session available");
  if (auto r = m_sessions[i]->connect(endpoint_of(m_cluster, m_cluster.servers[i], m_read_timeout)); !r)
    return r.error();
  return m_sessions[i].get();
}

Result<void> ServerSessions::execute(std::size_t i, const std::string& sql) {
  auto s = session(i);
  if (!s) return s.error();
  return (*s)->execute(sql);
}

void ServerSessions::close_all() {
  for (auto& s : m_sessions)
    if (s) s->close();
}

}  // namespace mha
