// Error and Result<T>: how every fallible call in mhad reports failure.
// Errc names double as the control protocol's error.code strings, so keep
// errc_name() and the enum in step. No exceptions cross module boundaries.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mha {

enum class Errc {
  timeout,          // slow is not dead: kept apart from refused
  refused,          // nothing listens on the port
  auth,             // access denied / privilege missing
  too_many_connections,
  shutting_down,    // server answered that it is going down
  tls,              // server answered; TLS could not be set up as ssl_mode demands
  sql,              // any other server-side SQL error
  network,          // connection lost, unreachable host, other socket errors
  errant_gtid,
  target_lagging,
  config,
  io,               // local files, sockets
  parse,            // text that does not have the expected shape
  bad_request,      // control protocol: malformed or invalid request
  unknown_command,
  unknown_cluster,
  unknown_server,
  permission_denied,
  not_supported,
  busy,             // control socket: too many clients or requests at once; try again
  // Operator refusals: the command was understood, and the cluster's state
  // says no. The reply's error.code, so tooling can tell them apart.
  operation_in_progress,    // a failover, switchover or rejoin is running
  refused_recent_failover,  // within min_failover_interval of the last one
  no_candidate,             // no replica can be promoted
  master_not_dead,          // failover asked for a master that answers
  auto_failover_off,        // automatic failover disabled by config
  maintenance,              // automatic failover paused by an operator
  needs_operator,           // an earlier operation stopped half-way
  rolled_back,              // the operation undid its changes
  not_active,               // coordination = "etcd": another mhad is the active one for the cluster
  internal,
};

constexpr std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::timeout: return "timeout";
    case Errc::refused: return "refused";
    case Errc::auth: return "auth";
    case Errc::too_many_connections: return "too_many_connections";
    case Errc::shutting_down: return "shutting_down";
    case Errc::tls: return "tls";
    case Errc::sql: return "sql";
    case Errc::network: return "network";
    case Errc::errant_gtid: return "errant_gtid";
    case Errc::target_lagging: return "target_lagging";
    case Errc::config: return "config";
    case Errc::io: return "io";
    case Errc::parse: return "parse";
    case Errc::bad_request: return "bad_request";
    case Errc::unknown_command: return "unknown_command";
    case Errc::unknown_cluster: return "unknown_cluster";
    case Errc::unknown_server: return "unknown_server";
    case Errc::permission_denied: return "permission_denied";
    case Errc::not_supported: return "not_supported";
    case Errc::busy: return "busy";
    case Errc::operation_in_progress: return "operation_in_progress";
    case Errc::refused_recent_failover: return "refused_recent_failover";
    case Errc::no_candidate: return "no_candidate";
    case Errc::master_not_dead: return "master_not_dead";
    case Errc::auto_failover_off: return "auto_failover_off";
    case Errc::maintenance: return "maintenance";
    case Errc::needs_operator: return "needs_operator";
    case Errc::rolled_back: return "rolled_back";
    case Errc::not_active: return "not_active";
    case Errc::internal: return "internal";
  }
  return "internal";
}

struct Error {
  Errc code = Errc::internal;
  std::string message;

  // Prefixes the message with where it happened: "reading GTIDs on 'slave1': ...".
  template <typename... Args>
  Error with_context(fmt::format_string<Args...> format, Args&&... args) const {
    return Error{code, fmt::format(format, std::forward<Args>(args)...) + ": " + message};
  }
};

template <typename... Args>
Error make_error(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error{code, fmt::format(format, std::forward<Args>(args)...)};
}

// A T or an Error. Deliberately small: value(), error(), operator bool.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

  explicit operator bool() const { return m_data.index() == 0; }
  bool ok() const { return m_data.index() == 0; }

  T& value() & { assert(ok()); return std::get<0>(m_data); }
  const T& value() const& { assert(ok()); return std::get<0>(m_data); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(m_data)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(m_data); }

 private:
  std::variant<T, Error> m_data;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_failed(true) {}

  explicit operator bool() const { return !m_failed; }
  bool ok() const { return !m_failed; }
  const Error& error() const { assert(m_failed); return m_error; }

 private:
  Error m_error;
  bool m_failed = false;
};

}  // namespace mha
