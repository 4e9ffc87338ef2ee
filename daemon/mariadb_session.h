// SqlSession over MariaDB Connector/C (works with MariaDB and MySQL servers).
// Classifies client errors into Errc so that the monitor can tell refused
// from timeout from "too many connections" (alive) from shutting down.
// TLS by endpoint.tls.mode: disabled sets nothing (Connector/C's plaintext);
// preferred encrypts when the server offers TLS; required refuses a
// plaintext connection; verify_ca also checks the certificate against
// ssl_ca; verify_identity also that it names endpoint.host. A TLS failure is
// Errc::tls with the address, the mode and the fix (daemon/tls_error.h).
#pragma once

#include "daemon/sql_session.h"

#include <memory>

struct st_mysql;

namespace mha {

class MariadbSession final : public SqlSession {
 public:
  MariadbSession();
  ~MariadbSession() override;

  Result<void> connect(const SqlEndpoint& endpoint) override;
  bool connected() const override { return m_mysql != nullptr; }
  void close() override;
  Result<Rows> query(std::string_view sql) override;
  Result<void> execute(std::string_view sql) override;
  int socket_fd() const override;

 private:
  Error last_error(std::string_view doing);

  st_mysql* m_mysql = nullptr;
};

// Maps a Connector/C or server error number (and its text) to an Errc.
Errc classify_mysql_error(unsigned int code, std::string_view message);

}  // namespace mha
