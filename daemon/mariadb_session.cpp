#include "daemon/mariadb_session.h"

#include "common/flavor.h"
#include "daemon/tls_error.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <mutex>

namespace mha {

namespace {
// mysql_library_init is not thread-safe; mysql_init calls it implicitly.
std::once_flag g_library_once;

// Connector/C 3.3: any TLS option turns TLS on; with neither a CA nor
// MYSQL_OPT_SSL_VERIFY_SERVER_CERT it quietly goes plaintext when the server
// offers no TLS (what "preferred" wants), and the certificate is checked
// against the CA only when one is given, its name only with VERIFY_SERVER_CERT.
// So: the CA only for the verify_* modes, and "required" is enforced after
// the connect by the session's cipher, whatever the library did.
void set_tls_options(MYSQL* mysql, const TlsSettings& tls) {
  if (tls.mode == SslMode::disabled) return;
  my_bool yes = 1;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &yes);
  if (!tls.cert.empty()) mysql_optionsv(mysql, MYSQL_OPT_SSL_CERT, tls.cert.c_str());
  if (!tls.key.empty()) mysql_optionsv(mysql, MYSQL_OPT_SSL_KEY, tls.key.c_str());
  if (tls_verifies(tls.mode)) mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, tls.ca.c_str());
  my_bool verify_name = tls.mode == SslMode::verify_identity ? 1 : 0;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_name);
}
}  // namespace

Errc classify_mysql_error(unsigned int code, std::string_view message) {
  switch (code) {
    case ER_CON_COUNT_ERROR:            // 1040: alive, just full (MHA treats it as alive)
    case ER_TOO_MANY_USER_CONNECTIONS:  // 1203
    case ER_USER_LIMIT_REACHED:         // 1226
      return Errc::too_many_connections;
    case ER_ACCESS_DENIED_ERROR:        // 1045
    case ER_DBACCESS_DENIED_ERROR:      // 1044
    case ER_HOST_NOT_PRIVILEGED:        // 1130
    case ER_HOST_IS_BLOCKED:            // 1129
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:  // 1227
      return Errc::auth;
    case ER_SERVER_SHUTDOWN:            // 1053
    case ER_CONNECTION_KILLED:          // 1927 (MariaDB): connection killed during shutdown
      return Errc::shutting_down;
    default:
      break;
  }
  if (code == CR_SSL_CONNECTION_ERROR) {  // 2026: the TLS handshake or its checks failed
    if (message.find("timed out") != std::string_view::npos || message.find("Timeout") != std::string_view::npos)
      return Errc::timeout;
    return Errc::tls;
  }
  if (code >= 2000 && code < 3000) {  // client-side errors
    if (message.find("(110)") != std::string_view::npos ||
        message.find("timed out") != std::string_view::npos ||
        message.find("Timeout") != std::string_view::npos ||
        message.find("timeout") != std::string_view::npos)
      return Errc::timeout;
    if (message.find("(111)") != std::string_view::npos ||
        message.find("refused") != std::string_view::npos)
      return Errc::refused;
    return Errc::network;
  }
  return Errc::sql;
}

MariadbSession::MariadbSession() { std::call_once(g_library_once, [] { mysql_library_init(0, nullptr, nullptr); }); }

MariadbSession::~MariadbSession() { close(); }

void MariadbSession::close() {
  if (m_mysql != nullptr) {
    mysql_close(m_mysql);
    m_mysql = nullptr;
  }
}

int MariadbSession::socket_fd() const {
  return m_mysql != nullptr ? static_cast<int>(mysql_get_socket(m_mysql)) : -1;
}

Error MariadbSession::last_error(std::string_view doing) {
  unsigned int code = mysql_errno(m_mysql);
  std::string text = mysql_error(m_mysql);
  return Error{classify_mysql_error(code, text), fmt::format("{}: {} (error {})", doing, text, code)};
}

Result<void> MariadbSession::connect(const SqlEndpoint& endpoint) {
  close();
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return make_error(Errc::internal, "mysql_init failed: out of memory");
  // Connector/C takes whole seconds; round up so that "500ms" is not "no timeout".
  auto seconds = [](std::chrono::milliseconds ms) {
    return static_cast<unsigned int>((ms.count() + 999) / 1000);
  };
  unsigned int connect_timeout = seconds(endpoint.connect_timeout);
  unsigned int read_timeout = seconds(endpoint.read_timeout);
  my_bool no = 0;
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &no);  // a reconnect would hide a restart
  mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // TCP always, even for "localhost": the monitor must see what clients see.
  unsigned int protocol = MYSQL_PROTOCOL_TCP;
  mysql_optionsv(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  set_tls_options(mysql, endpoint.tls);
  if (mysql_real_connect(mysql, endpoint.host.c_str(), endpoint.user.c_str(),
                         endpoint.password.c_str(), nullptr, endpoint.port, nullptr,
                         CLIENT_MULTI_RESULTS) == nullptr) {
    unsigned int code = mysql_errno(mysql);
    std::string text = mysql_error(mysql);
    mysql_close(mysql);
    Errc errc = classify_mysql_error(code, text);
    if (errc == Errc::tls && endpoint.tls.mode != SslMode::disabled)
      return tls_connect_error(endpoint.tls, endpoint.host, endpoint.port, text, code);
    return Error{errc, fmt::format("cannot connect: {} (error {})", text, code)};
  }
  if (tls_required(endpoint.tls.mode) && mysql_get_ssl_cipher(mysql) == nullptr) {
    mysql_close(mysql);
    return tls_connect_error(endpoint.tls, endpoint.host, endpoint.port,
                             "the server does not support TLS: the connection would be plaintext", 0);
  }
  // sql_quote()'s backslash escapes need a session without
  // NO_BACKSLASH_ESCAPES, whatever the server's global sql_mode says.
  if (mysql_real_query(mysql, k_session_sql_mode_sql.data(), k_session_sql_mode_sql.size()) != 0) {
    unsigned int code = mysql_errno(mysql);
    std::string text = mysql_error(mysql);
    mysql_close(mysql);
    return Error{classify_mysql_error(code, text),
                 fmt::format("cannot take NO_BACKSLASH_ESCAPES out of the session's sql_mode: {} (error {})", text,
                             code)};
  }
  m_mysql = mysql;
  return {};
}

Result<Rows> MariadbSession::query(std::string_view sql) {
  if (m_mysql == nullptr) return make_error(Errc::network, "not connected");
  if (mysql_real_query(m_mysql, sql.data(), sql.size()) != 0) {
    auto error = last_error("query failed");
    if (error.code != Errc::sql && error.code != Errc::auth) close();
    return error;
  }
  Rows rows;
  MYSQL_RES* result = mysql_store_result(m_mysql);
  if (result == nullptr) {
    if (mysql_field_count(m_mysql) != 0) {
      auto error = last_error("reading result");
      close();
      return error;
    }
    return rows;  // a statement without a result set
  }
  unsigned int field_count = mysql_num_fields(result);
  MYSQL_FIELD* fields = mysql_fetch_fields(result);
  for (unsigned int i = 0; i < field_count; ++i) rows.columns.emplace_back(fields[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    unsigned long* lengths = mysql_fetch_lengths(result);
    std::vector<SqlValue> values;
    values.reserve(field_count);
    for (unsigned int i = 0; i < field_count; ++i)
      values.push_back(row[i] == nullptr ? SqlValue{} : SqlValue{std::string(row[i], lengths[i])});
    rows.rows.push_back(std::move(values));
  }
  mysql_free_result(result);
  // Drain further result sets (CLIENT_MULTI_RESULTS), keeping the connection usable.
  while (mysql_next_result(m_mysql) == 0) {
    if (MYSQL_RES* extra = mysql_store_result(m_mysql)) mysql_free_result(extra);
  }
  return rows;
}

Result<void> MariadbSession::execute(std::string_view sql) {
  auto rows = query(sql);
  if (!rows) return rows.error();
  return {};
}

}  // namespace mha
