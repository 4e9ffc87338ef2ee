// The SQL seam: one connection to one server, with timeouts, returning typed
// rows. The real implementation is MariadbSession (Connector/C); unit tests
// use a fake. Blocking: call it from a worker, never from the event loop.
#pragma once

#include "common/result.h"
#include "common/tls.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mha {

using SqlValue = std::optional<std::string>;  // nullopt = SQL NULL

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;

  bool empty() const { return rows.empty(); }
  // Row i as column name -> value (the shape replica_status parsing takes).
  std::map<std::string, SqlValue> row_map(std::size_t i) const;
  // First column of the first row, or nullopt.
  SqlValue scalar() const;
};

struct SqlEndpoint {
  std::string host;
  std::uint16_t port = 3306;
  std::string user;
  std::string password;  // revealed Secret: never log this struct
  std::chrono::milliseconds connect_timeout{4000};
  std::chrono::milliseconds read_timeout{4000};
  TlsSettings tls{};  // ssl_mode and files (mariadb_session.h says what each mode does)
};

class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual Result<void> connect(const SqlEndpoint& endpoint) = 0;
  virtual bool connected() const = 0;
  virtual void close() = 0;
  virtual Result<Rows> query(std::string_view sql) = 0;
  virtual Result<void> execute(std::string_view sql) = 0;
  // The connection's socket, for the loop to watch for the server hanging up
  // (-1 when not connected).
  virtual int socket_fd() const = 0;
};

}  // namespace mha
